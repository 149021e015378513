import { FIELD, FILENAME, REVISION, type ResolvedProperties } from './convert';
import type { Datapoint } from './data';
import { anchor, fillAnchor, hasAnchor, type PlotTemplate } from './templates';

const FIELD_SEPARATOR = '::';

const OPTIONAL_ANCHORS = [
  'color',
  'column',
  'group_by_x',
  'group_by_y',
  'group_by',
  'pivot_field',
  'plot_height',
  'plot_width',
  'row',
  'shape',
  'stroke_dash',
  'tooltip',
  'zoom_and_pan',
] as const;

const ANCHOR_RANGES: Readonly<Record<string, readonly unknown[]>> = {
  stroke_dash: [
    [1, 0],
    [8, 8],
    [8, 4],
    [4, 4],
    [4, 2],
    [2, 1],
    [1, 1],
  ],
  color: ['#945dd6', '#13adc7', '#f46837', '#48bb78', '#4299e1', '#ed8936', '#f56565'],
  shape: ['circle', 'square', 'triangle', 'diamond'],
};

/** A Vega-Lite plot ready to fill: its name, template, rows and resolved properties. */
export interface VegaPlot {
  readonly name: string;
  readonly template: PlotTemplate;
  readonly datapoints: readonly Datapoint[];
  readonly properties: Partial<ResolvedProperties>;
  /** Revisions that gave rows, in order. */
  readonly revisions: readonly string[];
}

/** The field names of x and y with `.`, `[` and `]` escaped, as Vega-Lite needs them. */
function escapeField(value: string): string {
  return value.replace(/[.[\]]/g, (character) => `\\${character}`);
}

/**
 * The template filled with the plot's rows and properties, as DVC's `get_filled_template`: the
 * Vega-Lite spec `plots show --json` prints and the page embeds. Rows of several sources get a
 * `filename::field` column when both vary; the optional anchors (colour per revision, stroke dash
 * or shape per source, tooltip, zoom) are filled when the template has them. `{}` without rows.
 */
export function fillTemplate(plot: VegaPlot): Record<string, unknown> {
  if (plot.datapoints.length === 0) return {};
  let content: unknown = plot.template.content;
  const fill = (name: string, value: unknown): void => {
    content = fillAnchor(content, name, value);
  };
  const properties = plot.properties;
  for (const axis of ['x', 'y'] as const) {
    const field = properties[axis];
    if (field && !plot.datapoints.some((point) => field in point)) {
      throw new Error(`Field '${field}' does not exist in provided data.`);
    }
  }
  const datapoints = plot.datapoints.map((point) => ({ ...point }));
  const optional: string[] = OPTIONAL_ANCHORS.filter((name) => hasAnchor(content, name));
  const take = (name: string): boolean => {
    const index = optional.indexOf(name);
    if (index === -1) return false;
    optional.splice(index, 1);
    return true;
  };
  const fillOptional = (name: string, value: unknown): void => {
    if (take(name)) fill(name, value);
  };
  const mapping = (field: string, name: string, domain: readonly string[]): void => {
    if (!take(name)) return;
    const range = ANCHOR_RANGES[name] ?? [];
    fill(name, {
      field,
      scale: { domain, range: domain.map((_, index) => range[index % range.length]) },
      ...(name === 'color' ? {} : { legend: { symbolFillColor: 'transparent', symbolStrokeColor: 'grey' } }),
    });
  };
  const groupBy = (fields: readonly unknown[]): void => {
    fillOptional('group_by', fields);
    fillOptional('group_by_x', [...fields, properties.x]);
    fillOptional('group_by_y', [...fields, properties.y]);
  };
  const tooltip = (extra: readonly string[] = []): void =>
    fillOptional('tooltip', [
      { field: REVISION },
      { field: properties.x },
      { field: properties.y },
      ...extra.map((field) => ({ field })),
    ]);

  let varied: string[] | undefined;
  if (optional.length > 0) {
    mapping(REVISION, 'color', plot.revisions.length > 0 ? plot.revisions : revisionsOf(datapoints));
    fillOptional('zoom_and_pan', { name: 'grid', select: 'interval', bind: 'scales' });
    fillOptional('plot_height', 300);
    fillOptional('plot_width', 300);
    const definitions = properties.anchorsYDefinitions ?? [];
    if (definitions.length <= 1) {
      groupBy([REVISION]);
      fillOptional('pivot_field', 'datum.rev');
      tooltip();
      for (const name of optional.splice(0)) fill(name, {});
      varied = [];
    } else {
      const filenames = new Set(definitions.map((definition) => definition.filename));
      const fields = new Set(definitions.map((definition) => definition.field));
      varied = [];
      if (filenames.size > 1) varied.push(FILENAME);
      if (fields.size > 1) varied.push(FIELD);
      const values =
        varied.length === 2
          ? definitions.map((definition) => `${definition.filename}${FIELD_SEPARATOR}${definition.field}`)
          : definitions.map((definition) => definition[varied![0] as 'filename' | 'field']);
      const domain = [...new Set(values)].sort(comparePython);
      const concat = varied.join(FIELD_SEPARATOR);
      groupBy([REVISION, concat]);
      fillOptional(
        'pivot_field',
        [REVISION, ...varied].map((key) => `datum.${key}`).join(` + '${FIELD_SEPARATOR}' + `),
      );
      fillOptional('row', { field: concat, sort: [] });
      fillOptional('column', { field: concat, sort: [] });
      tooltip([concat]);
      mapping(concat, 'stroke_dash', domain);
      mapping(concat, 'shape', domain);
    }
  }
  if (varied !== undefined) updateDatapoints(datapoints, varied);

  const title = properties.title ?? '';
  const values: [string, unknown][] = [
    ['title', title],
    ['x', properties.x],
    ['y', properties.y],
    ['x_label', properties.x_label ?? properties.x],
    ['y_label', properties.y_label ?? properties.y],
    ['data', datapoints],
  ];
  for (const [name, value] of values) {
    if (value === undefined || value === null) continue;
    if (name === 'data' && !hasAnchor(content, 'data')) {
      throw new Error(`Template '${plot.template.name}' is not using '${anchor('data')}' anchor`);
    }
    fill(name, name === 'x' || name === 'y' ? escapeField(String(value)) : value);
  }
  return content as Record<string, unknown>;
}

function revisionsOf(datapoints: readonly Datapoint[]): string[] {
  return [...new Set(datapoints.map((point) => point[REVISION]).filter((rev): rev is string => !!rev))];
}

/** DVC's `_update_datapoints`: a `filename::field` column when both vary; the constant ones dropped. */
function updateDatapoints(datapoints: Datapoint[], varied: readonly string[]): void {
  const concatenate = varied.length === 2 ? varied : [];
  const remove = varied.length === 2 ? varied : [FILENAME, FIELD].filter((key) => !varied.includes(key));
  for (const point of datapoints) {
    if (concatenate.length > 0) {
      point[concatenate.join(FIELD_SEPARATOR)] = concatenate.map((key) => point[key]).join(FIELD_SEPARATOR);
    }
    for (const key of remove) delete point[key];
  }
}

/** Python's string order (code points). */
function comparePython(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
