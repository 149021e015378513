import { createHash } from 'node:crypto';
import { pythonJsonDumps } from '@tvc/params';
import type { SourceLocation } from './errors';

/** A path named by a stage: as written, and resolved. */
export interface StagePath {
  /** As written in the pipeline file (relative to the stage's wdir, or absolute). */
  readonly path: string;
  /** Absolute and normalised. */
  readonly absolute: string;
  /** Relative to the DVC root with forward slashes; `undefined` when the path lies outside it. */
  readonly repoPath: string | undefined;
}

export type OutputKind = 'outs' | 'metrics' | 'plots';

/** An output of a stage (`outs`, `metrics` or `plots`) with its flags. */
export interface StageOutput extends StagePath {
  readonly kind: OutputKind;
  /** Stored in the cache (`cache: true`, the default). */
  readonly cache: boolean;
  /** Kept, not removed, before the stage runs. */
  readonly persist: boolean;
  /** DVC 2's checkpoint outputs; see the experiments executors. */
  readonly checkpoint: boolean;
  readonly push: boolean;
  readonly remote: string | undefined;
  /** Everything else written beside the path (annotations, plot properties, hashes of `.dvc` files). */
  readonly properties: Readonly<Record<string, unknown>>;
}

/** A params dependency: some keys of a params file, or all of it (`keys: null`). */
export interface StageParams extends StagePath {
  /** Dotted keys as written (they may contain wildcards); `null` means the whole file. */
  readonly keys: readonly string[] | null;
}

/**
 * A dependency that is not a path of this workspace's filesystem, so it is never hashed as a
 * file, never joined to the stage's directory and never an edge of the DAG:
 * - `url`: a URL (`http://host/f.zip`, `s3://bucket/key`), from `tvc import-url` or written in a
 *   stage's `deps`; DVC records its server-side checksum (`etag`, `checksum`) instead of an md5;
 * - `repo`: a path inside another git/DVC repository (`tvc import`), pinned by `repo.rev_lock`.
 * A local path outside the repository (`import-url ../file`) stays a {@link StagePath}.
 */
export type ExternalDependency = UrlDependency | RepoDependency;

export interface UrlDependency {
  readonly type: 'url';
  /** The URL as written (DVC's `path:`); status and the DAG report it as is. */
  readonly path: string;
  /** The lower-case scheme: `http`, `https`, `s3`, … */
  readonly scheme: string;
  /** What a `.dvc` file records beside the URL (`checksum`, `etag`, `md5`, `size`, `hash`…). */
  readonly recorded: Readonly<Record<string, unknown>>;
}

/** A `.dvc` file's `repo:` section (DVC's `RepoDependency.REPO_SCHEMA`). */
export interface RepoSource {
  /** A git URL or a local path (relative to the `.dvc` file's directory when relative). */
  readonly url: string;
  /** The revision asked for (`--rev`); the source's HEAD when absent. */
  readonly rev?: string | undefined;
  /** The commit the import was made from. */
  readonly rev_lock?: string | undefined;
  readonly config?: unknown;
  readonly remote?: unknown;
}

export interface RepoDependency {
  readonly type: 'repo';
  /** The path inside the source repository, as written. */
  readonly path: string;
  readonly repo: RepoSource;
  /** The directory the `.dvc` file sits in, absolute (a relative `repo.url` is relative to it). */
  readonly baseDir: string;
}

/** A URL as DVC tells it from a path: a scheme of two letters or more, then `://`. */
const URL_PATTERN = /^([a-z][a-z0-9+.-]+):\/\//i;

/** The scheme of `value` when it is a URL (`http`, `s3`), else `undefined` (a path, `C:/x` too). */
export function urlScheme(value: string): string | undefined {
  return URL_PATTERN.exec(value)?.[1]?.toLowerCase();
}

/** How DVC names an external dependency in status and logs: the URL, or `path (repo url)`. */
export function externalLabel(dep: ExternalDependency): string {
  return dep.type === 'url' ? dep.path : `${dep.path} (${dep.repo.url})`;
}

/** Where a stage comes from: a stage in a `dvc.yaml`, or a `.dvc` data file. */
export type StageKind = 'pipeline' | 'data';

