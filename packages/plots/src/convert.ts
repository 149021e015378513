import path from 'node:path';
import { type Datapoint, datapointsOf, inferY } from './data';

/** An axis: one field, or fields per data file (`{"train.csv": "loss", "test.csv": ["loss", "acc"]}`). */
export type AxisDefinition = string | Readonly<Record<string, string | readonly string[]>>;

/** A plot's properties as written in dvc.yaml (and `-x`/`-y`… on the command line). */
export interface PlotProperties {
  readonly x?: AxisDefinition | undefined;
  readonly y?: AxisDefinition | readonly string[] | undefined;
  readonly template?: string | undefined;
  readonly title?: string | undefined;
  readonly x_label?: string | undefined;
  readonly y_label?: string | undefined;
  readonly header?: boolean | undefined;
}

/** The names DVC gives the columns it adds to every row. */
export const REVISION = 'rev';
export const FILENAME = 'filename';
export const FIELD = 'field';
export const INDEX = 'step';
export const INFERRED_X = 'dvc_inferred_x_value';
export const INFERRED_Y = 'dvc_inferred_y_value';

/** Properties filled in by {@link flatDatapoints}: the resolved axes and the y sources. */
export interface ResolvedProperties extends Omit<PlotProperties, 'x' | 'y'> {
  readonly x: string;
  readonly y: string | undefined;
  readonly x_label: string | undefined;
  readonly y_label: string | undefined;
  readonly anchorsYDefinitions: readonly { readonly filename: string; readonly field: string }[];
}

/** A plot definition that cannot be drawn from its data (a missing field, lengths that differ). */
export class PlotDefinitionError extends Error {
  /** DVC's exception name. */
  readonly type: string;

  constructor(type: string, message: string) {
    super(message);
    this.name = 'PlotDefinitionError';
    this.type = type;
  }
}

function* fileFields(axis: AxisDefinition | readonly string[] | undefined): Generator<[string, string]> {
  if (axis === undefined || typeof axis === 'string' || Array.isArray(axis)) return;
  for (const [file, value] of Object.entries(axis as Record<string, string | readonly string[]>)) {
    if (typeof value === 'string') yield [file, value];
    else if (Array.isArray(value)) for (const field of value) yield [file, field];
  }
}

function verifyField(fileDatapoints: ReadonlyMap<string, Datapoint[]>, file: string, field: string): void {
  const points = fileDatapoints.get(file);
  if (!points) return;
  const first = points[0] ?? {};
  if (!(field in first)) {
    throw new PlotDefinitionError(
      'FieldNotFoundError',
      `Could not find provided field ('${field}') in data fields ('${Object.keys(first).join(', ')}').`,
    );
  }
}

function inferXY(
  plotId: string,
  properties: PlotProperties,
  data: ReadonlyMap<string, unknown>,
): PlotProperties {
  const { x, y } = properties;
  const inferred: { x?: AxisDefinition; y?: AxisDefinition | undefined } = {};
  if (typeof x === 'string') {
    const perFile: Record<string, string | string[]> = {};
    if (y !== undefined && typeof y === 'object' && !Array.isArray(y)) {
      // Several y files: the same x for each.
      for (const [file, fields] of Object.entries(y as Record<string, string | readonly string[]>)) {
        perFile[file] = Array.isArray(fields) ? fields.map(() => x) : x;
      }
    } else perFile[plotId] = x;
    inferred.x = perFile;
  }
  if (y === undefined) {
    const field = data.has(plotId) ? inferY(data.get(plotId)) : undefined;
    inferred.y = field === undefined ? undefined : { [plotId]: field };
  } else if (typeof y === 'string' || Array.isArray(y)) {
    inferred.y = { [plotId]: y as string | readonly string[] } as AxisDefinition;
  }
  return { ...properties, ...inferred };
}

function inferYLabel(properties: PlotProperties): string | undefined {
  if (properties.y_label !== undefined) return properties.y_label;
  const { y } = properties;
  if (typeof y === 'string') return y;
  if (Array.isArray(y)) return 'y';
  if (y === undefined || typeof y !== 'object') return undefined;
  const fields = new Set([...fileFields(y)].map(([, field]) => field));
  return fields.size === 1 ? [...fields][0] : 'y';
}

function inferXLabel(properties: PlotProperties): string {
  if (properties.x_label !== undefined) return properties.x_label;
  const { x } = properties;
  if (x === undefined || typeof x !== 'object') return INDEX;
  const fields = new Set([...fileFields(x)].map(([, field]) => field));
  return fields.size === 1 ? [...fields][0]! : 'x';
}

