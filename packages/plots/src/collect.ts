import path from 'node:path';
import { DirectoryUnavailableError, type Pipeline } from '@tvc/core';
import { inferDataSources, type PlotProperties, posixJoin } from './convert';
import { assertPlotDataType, type Datapoint, isImagePath, parsePlotData } from './data';
import type { PlotFiles } from './files';

/** The properties dvc.yaml may give a plot (DVC's `PLOT_PROPS`, plus `header` for CSV/TSV). */
const PLOT_PROPS = ['x', 'y', 'template', 'title', 'x_label', 'y_label', 'header'] as const;

/** One revision's plots: definitions by config file (`''` for stage outputs), and their data. */
export interface RevisionPlots {
  readonly rev: string;
  /** config file → plot id → properties, in DVC's order (top-level plots, then stage outputs). */
  readonly definitions: ReadonlyMap<string, ReadonlyMap<string, PlotProperties>>;
  /** data file (repo path) → parsed content (or bytes for images), or why it could not be read. */
  readonly sources: ReadonlyMap<string, { readonly data?: unknown; readonly error?: Error }>;
  /** The revision's pipeline did not load. */
  readonly error?: Error;
}

export interface CollectOptions {
  /** Plot ids or paths to show, as DVC's targets: regular expressions matched at the start of the id. */
  readonly targets?: readonly string[];
  /** Properties given on the command line, over those of dvc.yaml. */
  readonly props?: PlotProperties;
  /**
   * Where the user is, relative to the DVC root (posix; `''` at the root). As DVC, plot ids, data
   * files and config files are named relative to it (`../logs/loss.csv` from a subdirectory).
   */
  readonly cwd?: string;
}

/** Files named relative to the user's directory, read through files named from the DVC root. */
function fromCwd(files: PlotFiles, cwd: string): { files: PlotFiles; shown: (repoPath: string) => string } {
  if (!cwd || cwd === '.') return { files, shown: (repoPath) => repoPath };
  const shown = (repoPath: string) => path.posix.relative(cwd, repoPath) || '.';
  const toRepo = (shownPath: string) => posixJoin(cwd, shownPath);
  return {
    shown,
    files: {
      list: async (shownPath) => {
        const repoPath = toRepo(shownPath);
        const found = await files.list(repoPath);
        // A file keeps the name it was asked by (`../eval/roc.json`, not `roc.json`), as in DVC.
        return found.length === 1 && found[0] === repoPath ? [shownPath] : found.map(shown);
      },
      read: (shownPath) => files.read(toRepo(shownPath)),
    },
  };
}

function pick(value: unknown): PlotProperties {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const out: Record<string, unknown> = {};
  for (const key of PLOT_PROPS) if (key in value) out[key] = (value as Record<string, unknown>)[key];
  return out as PlotProperties;
}

function matches(targets: readonly string[] | undefined, configFile: string, plotId: string): boolean {
  if (!targets || targets.length === 0) return true;
  const full = configFile ? `${configFile}::${plotId}` : plotId;
  return targets.some((target) => {
    try {
      const pattern = new RegExp(`^(?:${target})`);
      return pattern.test(plotId) || pattern.test(full);
    } catch {
      return plotId.startsWith(target) || full.startsWith(target);
    }
  });
}

function idIsPath(properties: PlotProperties | undefined): boolean {
  const y = properties?.y;
  return !(y !== undefined && typeof y === 'object' && !Array.isArray(y));
}

function adjustSources(properties: PlotProperties, configDir: string): PlotProperties {
  const adjusted: Record<string, unknown> = { ...properties };
  for (const axis of ['x', 'y'] as const) {
    const value = properties[axis];
    if (axis === 'x' && (value === undefined || typeof value === 'string')) continue;
    const moved: Record<string, unknown> = {};
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [file, fields] of Object.entries(value)) moved[posixJoin(configDir, file)] = fields;
    }
    adjusted[axis] = moved;
  }
  return adjusted as PlotProperties;
}

function setDefinition(
  definitions: Map<string, Map<string, PlotProperties>>,
  configFile: string,
  plotId: string,
  properties: PlotProperties,
): void {
  let inFile = definitions.get(configFile);
  if (!inFile) {
    inFile = new Map();
    definitions.set(configFile, inFile);
  }
  inFile.set(plotId, { ...(inFile.get(plotId) ?? {}), ...properties });
}

/** Python's `os.path.commonpath` length between a file and a directory (for the closest definition). */
function commonLength(a: string, b: string): number {
  const left = a.split('/');
  const right = b.split('/');
  let index = 0;
  while (index < left.length && index < right.length && left[index] === right[index]) index++;
  return left.slice(0, index).join('/').length;
}

/**
 * The plot definitions of a pipeline as DVC's `_collect_definitions`: each dvc.yaml's top-level
 * `plots` (a path — a file or a directory of files — or an id whose `y` names files), then the
 * stages' `plots` outputs, then targets that are files but no definition.
 */
