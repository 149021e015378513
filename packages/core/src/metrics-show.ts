import path from 'node:path';
import {
  isParamsMapping,
  isPythonFloat,
  type ParamsFileResult,
  type ParamsRevisionResult,
  ParamsSyntaxError,
  PythonFloat,
} from '@tvc/params';
import { fastDvcYamlValue, parseDvcYaml } from './dvc-yaml';
import { TvcError, TvcErrorList } from './errors';
import { isStackOverflow } from './input-limits';
import { DirectoryUnavailableError, OutputFileMissingError, OutputFiles } from './output-files';
import { expandRepoPath } from './params-show';
import { isContainedRepoPath, toPosix } from './paths';
import type { Pipeline } from './pipeline';
import { decodeUtf8, NotUtf8Error } from './text-decode';
import type { Tvc } from './tvc';

/**
 * Why a metrics file could not be read, with the name of the Python exception DVC reports for
 * it (`metrics show --json` prints `{"type": …, "msg": …}`).
 */
export class MetricsReadError extends Error {
  /** DVC's exception type: `FileNotFoundError`, `JSONFileCorruptedError`, `YAMLFileCorruptedError`… */
  readonly type: string;

  constructor(type: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'MetricsReadError';
    this.type = type;
  }
}

export interface GatherMetricsOptions {
  /**
   * Read these files (or every file below these directories) instead of the pipeline's metrics:
   * paths relative to the DVC root, posix.
   */
  readonly targets?: readonly string[];
  /**
   * Called with the metrics paths (relative to the DVC root) before they are read: a revision
   * snapshot writes them ({@link RevisionSnapshot.materialise}).
   */
  readonly beforeRead?: (files: readonly string[]) => Promise<unknown>;
  /**
   * The repository whose `.dvc/cache` holds cached outputs (default: `tvc.root`). A revision
   * snapshot has no cache of its own: pass the live repository's root.
   */
  readonly cacheRoot?: string;
  /** The process's working directory, for the paths in DVC's error messages (default: `tvc.cwd`). */
  readonly cwd?: string;
}

/**
 * The metrics files `dvc metrics show` reads, in DVC's order: every stage's `metrics` outputs
 * (index order), then each dvc.yaml's top-level `metrics:` (relative to that file's directory),
 * duplicates dropped. Paths relative to the DVC root, posix.
 */
export function collectMetricsFiles(
  pipeline: Pick<Pipeline, 'stages' | 'files'> & Partial<Pick<Pipeline, 'root'>>,
): string[] {
  const files: string[] = [];
  for (const stage of pipeline.stages) {
    for (const output of stage.outs) {
      if (output.kind === 'metrics' && output.repoPath !== undefined) files.push(output.repoPath);
    }
  }
  for (const file of pipeline.files) {
    const listed = file.topLevel.metrics;
    if (file.kind !== 'pipeline' || !Array.isArray(listed)) continue;
    const directory = path.posix.dirname(file.file);
    for (const item of listed) {
      if (typeof item !== 'string') continue;
      // An absolute path is named from the root as DVC names it (`../x.json`); it is never read.
      if (path.isAbsolute(item) && pipeline.root) files.push(toPosix(path.relative(pipeline.root, item)));
      else files.push(path.posix.normalize(path.posix.join(directory, item)));
    }
  }
  return [...new Set(files)];
}

/**
 * DVC's `_extract_metrics`: numbers, booleans and strings are metrics; mappings keep the metrics
 * inside them (empty ones are dropped); anything else (lists, nulls, dates) is not a metric.
 * What is not a mapping or a metric becomes `{}`.
 */
export function extractMetrics(data: unknown): unknown {
  const extracted = extract(data);
  return extracted === undefined || isFalsy(extracted) ? {} : extracted;
}

