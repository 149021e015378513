import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  collectParamsFiles,
  DEFAULT_PARAMS_FILE,
  DirectoryUnavailableError,
  decodeUtf8,
  GitRevisionReader,
  isContainedRepoPath,
  MetricsReadError,
  type OpenSnapshotTvc,
  type ParamsFileKeys,
  type Pipeline,
  readMetricsText,
  repoFsName,
  revisionError,
  type Tvc,
  toPosix,
  trackedVars,
  Workspace,
  withRevisionTvc,
} from '@tvc/core';
import { isParamsMapping, selectParams } from '@tvc/params';
import { type QueueEntry, QueueStore } from './queue-store';
import { checkpointsBelow } from './show-checkpoints';

/** DVC's `SerializableError`: what went wrong reading a file or a revision. */
export interface ExpError {
  readonly type: string;
  readonly msg: string;
}

/** One params or metrics file of a revision: its data, or the error reading it. */
export interface ExpFileResult {
  readonly data?: unknown;
  readonly error?: ExpError;
}

export interface ExpDep {
  readonly hash: string | null;
  readonly size: number | null;
  readonly nfiles: number | null;
}

export interface ExpOut extends ExpDep {
  readonly use_cache: boolean;
  readonly is_data_source: boolean;
}

/** DVC's `SerializableExp`: a revision's params, metrics, deps and outs (keys in DVC's order). */
export interface ExpData {
  readonly rev: string;
  /** The commit's time as DVC gives it: local time, ISO 8601 without a zone; `null` for the workspace. */
  readonly timestamp: string | null;
  readonly params: Record<string, ExpFileResult>;
  readonly metrics: Record<string, ExpFileResult>;
  readonly deps: Record<string, ExpDep>;
  readonly outs: Record<string, ExpOut>;
  readonly meta: Record<string, unknown>;
}

/** DVC's `ExpState`: a baseline (with its experiments) or an experiment commit. */
export interface ExpState {
  readonly rev: string;
  name: string | null;
  readonly data: ExpData | null;
  readonly error: ExpError | null;
  readonly experiments: ExpRange[] | null;
}

/** DVC's `ExpExecutor`: where an experiment runs or ran (`queued`, `running`, `failed`, `success`). */
export interface ExpExecutor {
  readonly state: 'queued' | 'running' | 'failed' | 'success';
  readonly name: string;
  readonly local: null;
}

/** The executor name tvc's queue gives its experiments (DVC's celery queue says `dvc-task`). */
export const QUEUE_EXECUTOR_NAME = 'tvc-task';

/** DVC's `ExpRange`: an experiment's commits (its tip first), its executor and name. */
export interface ExpRange {
  readonly revs: ExpState[];
  readonly executor: ExpExecutor | null;
  readonly name: string | null;
}

export interface CollectOptions {
  /** Baselines to show (default `HEAD`). */
  readonly revs?: readonly string[];
  /** `-n`: each baseline and its first-parent ancestors, this many in all. */
  readonly num?: number;
  /** `-a`: the tip of every branch. */
  readonly allBranches?: boolean;
  /** `-T`: every tag. */
  readonly allTags?: boolean;
  /** `-A`: every commit. */
  readonly allCommits?: boolean;
  readonly hideWorkspace?: boolean;
  /** `--hide-queued`: leave out the experiments waiting in tvc's queue. */
  readonly hideQueued?: boolean;
  /** `--hide-failed`: leave out the queue's failed experiments. */
  readonly hideFailed?: boolean;
  /** `--sha`: baselines by sha, not by branch or tag. */
  readonly shaOnly?: boolean;
  /** `--param-deps`: only params that are stage dependencies (the workspace and experiments). */
  readonly paramDeps?: boolean;
  /**
   * Apply `paramDeps` to the baselines too. `dvc exp show` reads its baselines without it (its
   * `collect()` calls `collect_rev(repo, baseline_rev)` without the options), so a baseline row
   * shows every param; `dvc exp diff` passes it to both revisions.
   */
  readonly paramDepsInBaselines?: boolean;
  /** Collect the experiments of each baseline (default true; `exp diff` needs the baselines only). */
  readonly withExperiments?: boolean;
  /** Opens a `Tvc` on a revision snapshot (to load its pipeline). */
  readonly openSnapshot: OpenSnapshotTvc;
}

