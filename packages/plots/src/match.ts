import type { RevisionPlots } from './collect';
import { flatDatapoints, inferDataSources, type PlotProperties, type ResolvedProperties } from './convert';
import { type Datapoint, isImagePath } from './data';
import { findTemplate, type PlotTemplate } from './templates';
import { fillTemplate } from './vega';

/** An image of one revision: its bytes and where it came from. */
export interface ImagePoint {
  readonly rev: string;
  readonly filename: string;
  readonly bytes: Buffer;
}

/** Why a plot (or one of its data files) could not be drawn at a revision. */
export interface PlotError {
  readonly rev: string;
  /** The data file, for an error reading it. */
  readonly source?: string;
  readonly error: Error;
}

/** One plot of the page: a Vega-Lite chart or a row of images, with what went wrong. */
export type Plot =
  | {
      readonly kind: 'vega';
      readonly name: string;
      readonly template: PlotTemplate | undefined;
      readonly datapoints: readonly Datapoint[];
      readonly properties: Partial<ResolvedProperties>;
      readonly revisions: readonly string[];
      readonly errors: readonly PlotError[];
    }
  | {
      readonly kind: 'image';
      readonly name: string;
      readonly images: readonly ImagePoint[];
      readonly errors: readonly PlotError[];
    };

/** DVC's `group_definitions_by_id`: an id defined in several config files becomes `file::id`. */
function groupById(
  definitions: RevisionPlots['definitions'],
): Map<string, { id: string; properties: PlotProperties }> {
  const byId = new Map<string, Map<string, PlotProperties>>();
  for (const [configFile, inFile] of definitions) {
    for (const [id, properties] of inFile) {
      const configs = byId.get(id) ?? new Map<string, PlotProperties>();
      configs.set(configFile, properties);
      byId.set(id, configs);
    }
  }
  const grouped = new Map<string, { id: string; properties: PlotProperties }>();
  for (const [id, configs] of byId) {
    if (configs.size === 1) grouped.set(id, { id, properties: [...configs.values()][0]! });
    else
      for (const [configFile, properties] of configs)
        grouped.set(configFile ? `${configFile}::${id}` : id, { id, properties });
  }
  return grouped;
}

/** The error a failed revision reports for every plot. */
function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * The plots of several revisions, as DVC's `match_defs_renderers`: definitions grouped by id across
 * revisions (the first revision's properties win), each revision's rows (or images) gathered, and
 * every error kept beside its plot so the rest still renders.
 */
export function matchPlots(
  revisions: readonly RevisionPlots[],
  options: { readonly templatesDir?: string | undefined; readonly cwd?: string } = {},
): Plot[] {
  const groups = new Map<string, { rev: string; id: string; properties: PlotProperties }[]>();
  for (const revision of revisions) {
    for (const [plotId, definition] of groupById(revision.definitions)) {
      const group = groups.get(plotId) ?? [];
      group.push({ rev: revision.rev, ...definition });
      groups.set(plotId, group);
    }
  }
  const byRev = new Map(revisions.map((revision) => [revision.rev, revision]));
  const plots: Plot[] = [];
  for (const [plotId, group] of groups) {
    // As DVC's `_squash_plots_properties`: the first revision's properties win.
    const props: PlotProperties = Object.assign({}, ...[...group].reverse().map((entry) => entry.properties));
    const errors: PlotError[] = [];
    const image = isImagePath(group[0]!.id);
    if (image) {
      const images: ImagePoint[] = [];
      for (const { rev, id } of group) {
        const source = byRev.get(rev)?.sources.get(id);
        if (source?.error) errors.push({ rev, source: id, error: source.error });
        else if (Buffer.isBuffer(source?.data)) images.push({ rev, filename: id, bytes: source.data });
      }
      plots.push({ kind: 'image', name: group[0]!.id, images, errors });
      continue;
    }
    const datapoints: Datapoint[] = [];
    const withRows: string[] = [];
    let first: ResolvedProperties | undefined;
    for (const { rev, id, properties } of group) {
      const revision = byRev.get(rev)!;
      const data = new Map<string, unknown>();
      for (const source of inferDataSources(id, properties)) {
        const found = revision.sources.get(source);
        if (found?.error) errors.push({ rev, source, error: found.error });
        else if (found && isPresent(found.data)) data.set(source, found.data);
      }
      try {
        const converted = flatDatapoints(id, props, data, rev);
        if (converted.datapoints.length > 0 && !withRows.includes(rev)) withRows.push(rev);
        first ??= converted.properties;
        datapoints.push(...converted.datapoints);
      } catch (error) {
        errors.push({ rev, error: asError(error) });
      }
    }
    let template: PlotTemplate | undefined;
    try {
      template = findTemplate(props.template, options);
    } catch (error) {
      errors.push({ rev: group[0]!.rev, error: asError(error) });
    }
    const properties: Partial<ResolvedProperties> = { ...(first ?? {}), title: first?.title ?? plotId };
    plots.push({ kind: 'vega', name: plotId, template, datapoints, properties, revisions: withRows, errors });
  }
  return plots;
}

/** Python's truthiness for parsed data (an empty list or mapping has no rows). */
function isPresent(data: unknown): boolean {
  if (data === undefined || data === null) return false;
  if (Array.isArray(data)) return data.length > 0;
  if (typeof data === 'object')
    return Object.keys(data).length > 0 || Object.getPrototypeOf(data) !== Object.prototype;
  return Boolean(data);
}

/** The filled Vega-Lite spec of a plot (`{}` without rows); throws when the template does not fit. */
export function plotSpec(plot: Extract<Plot, { kind: 'vega' }>): Record<string, unknown> {
  if (!plot.template) return {};
  return fillTemplate({
    name: plot.name,
    template: plot.template,
    datapoints: plot.datapoints,
    properties: plot.properties,
    revisions: plot.revisions,
  });
}