/** One stage of the pipeline, resolved and validated. */
export interface Stage {
  readonly kind: StageKind;
  /** The stage's name (`train`, `build@us`); for a `.dvc` file, the file's repo path. */
  readonly name: string;
  /** The file defining it, relative to the DVC root with forward slashes (`sub/dvc.yaml`). */
  readonly file: string;
  /** How DVC addresses it from the working directory: `train`, `sub/dvc.yaml:train`, `data.xml.dvc`. */
  readonly addressing: string;
  readonly cmd: string | readonly string[] | undefined;
  /** The working directory, absolute. */
  readonly wdir: string;
  /** Dependencies that are paths (inside the repository or not). */
  readonly deps: readonly StagePath[];
  /** Dependencies that are URLs or files of another repository (see {@link ExternalDependency}). */
  readonly externalDeps: readonly ExternalDependency[];
  /** Every dependency's `path` as written, paths and URLs, in the file's order (`stage list` shows them so). */
  readonly writtenDeps: readonly string[];
  readonly params: readonly StageParams[];
  readonly outs: readonly StageOutput[];
  readonly frozen: boolean;
  readonly alwaysChanged: boolean;
  readonly desc: string | undefined;
  readonly meta: unknown;
  /** Where the stage is defined. */
  readonly location: SourceLocation;
  /**
   * A `.dvc` file whose `md5` (DVC's stage checksum, written by imports) no longer matches its
   * content ({@link dataFileMd5}): `dvc status` says `changed checksum`.
   */
  readonly checksumChanged?: boolean | undefined;
  /** A `.dvc` file's dependency entries as recorded (`path`, `md5`, `hash`, `size`…), for status. */
  readonly recordedDeps?: readonly Readonly<Record<string, unknown>>[] | undefined;
  /** The `foreach`/`matrix` group that generated it (`build` for `build@us`). */
  readonly group?: string | undefined;
  /**
   * The values its `${…}` interpolation took from vars files (params.yaml included), as DVC's
   * `stage.tracked_vars`: `{file: {dotted.key: value}}`, files relative to the DVC root. They are
   * not dependencies (dvc.lock does not record them); `params show`/`diff` list them.
   */
  readonly trackedVars?: Readonly<Record<string, Readonly<Record<string, unknown>>>> | undefined;
}

/**
 * A `.dvc` file made by `tvc import-url` or `tvc import` (DVC's `is_import`): no command, one
 * dependency, one output.
 */
export function isImportStage(stage: Stage): boolean {
  return (
    stage.cmd === undefined && stage.deps.length + stage.externalDeps.length === 1 && stage.outs.length === 1
  );
}

/** An import from another repository (DVC's `is_repo_import`). */
export function isRepoImport(stage: Stage): boolean {
  return isImportStage(stage) && stage.externalDeps[0]?.type === 'repo';
}

/** The commands of a stage, one per element or line, in order (DVC runs each as its own command). */
export function stageCommands(stage: Pick<Stage, 'cmd'>): string[] {
  if (stage.cmd === undefined) return [];
  if (typeof stage.cmd === 'string') return stage.cmd.split('\n').filter((line) => line.trim() !== '');
  return [...stage.cmd];
}

const INVALID_NAME_CHARACTERS = /[!"#$%&'()*+,./:;<=>?@[\\\]^`{|}~]/;

/**
 * DVC's rule for names it writes (`stage add`): no ASCII punctuation except `_` and `-`. Names
 * read from a dvc.yaml are held only to {@link isLoadableStageName}, as DVC accepts `convert/ml`.
 */
export function isValidStageName(name: string): boolean {
  return name.length > 0 && !INVALID_NAME_CHARACTERS.test(name);
}

/** What DVC can load and address: any non-empty name without `@` (the foreach/matrix separator). */
export function isLoadableStageName(name: string): boolean {
  return name.length > 0 && !name.includes('@');
}

/** The keys DVC's `compute_md5` leaves out of a stage's md5 (annotations, flags, sizes). */
const MD5_EXCLUDED = new Set([
  'desc',
  'type',
  'labels',
  'meta',
  'locked',
  'frozen',
  'metric',
  'persist',
  'isexec',
  'size',
  'nfiles',
]);

function withoutExcluded(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutExcluded);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (!MD5_EXCLUDED.has(key)) out[key] = withoutExcluded(item);
    }
    return out;
  }
  return value;
}

/**
 * DVC's stage md5 of a `.dvc` file (`dvc/stage/utils.py` `compute_md5`): the MD5 of
 * `json.dumps(d, sort_keys=True)` of the file's content without `md5` and the excluded keys.
 */
export function dataFileMd5(body: Readonly<Record<string, unknown>>): string {
  const { md5: _md5, ...rest } = body;
  const text = pythonJsonDumps(withoutExcluded(rest), { sortKeys: true });
  return createHash('md5').update(text).digest('hex');
}