/** The files of a pipeline `exp show` reads, relative to the DVC root (posix). */
interface PipelineShape {
  readonly params: ParamsFileKeys;
  /**
   * The values of keys `${}` templating uses, by file, for files not among `params` (DVC's
   * `_collect_vars`: `exp show` shows them as params too).
   */
  readonly vars: ReadonlyMap<string, Record<string, unknown>>;
  readonly metrics: readonly string[];
  readonly deps: readonly LockedPath[];
  readonly outs: readonly (LockedPath & { readonly useCache: boolean; readonly dataSource: boolean })[];
}

/** A dependency or output and where its hash is recorded. */
interface LockedPath {
  readonly repoPath: string;
  /** The lock file (`dvc.lock` beside the dvc.yaml), or `undefined` for a `.dvc` file's out. */
  readonly lock: string | undefined;
  readonly stage: string;
  /** As written in dvc.yaml (and dvc.lock). */
  readonly written: string;
  /** For `.dvc` outs, the recorded hash. */
  readonly recorded?: ExpDep;
  /** A dependency outside the DVC root (`../src/x.py`): its absolute path, shown relative as DVC does. */
  readonly outside?: string;
}

const EXPS_PREFIX = 'refs/exps/';

function git(gitRoot: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', [...args], { cwd: gitRoot, maxBuffer: 256 * 1024 * 1024 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
}

interface RefEntry {
  readonly oid: string;
  readonly name: string;
  readonly isHead: boolean;
}

/** Every ref of the repository with one `git for-each-ref` (tags peeled to their commits). */
export async function listRefs(gitRoot: string): Promise<RefEntry[]> {
  const output = await git(gitRoot, [
    'for-each-ref',
    '--format=%(objectname)%09%(*objectname)%09%(HEAD)%09%(refname)',
  ]);
  const refs: RefEntry[] = [];
  for (const line of output.split('\n')) {
    if (!line) continue;
    const [oid, peeled, head, ...rest] = line.split('\t');
    refs.push({ oid: peeled || oid!, name: rest.join('\t'), isHead: head === '*' });
  }
  return refs;
}

/** A name and baseline of an experiment ref `refs/exps/ab/cdef…/<name>`, or `undefined`. */
export function parseExpRef(ref: string): { baseline: string; name: string } | undefined {
  const match = /^refs\/exps\/([0-9a-f]{2})\/([0-9a-f]{38})\/([^/]+)$/.exec(ref);
  return match ? { baseline: `${match[1]}${match[2]}`, name: match[3]! } : undefined;
}

interface CommitInfo {
  readonly parents: readonly string[];
  /** Committer time, seconds since the epoch. */
  readonly time: number;
}