/** Python's `os.path.commonpath` for relative posix paths. */
function commonPath(paths: readonly string[]): string {
  const split = paths.map((item) => item.split('/').filter((part) => part && part !== '.'));
  const first = split[0] ?? [];
  let length = 0;
  while (length < first.length && split.every((parts) => parts[length] === first[length])) length++;
  return first.slice(0, length).join('/');
}

function shortFile(file: string, prefixLength: number): string {
  return file.slice(prefixLength).replace(/^[/\\]+|[/\\]+$/g, '');
}

/**
 * A Vega plot's rows for one revision, as DVC's `VegaConverter.flat_datapoints`: the rows of every
 * y source with `x` joined in (or `step`, the row's index, when there is no x), one field per y
 * (or `dvc_inferred_y_value` when the y fields differ), and `rev`, `filename` and `field`.
 * `data` maps each source file to its parsed content. Throws {@link PlotDefinitionError}.
 */
export function flatDatapoints(
  plotId: string,
  properties: PlotProperties,
  data: ReadonlyMap<string, unknown>,
  revision: string,
): { datapoints: Datapoint[]; properties: ResolvedProperties | undefined } {
  const converted = inferXY(plotId, properties, data);
  const withLabels = { ...converted, y_label: inferYLabel(converted), x_label: inferXLabel(converted) };
  const fileDatapoints = new Map([...data].map(([file, content]) => [file, datapointsOf(content)]));

  const xs = [...fileFields(withLabels.x)];
  for (const [file, field] of xs) verifyField(fileDatapoints, file, field);
  let [xFile, xField]: [string | undefined, string] = xs[0] ?? [undefined, INDEX];
  const multipleXFields = xs.length > 1 && new Set(xs.map(([, field]) => field)).size > 1;

  const ys = [...fileFields(withLabels.y)];
  for (const [file, field] of ys) verifyField(fileDatapoints, file, field);
  if (xs.length > 1 && xs.length !== ys.length) {
    throw new PlotDefinitionError(
      'DvcException',
      `Cannot have different number of x and y data sources. Found ${xs.length} x and ${ys.length} y data sources.`,
    );
  }
  const yFields = new Set(ys.map(([, field]) => field));
  const yFiles = new Set(ys.map(([file]) => file));
  const y = yFields.size > 1 ? INFERRED_Y : [...yFields][0];
  const prefixLength = yFiles.size > 1 ? commonPath([...yFiles]).length : 0;

  const all: Datapoint[] = [];
  ys.forEach(([yFile, yField], index) => {
    if (xs.length > 1) [xFile, xField] = xs[index]!;
    const points = (fileDatapoints.get(yFile) ?? []).map((point) => ({ ...point }));
    if (y === INFERRED_Y) copyField(points, INFERRED_Y, points, yField);
    if (xField === INDEX && xFile === undefined) {
      points.forEach((point, row) => {
        point[INDEX] = row;
      });
    } else {
      const source = fileDatapoints.get(xFile ?? '') ?? [];
      if (source.length !== points.length) {
        throw new PlotDefinitionError(
          'DvcException',
          `Cannot join '${xField}' from '${xFile}' and '${yField}' from '${yFile}'. They have to have same length.`,
        );
      }
      copyField(points, multipleXFields ? INFERRED_X : xField, source, xField);
    }
    for (const point of points) {
      point[REVISION] = revision;
      point[FILENAME] = shortFile(yFile, prefixLength);
      point[FIELD] = yField;
    }
    all.push(...points);
  });
  if (all.length === 0) return { datapoints: [], properties: undefined };
  const { x: _x, y: _y, ...rest } = withLabels;
  return {
    datapoints: all,
    properties: {
      ...rest,
      x: multipleXFields ? INFERRED_X : xField,
      y,
      anchorsYDefinitions: ys.map(([file, field]) => ({ filename: shortFile(file, prefixLength), field })),
    },
  };
}

function copyField(
  target: Datapoint[],
  field: string,
  source: readonly Datapoint[],
  sourceField: string,
): void {
  target.forEach((point, index) => {
    const from = source[index];
    if (from && sourceField in from) point[field] = from[sourceField];
  });
}

/** DVC's plot id → data sources: the y files when y names files, else the id; then x's first file. */
export function inferDataSources(plotId: string, properties: PlotProperties | undefined): string[] {
  const y = properties?.y;
  const sources = y !== undefined && typeof y === 'object' && !Array.isArray(y) ? Object.keys(y) : [plotId];
  const x = properties?.x;
  if (x !== undefined && typeof x === 'object') {
    const first = Object.keys(x)[0];
    if (first !== undefined) sources.push(first);
  }
  return [...new Set(sources)];
}

export const posixJoin = (directory: string, file: string): string =>
  path.posix.normalize(directory === '' || directory === '.' ? file : `${directory}/${file}`);