export async function collectDefinitions(
  pipeline: Pick<Pipeline, 'stages' | 'files'> & Partial<Pick<Pipeline, 'root'>>,
  repoFiles: PlotFiles,
  options: CollectOptions = {},
): Promise<Map<string, Map<string, PlotProperties>>> {
  const definitions = new Map<string, Map<string, PlotProperties>>();
  const props = options.props ?? {};
  const { files, shown } = fromCwd(repoFiles, options.cwd ?? '');
  for (const pipelineFile of pipeline.files) {
    const listed = pipelineFile.topLevel.plots;
    if (pipelineFile.kind !== 'pipeline' || !Array.isArray(listed)) continue;
    const file = { file: shown(pipelineFile.file) };
    const configDir = path.posix.dirname(file.file);
    const entries = new Map<string, PlotProperties | undefined>();
    for (const item of listed) {
      if (typeof item === 'string') entries.set(item, undefined);
      else if (item && typeof item === 'object') {
        const [id, value] = Object.entries(item)[0] ?? [];
        if (id !== undefined) entries.set(id, value === null ? undefined : pick(value));
      }
    }
    const parents = [...entries.keys()].map((id) => posixJoin(configDir, id));
    for (const [id, properties] of entries) {
      if (!matches(options.targets, file.file, id)) continue;
      if (idIsPath(properties)) {
        const dataPath = posixJoin(configDir, id);
        const found = await files.list(dataPath);
        const listedFiles = found.length > 0 ? found : [dataPath];
        for (const found of listedFiles) {
          // The most specific definition wins for a file below several listed directories.
          const closest = parents.reduce((best, parent) =>
            commonLength(found, parent) > commonLength(found, best) ? parent : best,
          );
          if (found !== dataPath && closest !== dataPath) continue;
          setDefinition(definitions, file.file, found, { ...(properties ?? {}), ...props });
        }
      } else {
        setDefinition(definitions, file.file, id, {
          ...adjustSources(properties ?? {}, configDir),
          ...props,
        });
      }
    }
  }
  for (const stage of pipeline.stages) {
    for (const output of stage.outs) {
      if (output.kind !== 'plots' || output.repoPath === undefined) continue;
      // As DVC: matched by its path from the user's directory, named by the stage's wdir joined
      // with the path as written (`../eval/roc.json` from `eval/`).
      if (!matches(options.targets, shown(stage.file), shown(output.repoPath))) continue;
      const wdir = pipeline.root ? path.relative(pipeline.root, stage.wdir).split(path.sep).join('/') : '';
      const outputPath =
        pipeline.root && !path.isAbsolute(output.path)
          ? posixJoin(shown(wdir || '.'), output.path)
          : shown(output.repoPath);
      const found = await files.list(outputPath);
      for (const item of found.length > 0 ? found : [outputPath]) {
        setDefinition(definitions, '', item, { ...pick(output.properties), ...props });
      }
    }
  }
  // As DVC: a target that is a file or directory is shown too, defined or not (and any target when
  // nothing else matched, so that a missing file is reported).
  for (const target of options.targets ?? []) {
    const found = await files.list(target);
    if (definitions.size > 0 && found.length === 0) continue;
    for (const item of found.length > 0 ? found : [target])
      setDefinition(definitions, '', item, { ...props });
  }
  return definitions;
}

/** Reads the data files the definitions name (images as bytes, data parsed). */
export async function collectSources(
  definitions: ReadonlyMap<string, ReadonlyMap<string, PlotProperties>>,
  repoFiles: PlotFiles,
  options: Pick<CollectOptions, 'cwd'> = {},
): Promise<Map<string, { data?: unknown; error?: Error }>> {
  const { files } = fromCwd(repoFiles, options.cwd ?? '');
  const wanted = new Map<string, PlotProperties>();
  for (const inFile of definitions.values()) {
    for (const [id, properties] of inFile) {
      for (const source of inferDataSources(id, properties))
        if (!wanted.has(source)) wanted.set(source, properties);
    }
  }
  const sources = new Map<string, { data?: unknown; error?: Error }>();
  await Promise.all(
    [...wanted].map(async ([source, properties]) => {
      try {
        assertPlotDataType(source);
        const bytes = await files.read(source);
        const data = isImagePath(source)
          ? bytes
          : parsePlotData(source, bytes.toString('utf8'), { header: properties.header !== false });
        sources.set(source, { data });
      } catch (error) {
        sources.set(source, { error: error instanceof Error ? error : new Error(String(error)) });
      }
    }),
  );
  return new Map([...wanted.keys()].map((source) => [source, sources.get(source)!]));
}

/** A revision's plots: its definitions and their data. */
export async function collectRevision(
  rev: string,
  pipeline: Pick<Pipeline, 'stages' | 'files'> & Partial<Pick<Pipeline, 'root'>>,
  files: PlotFiles,
  options: CollectOptions = {},
): Promise<RevisionPlots> {
  // A plot inside a directory output whose `.dir` is not in the cache (a fresh clone before
  // pulling) fails the whole revision, as DVC's data index does: one error, no data. Thrown (from
  // listing the definitions' files or from here) for the caller's revision errors.
  const definitions = await collectDefinitions(pipeline, files, options);
  const sources = await collectSources(definitions, files, options);
  const failed = [...sources.values()].find(
    (source) => source.error instanceof DirectoryUnavailableError,
  )?.error;
  if (failed) throw failed;
  return { rev, definitions, sources };
}

export type { Datapoint };