function parseCommit(content: Buffer): CommitInfo {
  const text = content.toString('utf8');
  const headerEnd = text.indexOf('\n\n');
  const parents: string[] = [];
  let time = 0;
  for (const line of (headerEnd === -1 ? text : text.slice(0, headerEnd)).split('\n')) {
    if (line.startsWith('parent ')) parents.push(line.slice(7));
    else if (line.startsWith('committer ')) {
      const match = / (\d+) [+-]\d{4}$/.exec(line);
      if (match) time = Number(match[1]);
    }
  }
  return { parents, time };
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** Python's `datetime.fromtimestamp(t).isoformat()`: local time, no zone, no fraction for whole seconds. */
export function localIsoTime(seconds: number): string {
  const date = new Date(seconds * 1000);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A revision's own error: DVC's `SerializableError`, whose fields come `msg` first. */
function revError(error: unknown): ExpError {
  const { type, msg } = asExpError(error);
  return { msg, type };
}

function asExpError(error: unknown): ExpError {
  if (error instanceof MetricsReadError || error instanceof DirectoryUnavailableError)
    return { type: error.type, msg: error.message };
  if (
    error &&
    typeof error === 'object' &&
    'code' in error &&
    (error as { code: unknown }).code === 'ENOENT'
  ) {
    return { type: 'FileNotFoundError', msg: String((error as unknown as { message: unknown }).message) };
  }
  const message = error instanceof Error ? error.message : String(error);
  const type =
    error instanceof Error && error.constructor.name !== 'Error' ? error.constructor.name : 'Error';
  return { type, msg: message };
}

function missing(file: string): Error {
  return Object.assign(new Error(`[Errno 2] No such file or directory: '${file}'`), { code: 'ENOENT' });
}

/** Which files a pipeline makes `exp show` read. */
function pipelineShape(
  tvc: Pick<Tvc, 'root'>,
  pipeline: Pick<Pipeline, 'stages' | 'files'>,
  paramDeps: boolean,
): PipelineShape {
  const params = collectParamsFiles(tvc, pipeline, { depsOnly: paramDeps });
  const metrics: string[] = [];
  const deps: LockedPath[] = [];
  const outs: (LockedPath & { useCache: boolean; dataSource: boolean })[] = [];
  const paramsPaths = new Set(pipeline.stages.flatMap((stage) => stage.params.map((p) => p.absolute)));
  for (const stage of pipeline.stages) {
    const lock =
      stage.kind === 'pipeline' ? path.posix.join(path.posix.dirname(stage.file), 'dvc.lock') : undefined;
    for (const dep of stage.deps) {
      if (paramsPaths.has(dep.absolute) || /^[a-z][a-z0-9+.-]*:\/\//i.test(dep.path)) continue;
      // Outside the DVC root (a project below the git root reading `../src`): DVC lists it too.
      if (!dep.repoPath && !path.isAbsolute(dep.absolute)) continue;
      deps.push({
        repoPath: dep.repoPath ?? dep.absolute,
        lock,
        stage: stage.name,
        written: dep.path,
        ...(dep.repoPath ? {} : { outside: dep.absolute }),
      });
    }
    for (const out of stage.outs) {
      if (!out.repoPath) continue;
      if (out.kind === 'metrics') {
        metrics.push(out.repoPath);
        continue;
      }
      if (out.kind === 'plots') continue;
      const recorded =
        stage.kind === 'data'
          ? {
              hash: typeof out.properties.md5 === 'string' ? out.properties.md5 : null,
              size: typeof out.properties.size === 'number' ? out.properties.size : null,
              nfiles: typeof out.properties.nfiles === 'number' ? out.properties.nfiles : null,
            }
          : undefined;
      outs.push({
        repoPath: out.repoPath,
        lock,
        stage: stage.name,
        written: out.path,
        useCache: out.cache,
        dataSource: stage.kind === 'data',
        ...(recorded ? { recorded } : {}),
      });
    }
  }
  for (const file of pipeline.files) {
    const listed = file.topLevel.metrics;
    if (file.kind !== 'pipeline' || !Array.isArray(listed)) continue;
    const directory = path.posix.dirname(file.file);
    for (const item of listed) {
      if (typeof item === 'string') metrics.push(path.posix.normalize(path.posix.join(directory, item)));
    }
  }
  const vars = new Map([...trackedVars(tvc, pipeline)].filter(([file]) => !params.has(file)));
  return { params, vars, metrics: [...new Set(metrics)], deps, outs };
}

/**
 * Whether `a` comes before `b` in a top-down walk of a git tree, as DVC collects a git revision's
 * `.dvc` and dvc.yaml files (fsspec's walk over the tree): a directory's files before its
 * subdirectories, entries in git's order (bytewise, a directory's name compared with a `/` after it).
 */
export function compareTreeWalk(a: string, b: string): number {
  const left = a.split('/');
  const right = b.split('/');
  for (let index = 0; ; index++) {
    const leftFile = index === left.length - 1;
    const rightFile = index === right.length - 1;
    if (left[index] === right[index]) {
      if (leftFile || rightFile) return leftFile === rightFile ? 0 : leftFile ? -1 : 1;
      continue;
    }
    if (leftFile !== rightFile) return leftFile ? -1 : 1;
    const x = Buffer.from(leftFile ? left[index]! : `${left[index]}/`);
    const y = Buffer.from(rightFile ? right[index]! : `${right[index]}/`);
    return Buffer.compare(x, y);
  }
}

/** A pipeline's files and stages in git-tree walk order (stable: a file's stages keep their order). */
function treeOrdered(pipeline: Pick<Pipeline, 'stages' | 'files'>): Pick<Pipeline, 'stages' | 'files'> {
  return {
    files: [...pipeline.files].sort((a, b) => compareTreeWalk(a.file, b.file)),
    stages: [...pipeline.stages].sort((a, b) => compareTreeWalk(a.file, b.file)),
  };
}

/**
 * A file of a revision: its bytes, and for a git revision the blob's id, under which what is read
 * from it is remembered for every revision that has the same blob (experiments share most files).
 */
interface RevisionFile {
  readonly content: Buffer;
  readonly blob?: string;
}

type FileReader = (repoPath: string) => Promise<RevisionFile>;

/** Parsed files by blob id and use (`params`, `metrics`, `lock`), shared by the revisions of one collection. */
type ParsedBlobs = Map<string, Promise<unknown>>;

/** `parse(file)` once per blob: remembered under `use` and the blob's id when the file has one. */
function parsedOnce<T>(
  parsed: ParsedBlobs,
  use: string,
  file: RevisionFile,
  parse: (text: string) => T | Promise<T>,
  name = use.slice(use.indexOf(' ') + 1),
): Promise<T> {
  // Strict UTF-8, as DVC reads the files: a bad byte is an error, never a U+FFFD in the table.
  if (file.blob === undefined) return Promise.resolve().then(() => parse(decodeUtf8(file.content, name)));
  const key = `${use}\0${file.blob}`;
  let pending = parsed.get(key) as Promise<T> | undefined;
  if (!pending) {
    pending = Promise.resolve().then(() => parse(decodeUtf8(file.content, name)));
    parsed.set(key, pending);
  }
  return pending;
}

interface LockItemLike {
  readonly path?: unknown;
  readonly md5?: unknown;
  readonly size?: unknown;
  readonly nfiles?: unknown;
}

async function readRevision(
  tvc: Tvc,
  rev: string,
  timestamp: string | null,
  shape: PipelineShape,
  read: FileReader,
  shown: (repoPath: string) => string,
  parsed: ParsedBlobs,
): Promise<ExpData> {
  const params: Record<string, ExpFileResult> = {};
  const metrics: Record<string, ExpFileResult> = {};
  await Promise.all([
    ...[...shape.params].map(async ([file, keys]) => {
      try {
        const format = tvc.paramsFormat(file);
        await format.prepare?.();
        // The format depends on the file's name, so a blob is parsed once per name.
        const tree = await parsedOnce(parsed, `params ${file}`, await read(file), (text) =>
          format.read(text, shown(file)),
        );
        params[file] = { data: keys.length > 0 ? selectParams(tree, keys) : tree };
      } catch (error) {
        params[file] = { error: asExpError(error) };
      }
    }),
  ]);
  for (const [file, values] of shape.vars) if (!params[file]) params[file] = { data: values };
  // dvc.lock files, each read once per revision and parsed once per blob.
  const locks = new Map<string, Promise<Record<string, unknown>>>();
  const lockEntry = async (lock: string, stage: string): Promise<Record<string, unknown> | undefined> => {
    let pending = locks.get(lock);
    if (!pending) {
      pending = read(lock)
        .then((file) =>
          parsedOnce(parsed, `lock ${lock}`, file, (text) => {
            const data = tvc.paramsFormat('dvc.lock.yaml').read(text, lock);
            return isParamsMapping(data) && isParamsMapping(data.stages)
              ? (data.stages as Record<string, unknown>)
              : {};
          }),
        )
        .catch(() => ({}));
      locks.set(lock, pending);
    }
    const entry = (await pending)[stage];
    return isParamsMapping(entry) ? (entry as Record<string, unknown>) : undefined;
  };
  const locked = async (item: LockedPath, kind: 'deps' | 'outs'): Promise<ExpDep> => {
    if (item.recorded) return item.recorded;
    const entry = item.lock ? await lockEntry(item.lock, item.stage) : undefined;
    const list = entry?.[kind];
    const found = Array.isArray(list)
      ? (list as LockItemLike[]).find((candidate) => candidate.path === item.written)
      : undefined;
    const number = (value: unknown): number | null => (typeof value === 'number' ? value : null);
    return {
      hash: typeof found?.md5 === 'string' ? found.md5 : null,
      size: number(found?.size),
      nfiles: number(found?.nfiles),
    };
  };
  // A metrics file missing from the tree (a cached output, as every cached output is at a git
  // revision) is read from the cache by the hash its dvc.lock records, as DVC's file system does;
  // inside a directory output whose `.dir` is not in the cache, it is DVC's DataIndexDirError.
  let workspace: Workspace | undefined;
  const objectCache = () => {
    workspace ??= new Workspace(tvc.root);
    return workspace.cache;
  };
  const fromCache = async (file: string, notInTree: unknown): Promise<RevisionFile> => {
    const owner = shape.outs
      .filter((out) => out.useCache && (file === out.repoPath || file.startsWith(`${out.repoPath}/`)))
      .sort((a, b) => b.repoPath.length - a.repoPath.length)[0];
    const hash = owner ? (await locked(owner, 'outs')).hash : null;
    if (!owner || typeof hash !== 'string' || !/^[0-9a-f]{32}(\.dir)?$/.test(hash)) throw notInTree;
    const cache = objectCache();
    let md5 = hash;
    if (hash.endsWith('.dir')) {
      let manifest: unknown;
      try {
        manifest = JSON.parse(await readFile(cache.objectPath(hash), 'utf8'));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT')
          throw new DirectoryUnavailableError(owner.repoPath);
        throw notInTree;
      }
      const relpath = file.slice(owner.repoPath.length + 1);
      const entry = Array.isArray(manifest)
        ? (manifest as { relpath?: unknown; md5?: unknown }[]).find((item) => item.relpath === relpath)
        : undefined;
      if (typeof entry?.md5 !== 'string' || !/^[0-9a-f]{32}$/.test(entry.md5)) throw notInTree;
      md5 = entry.md5;
    } else if (file !== owner.repoPath) {
      throw notInTree;
    }
    try {
      return { content: await readFile(cache.objectPath(md5)) };
    } catch {
      throw notInTree;
    }
  };
  await Promise.all(
    shape.metrics.map(async (file) => {
      try {
        const content = await read(file).catch((error: unknown) => fromCache(file, error));
        const data = await parsedOnce(parsed, `metrics ${file}`, content, (text) =>
          readMetricsText(tvc, file, text),
        );
        metrics[file] = { data };
      } catch (error) {
        metrics[file] = { error: asExpError(error) };
      }
    }),
  );
  const deps: Record<string, ExpDep> = {};
  for (const item of shape.deps) {
    const key = item.outside ? toPosix(path.relative(tvc.cwd, item.outside)) : shown(item.repoPath);
    deps[key] = await locked(item, 'deps');
  }
  const outs: Record<string, ExpOut> = {};
  for (const item of shape.outs) {
    outs[shown(item.repoPath)] = {
      ...(await locked(item, 'outs')),
      use_cache: item.useCache,
      is_data_source: item.dataSource,
    };
  }
  const ordered = (results: Record<string, ExpFileResult>, order: Iterable<string>) =>
    Object.fromEntries(
      [...order].filter((file) => results[file]).map((file) => [shown(file), results[file]!]),
    );
  return {
    rev,
    timestamp,
    params: ordered(params, [...shape.params.keys(), ...shape.vars.keys()]),
    metrics: ordered(metrics, shape.metrics),
    deps,
    outs,
    meta: {},
  };
}

/**
 * Every commit reachable from `tips`, in the order of DVC's `list_all_commits` (dulwich's date
 * walker): a queue of the commits seen, newest commit time first and, for equal times, the
 * smaller id first; popping a commit queues its parents. So a commit comes before its parents
 * only when it is not older than them, as in DVC; `git rev-list` orders differently.
 * `listing` is `git rev-list --timestamp --parents` of the same tips. (Hand-written: a dozen
 * lines of binary heap, no library reproduces dulwich's tie-break.)
 */
export function walkByDate(listing: string, tips: readonly string[]): string[] {
  const commits = new Map<string, { time: number; parents: string[] }>();
  for (const line of listing.split('\n')) {
    const [time, sha, ...parents] = line.trim().split(' ');
    if (sha) commits.set(sha, { time: Number(time), parents });
  }
  const before = (a: string, b: string): boolean => {
    const ta = commits.get(a)?.time ?? 0;
    const tb = commits.get(b)?.time ?? 0;
    return ta !== tb ? ta > tb : a < b;
  };
  const heap: string[] = [];
  const queued = new Set<string>();
  const done = new Set<string>();
  const push = (sha: string): void => {
    if (!commits.has(sha) || queued.has(sha) || done.has(sha)) return;
    queued.add(sha);
    heap.push(sha);
    for (let i = heap.length - 1; i > 0; ) {
      const up = (i - 1) >> 1;
      if (!before(heap[i]!, heap[up]!)) break;
      [heap[i], heap[up]] = [heap[up]!, heap[i]!];
      i = up;
    }
  };
  const pop = (): string => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let best = i;
        if (l < heap.length && before(heap[l]!, heap[best]!)) best = l;
        if (r < heap.length && before(heap[r]!, heap[best]!)) best = r;
        if (best === i) break;
        [heap[i], heap[best]] = [heap[best]!, heap[i]!];
        i = best;
      }
    }
    queued.delete(top);
    return top;
  };
  for (const tip of tips) push(tip);
  const order: string[] = [];
  while (heap.length > 0) {
    const sha = pop();
    if (done.has(sha)) continue;
    done.add(sha);
    order.push(sha);
    for (const parent of commits.get(sha)!.parents) push(parent);
  }
  return order;
}