function extract(value: unknown): unknown {
  if (
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    typeof value === 'boolean' ||
    typeof value === 'string' ||
    isPythonFloat(value)
  ) {
    return value;
  }
  if (!isParamsMapping(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const found = extract(item);
    if (found === undefined || (isParamsMapping(found) && Object.keys(found).length === 0)) continue;
    out[key] = found;
  }
  return out;
}

/** Python's `not value` for what {@link extract} returns (`val or {}`). */
function isFalsy(value: unknown): boolean {
  if (value === false || value === 0 || value === 0n || value === '') return true;
  if (isPythonFloat(value)) return value.value === 0;
  return isParamsMapping(value) && Object.keys(value).length === 0;
}

/**
 * Why a revision's pipeline did not load, as DVC names it: a dvc.yaml or dvc.lock that is not
 * YAML is `unable to read: 'dvc.yaml', YAML file structure is corrupted` (metrics show, exp show and
 * plots show all say so). Other errors are returned as they are.
 */
export function revisionError(tvc: Pick<Tvc, 'root' | 'cwd'>, error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const first = error instanceof TvcErrorList ? error.problems[0] : error;
  if (first instanceof TvcError && first.code === 'YAML_SYNTAX' && first.location?.file) {
    return new MetricsReadError(
      'YAMLSyntaxError',
      `unable to read: '${path.relative(tvc.cwd, path.resolve(tvc.root, first.location.file))}', YAML file structure is corrupted`,
      { cause: error },
    );
  }
  return error;
}

/** DVC's name for a format's corrupted-file error, by extension (anything unknown reads as YAML). */
function corruptedType(repoPath: string): [type: string, label: string] {
  const extension = path.posix.extname(repoPath).toLowerCase();
  if (extension === '.json') return ['JSONFileCorruptedError', 'JSON'];
  if (extension === '.toml') return ['TOMLFileCorruptedError', 'TOML'];
  if (extension === '.py') return ['PythonFileCorruptedError', 'Python'];
  return ['YAMLFileCorruptedError', 'YAML'];
}

function notFound(repoPath: string): MetricsReadError {
  return new MetricsReadError('FileNotFoundError', `[Errno 2] No such file or directory: '${repoPath}'`);
}

/** A file inside a directory output whose `.dir` manifest is not in the cache. */
function dataIndexDirError(error: DirectoryUnavailableError): MetricsReadError {
  return new MetricsReadError(error.type, error.message, { cause: error });
}

/** A cached output neither in the tree nor in the cache (or never committed to it). */
function noStorage(repoPath: string): MetricsReadError {
  return new MetricsReadError('FileNotFoundError', `[Errno 2] No storage files available: '${repoPath}'`);
}

/**
 * Reads the metrics of a repository as `dvc metrics show` reads one revision: each metrics file's
 * metrics ({@link extractMetrics}) or why it could not be read. A cached output missing from the
 * working tree (as every cached output is at a git revision) is read from the cache by the hash
 * its stage's dvc.lock records. When the pipeline does not load, the whole revision is an error.
 * Paths relative to the DVC root, posix.
 */
export async function gatherMetrics(
  tvc: Tvc,
  options: GatherMetricsOptions = {},
): Promise<ParamsRevisionResult> {
  let pipeline: Pipeline;
  try {
    pipeline = await tvc.loadPipeline({ tolerateOverlaps: true });
  } catch (error) {
    if (!options.targets || options.targets.length === 0)
      return { files: {}, error: revisionError(tvc, error) };
    pipeline = { stages: [], files: [] } as unknown as Pipeline;
  }
  const wanted =
    options.targets && options.targets.length > 0
      ? [...new Set(options.targets)]
      : collectMetricsFiles(pipeline);
  await options.beforeRead?.(wanted);
  const reader = new OutputFiles(tvc.root, pipeline.stages, options.cacheRoot ?? tvc.root);
  const expanded: string[] = [];
  const unavailable = new Map<string, DirectoryUnavailableError>();
  for (const repoPath of wanted) {
    // Outside the repository: not looked at (reading it gives DVC's `No such file`).
    if (!isContainedRepoPath(repoPath)) {
      expanded.push(repoPath);
      continue;
    }
    const below = await expandRepoPath(tvc.root, repoPath);
    let fromCache: { repoPath: string; md5: string }[] = [];
    try {
      if (below.length === 1 && below[0] === repoPath)
        fromCache = await reader.expand(reader.output(repoPath));
    } catch (error) {
      if (!(error instanceof DirectoryUnavailableError)) throw error;
      unavailable.set(repoPath, error);
    }
    expanded.push(...(fromCache.length > 0 ? fromCache.map((entry) => entry.repoPath) : below));
    for (const entry of fromCache) reader.remember(entry);
  }
  const cwd = options.cwd ?? tvc.cwd;
  const files: Record<string, ParamsFileResult> = {};
  const results = await Promise.all(
    [...new Set(expanded)].map(async (repoPath): Promise<[string, ParamsFileResult]> => {
      const missingDirectory = unavailable.get(repoPath);
      if (missingDirectory) return [repoPath, { error: dataIndexDirError(missingDirectory) }];
      try {
        const text = await readText(reader, repoPath);
        return [repoPath, { data: await readMetricsText(tvc, repoPath, text, cwd) }];
      } catch (error) {
        return [repoPath, { error: error instanceof Error ? error : new Error(String(error)) }];
      }
    }),
  );
  for (const [repoPath, result] of results) files[repoPath] = result;
  return { files };
}

/**
 * The metrics of one file's text as `dvc metrics show` and `dvc exp show` read them: parsed by
 * DVC's rule for its extension, then {@link extractMetrics}. A file that does not parse throws a
 * {@link MetricsReadError} with DVC's type and message (its path shown relative to `cwd`).
 */
export async function readMetricsText(
  tvc: Tvc,
  repoPath: string,
  text: string,
  cwd = tvc.cwd,
): Promise<unknown> {
  return extractMetrics(await parseMetrics(tvc, repoPath, text, cwd));
}

/**
 * A metrics file's data as DVC's loaders give it: JSON, TOML and Python files through their params
 * formats; everything else (`.yaml`, but also `.csv`, `.tsv`, `.txt`…) as YAML, whatever its top
 * level is (a bare number or text is a metric too; a CSV file reads as one line of text).
 */
async function parseMetrics(tvc: Tvc, repoPath: string, text: string, cwd: string): Promise<unknown> {
  const [type] = corruptedType(repoPath);
  try {
    if (type === 'YAMLFileCorruptedError') {
      // DVC's YAML parser (ruamel) refuses tabs in block context, which a TSV file has.
      if (hasBlockTab(text)) throw new SyntaxError('found a tab that cannot start any token');
      return fastDvcYamlValue(text) ?? parseDvcYaml(text, repoPath).value;
    }
    const format = tvc.paramsFormat(path.join(tvc.root, repoPath));
    await format.prepare?.();
    try {
      return format.read(text, repoPath);
    } catch (error) {
      // DVC's `json.loads` takes any top level; the params format only objects.
      if (type === 'JSONFileCorruptedError' && /top level/.test((error as Error).message))
        return bareJson(text);
      throw error;
    }
  } catch (error) {
    if (
      !(error instanceof ParamsSyntaxError) &&
      !(error instanceof TvcError) &&
      !(error instanceof SyntaxError) &&
      !isStackOverflow(error)
    ) {
      throw error;
    }
    const [type, label] = corruptedType(repoPath);
    // DVC names the file by its path in the DVC file system (`/m.json`) made relative to the cwd.
    const shown = path.relative(cwd, `/${repoPath}`);
    throw new MetricsReadError(type, `unable to read: '${shown}', ${label} file structure is corrupted`, {
      cause: error,
    });
  }
}

/**
 * Whether YAML text has a tab ruamel refuses: outside quotes, comments and flow collections
 * (`a:\tb`, `a: 1\t`, an indenting tab, `acc\tloss`).
 */
export function hasBlockTab(text: string): boolean {
  if (!text.includes('\t')) return false;
  let depth = 0;
  for (const line of text.split(/\r?\n/)) {
    let quote = '';
    for (let index = 0; index < line.length; index++) {
      const char = line[index]!;
      if (quote) {
        if (char === quote) quote = '';
        continue;
      }
      if (char === '#' && (index === 0 || line[index - 1] === ' ')) break;
      if (char === "'" || char === '"') quote = char;
      else if (char === '[' || char === '{') depth++;
      else if ((char === ']' || char === '}') && depth > 0) depth--;
      else if (char === '\t' && depth === 0) return true;
    }
  }
  return false;
}

/** A JSON document whose top level is not an object (only numbers and text matter to metrics). */
function bareJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (typeof value === 'number' && Number.isInteger(value) && /[.eE]/.test(text))
    return new PythonFloat(value);
  return value;
}

/** A metrics file's text from the tree or the cache; a missing one is DVC's `FileNotFoundError`. */
async function readText(reader: OutputFiles, repoPath: string): Promise<string> {
  try {
    return decodeUtf8(await reader.bytes(repoPath), repoPath);
  } catch (error) {
    // DVC: `unable to read: 'm.json', is not valid utf-8`, a UnicodeDecodeError.
    if (error instanceof NotUtf8Error) throw new MetricsReadError('UnicodeDecodeError', error.message);
    if (error instanceof OutputFileMissingError) {
      throw error.storage ? noStorage(repoPath) : notFound(error.repoPath);
    }
    if (error instanceof DirectoryUnavailableError) throw dataIndexDirError(error);
    throw error;
  }
}