/** Git's id of a blob with this content (`git hash-object`). */
function blobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/**
 * What decides a revision's {@link PipelineShape}, as a key: the blob ids of the workspace
 * pipeline's files (every dvc.yaml and `.dvc` file, and the vars files its templating reads), and
 * whether `params.yaml` exists (it is shown whole when it does). Revisions with equal keys share
 * one loaded pipeline. A revision with pipeline files the workspace lacks is taken to have the
 * shape of one with the same files otherwise.
 */
function pipelineKey(livePipeline: Pipeline | undefined): {
  of: (blob: (file: string) => Promise<string | undefined>) => Promise<string>;
} {
  const files = new Set(livePipeline ? livePipeline.files.map((file) => file.file) : ['dvc.yaml']);
  for (const stage of livePipeline?.stages ?? []) {
    for (const file of Object.keys(stage.trackedVars ?? {})) files.add(file);
  }
  const byContent = [...files];
  const byPresence = files.has(DEFAULT_PARAMS_FILE) ? [] : [DEFAULT_PARAMS_FILE];
  return {
    of: async (blob) => {
      const [contents, presence] = await Promise.all([
        Promise.all(byContent.map(async (file) => (await blob(file)) ?? '-')),
        Promise.all(byPresence.map(async (file) => ((await blob(file)) === undefined ? '-' : '+'))),
      ]);
      return [...contents, ...presence].join(' ');
    },
  };
}

/**
 * What `dvc exp show` collects: the workspace, each baseline with the experiments derived from it
 * (newest first). Refs are listed with one `git for-each-ref`; commits and files are read through
 * one `git cat-file --batch`; a pipeline is loaded once per distinct set of pipeline files.
 */
export async function collectExperiments(tvc: Tvc, options: CollectOptions): Promise<ExpState[]> {
  const gitRoot = tvc.scmRoot;
  if (!gitRoot) throw new Error('not a git repository');
  const reader = new GitRevisionReader(gitRoot);
  try {
    return await collectWith(tvc, gitRoot, reader, options);
  } finally {
    await reader.close();
  }
}

async function collectWith(
  tvc: Tvc,
  gitRoot: string,
  reader: GitRevisionReader,
  options: CollectOptions,
): Promise<ExpState[]> {
  const head = await reader.readObject('HEAD^{commit}');
  if (!head) return [];
  const refs = await listRefs(gitRoot);
  const dvcRoot = toPosix(path.relative(gitRoot, tvc.root));
  const gitPath = (repoPath: string): string => (dvcRoot ? `${dvcRoot}/${repoPath}` : repoPath);
  const shownPaths = new Map<string, string>();
  const shown = (repoPath: string): string => {
    let text = shownPaths.get(repoPath);
    if (text === undefined) {
      text = toPosix(path.relative(tvc.cwd, path.join(tvc.root, repoPath))) || repoPath;
      shownPaths.set(repoPath, text);
    }
    return text;
  };
  const parsed: ParsedBlobs = new Map();
  const commits = new Map<string, Promise<CommitInfo>>();
  const commitInfo = (sha: string): Promise<CommitInfo> => {
    let pending = commits.get(sha);
    if (!pending) {
      pending = reader.readObject(sha).then((object) => {
        if (object?.type !== 'commit') throw new Error(`unknown Git revision '${sha}'`);
        return parseCommit(object.content);
      });
      commits.set(sha, pending);
    }
    return pending;
  };

  // Baselines, in DVC's order.
  const baselines: string[] = [];
  const add = (sha: string): void => {
    if (!baselines.includes(sha)) baselines.push(sha);
  };
  const wanted = options.revs && options.revs.length > 0 ? options.revs : [];
  const explicit = wanted.length > 0 || options.allBranches || options.allTags || options.allCommits;
  for (const rev of explicit ? wanted : ['HEAD']) {
    let sha = await reader.resolve(rev);
    add(sha);
    for (let index = 1; index < (options.num ?? 1); index++) {
      const parent = (await commitInfo(sha)).parents[0];
      if (!parent) break;
      sha = parent;
      add(sha);
    }
  }
  if (options.allBranches) for (const ref of refs) if (ref.name.startsWith('refs/heads/')) add(ref.oid);
  if (options.allTags) for (const ref of refs) if (ref.name.startsWith('refs/tags/')) add(ref.oid);
  if (options.allCommits) {
    const listing = await git(gitRoot, [
      'rev-list',
      '--timestamp',
      '--parents',
      'HEAD',
      '--branches',
      '--tags',
      '--remotes',
    ]);
    const tips = await git(gitRoot, ['rev-parse', 'HEAD', '--branches', '--tags', '--remotes']);
    for (const sha of walkByDate(listing, tips.split('\n').filter(Boolean))) add(sha);
  }

  // Names (DVC's `describe`): the current branch, then tags, then branches.
  const names = new Map<string, string>();
  if (!options.shaOnly) {
    const headRef = refs.find((ref) => ref.isHead && ref.name.startsWith('refs/heads/'));
    const tags = new Map<string, string>();
    const branches = new Map<string, string>();
    for (const ref of refs) {
      if (ref.name.startsWith('refs/tags/') && !tags.has(ref.oid)) tags.set(ref.oid, ref.name.slice(10));
      if (ref.name.startsWith('refs/heads/') && !branches.has(ref.oid))
        branches.set(ref.oid, ref.name.slice(11));
    }
    for (const sha of baselines) {
      const name =
        headRef && headRef.oid === sha && sha === head.oid
          ? headRef.name.slice(11)
          : (tags.get(sha) ?? branches.get(sha));
      if (name) names.set(sha, name);
    }
  }

  // Pipelines: one load per distinct set of pipeline files, and none for a revision whose
  // pipeline files are the workspace's (the usual case: experiments change params, not dvc.yaml).
  const livePipeline = await tvc.loadPipeline({ tolerateOverlaps: true }).catch(() => undefined);
  const shapes = new Map<string, Promise<PipelineShape>>();
  const key = pipelineKey(livePipeline);
  const paramDeps = options.paramDeps === true;
  if (livePipeline) {
    const workspaceKey = await key.of((file) =>
      readFile(path.join(tvc.root, file)).then(blobId, () => undefined),
    );
    for (const depsOnly of [false, true]) {
      shapes.set(
        `${depsOnly} ${workspaceKey}`,
        // Git revisions: DVC walks the git tree, not the workspace.
        Promise.resolve().then(() => pipelineShape(tvc, treeOrdered(livePipeline), depsOnly)),
      );
    }
  }
  const shapeOf = async (sha: string, depsOnly: boolean): Promise<PipelineShape> => {
    const revisionKey = await key.of(
      async (file) => (await reader.readObject(`${sha}:${gitPath(file)}`))?.oid,
    );
    const shapeKey = `${depsOnly} ${revisionKey}`;
    let pending = shapes.get(shapeKey);
    if (!pending) {
      pending = withRevisionTvc(tvc, reader, sha, options.openSnapshot, async (snapshotTvc) =>
        pipelineShape(
          snapshotTvc,
          treeOrdered(await snapshotTvc.loadPipeline({ tolerateOverlaps: true })),
          depsOnly,
        ),
      );
      shapes.set(shapeKey, pending);
    }
    return pending;
  };
  const collectCommit = async (sha: string, name: string | null, depsOnly: boolean): Promise<ExpState> => {
    try {
      const [info, shape] = await Promise.all([commitInfo(sha), shapeOf(sha, depsOnly)]);
      const read: FileReader = async (repoPath) => {
        const object = await reader.readObject(`${sha}:${gitPath(repoPath)}`);
        if (object?.type !== 'blob') throw missing(repoPath);
        return { content: object.content, blob: object.oid };
      };
      const data = await readRevision(tvc, sha, localIsoTime(info.time), shape, read, shown, parsed);
      return { rev: sha, name, data, error: null, experiments: null };
    } catch (error) {
      return { rev: sha, name, data: null, error: revError(revisionError(tvc, error)), experiments: null };
    }
  };

  const result: Promise<ExpState>[] = [];
  if (!options.hideWorkspace) {
    result.push(
      (async (): Promise<ExpState> => {
        try {
          if (!livePipeline) await tvc.loadPipeline({ tolerateOverlaps: true });
          const shape = pipelineShape(tvc, livePipeline!, paramDeps);
          const read: FileReader = async (repoPath) => {
            // A file outside the repository (`metrics: [../x]`) is never read.
            if (!isContainedRepoPath(repoPath)) throw missing(repoFsName(repoPath));
            try {
              return { content: await readFile(path.join(tvc.root, repoPath)) };
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missing(shown(repoPath));
              throw error;
            }
          };
          const data = await readRevision(tvc, 'workspace', null, shape, read, shown, parsed);
          return { rev: 'workspace', name: null, data, error: null, experiments: null };
        } catch (error) {
          return {
            rev: 'workspace',
            name: null,
            data: null,
            error: revError(revisionError(tvc, error)),
            experiments: null,
          };
        }
      })(),
    );
  }
  const expRefs = refs
    .map((ref) => ({ ref, parsed: parseExpRef(ref.name) }))
    .filter((entry) => entry.parsed !== undefined);
  // tvc's queue, as DVC shows its own: running, then finished, then queued, then failed
  const queue = options.withExperiments === false ? [] : new QueueStore(tvc.root).list();
  const succeeded = new Map(
    queue
      .filter((entry) => entry.status === 'success' && entry.outcome?.ref)
      .map((entry) => [entry.outcome!.ref!, entry] as const),
  );
  const queueRanges = async (baseline: string, status: QueueEntry['status']): Promise<ExpRange[]> => {
    const ranges = await Promise.all(
      queue
        .filter((entry) => entry.baseline === baseline && entry.status === status)
        .map(async (entry): Promise<ExpRange> => {
          const state = await collectCommit(entry.id, entry.name, paramDeps);
          // DVC shows no metrics for what has not run (`collect_queued` drops them)
          const data = state.data && status !== 'failed' ? { ...state.data, metrics: {} } : state.data;
          return {
            revs: [{ ...state, data }],
            executor: { state: status, name: QUEUE_EXECUTOR_NAME, local: null },
            name: entry.name,
          };
        }),
    );
    return sortRanges(ranges);
  };
  for (const baseline of baselines) {
    result.push(
      (async (): Promise<ExpState> => {
        const state = await collectCommit(
          baseline,
          names.get(baseline) ?? null,
          paramDeps && options.paramDepsInBaselines === true,
        );
        const ranges = await Promise.all(
          (options.withExperiments === false ? [] : expRefs)
            .filter((entry) => entry.parsed!.baseline === baseline)
            .map(async ({ ref, parsed }): Promise<ExpRange> => {
              const exp = await collectCommit(ref.oid, parsed!.name, paramDeps);
              const below = await checkpointsBelow(
                ref.oid,
                baseline,
                async (sha) => (await commitInfo(sha)).parents[0],
              );
              const checkpoints = await Promise.all(below.map((sha) => collectCommit(sha, null, paramDeps)));
              const ran = succeeded.get(ref.name);
              return {
                revs: [exp, ...checkpoints],
                executor: ran ? { state: 'success', name: QUEUE_EXECUTOR_NAME, local: null } : null,
                name: parsed!.name,
              };
            }),
        );
        sortRanges(ranges);
        const all = [
          ...(await queueRanges(baseline, 'running')),
          ...ranges,
          ...(options.hideQueued ? [] : await queueRanges(baseline, 'queued')),
          ...(options.hideFailed ? [] : await queueRanges(baseline, 'failed')),
        ];
        return { ...state, experiments: all.length > 0 ? all : null };
      })(),
    );
  }
  return Promise.all(result);
}

/** Newest first; equal times by sha, descending (DVC sorts (timestamp, rev) in reverse). */
function sortRanges(ranges: ExpRange[]): ExpRange[] {
  return ranges.sort((a, b) => {
    const left = a.revs[0]!;
    const right = b.revs[0]!;
    const lt = left.data?.timestamp ?? '';
    const rt = right.data?.timestamp ?? '';
    if (lt !== rt) return lt < rt ? 1 : -1;
    return left.rev < right.rev ? 1 : left.rev > right.rev ? -1 : 0;
  });
}

export { EXPS_PREFIX };

/**
 * A revision as `exp diff` names it: an experiment's name (unique among `refs/exps`), or anything
 * git resolves. The commit's sha, or `undefined`.
 */
export async function resolveExperimentRev(gitRoot: string, rev: string): Promise<string | undefined> {
  const refs = await listRefs(gitRoot);
  const named = refs.filter((ref) => parseExpRef(ref.name)?.name === rev);
  if (named.length === 1) return named[0]!.oid;
  const reader = new GitRevisionReader(gitRoot);
  try {
    return await reader.resolve(rev);
  } catch {
    return undefined;
  } finally {
    await reader.close();
  }
}
