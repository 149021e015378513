import path from 'node:path';
import {
  GitRevisionReader,
  type OpenSnapshotTvc,
  type Stage,
  type Tvc,
  TvcError,
  toPosix,
  Workspace,
  withRevisionTvc,
} from '@tvc/core';
import { loadCheckedPipeline, recordedOutputs } from './recorded';

/** The workspace as a side of the comparison (DVC's name for it). */
export const WORKSPACE = 'workspace';

/** One side of a change: a file, or a whole tracked directory (`isdir`, path ending in `/`). */
export interface DiffEntry {
  readonly path: string;
  readonly hash: string;
}

export interface DataDiff {
  readonly added: DiffEntry[];
  readonly deleted: DiffEntry[];
  readonly modified: {
    readonly path: string;
    readonly hash: { readonly old: string; readonly new: string };
  }[];
  readonly renamed: {
    readonly path: { readonly old: string; readonly new: string };
    readonly hash: string;
  }[];
  /** Only when comparing with the workspace: recorded entries whose object the cache lacks. */
  readonly notInCache?: DiffEntry[];
}

export interface DiffOptions {
  /** The old revision (default `HEAD`). */
  readonly aRev?: string;
  /** The new revision (default: the workspace). */
  readonly bRev?: string;
  /** Outputs, paths inside tracked directories, `.dvc` files or pipeline files to compare (default: all). */
  readonly targets?: readonly string[];
  /** Opens a `Tvc` on a revision's snapshot (default: `tvc.openAt`). */
  readonly openSnapshot?: OpenSnapshotTvc;
}

/** A data index: repo path (no trailing slash) → hash; `dir` marks a tracked directory. */
interface IndexEntry {
  readonly md5: string;
  readonly dir: boolean;
}

interface DataIndex {
  readonly entries: Map<string, IndexEntry>;
  /** Tracked directories whose files are unknown (their manifest is not in the cache). */
  readonly unknown: Set<string>;
  /** Targets that matched nothing at this side. */
  readonly missing: Set<string>;
}

interface TrackedOutput {
  readonly stageFile: string;
  readonly repoPath: string;
}

function outputsOf(tvc: Tvc, stages: readonly Stage[]): TrackedOutput[] {
  const result: TrackedOutput[] = [];
  for (const stage of stages) {
    for (const output of stage.outs) {
      if (!output.cache) continue;
      const repoPath = toPosix(path.relative(tvc.root, output.absolute));
      if (repoPath.startsWith('..') || path.isAbsolute(repoPath)) continue;
      result.push({ stageFile: stage.file, repoPath });
    }
  }
  return result;
}

function under(repoPath: string, prefix: string): boolean {
  return repoPath === prefix || repoPath.startsWith(`${prefix}/`);
}

/**
 * Which keys of an output a target selects: all of it (the output, a parent of it, or the file
 * declaring it), the part under the target (a path inside a tracked directory), or nothing.
 */
function selects(output: TrackedOutput, target: string): ((key: string) => boolean) | undefined {
  if (target === output.stageFile || under(output.repoPath, target)) return () => true;
  if (under(target, output.repoPath)) return (key) => under(key, target);
  return undefined;
}

async function buildIndex(
  tvc: Tvc,
  cache: Workspace,
  workspace: Workspace | undefined,
  targets: readonly string[],
): Promise<DataIndex> {
  const pipeline = await loadCheckedPipeline(tvc);
  const stages = pipeline.stages;
  const entries = new Map<string, IndexEntry>();
  const unknown = new Set<string>();
  const matched = new Set<string>();
  const hashes = new Map<string, IndexEntry>();
  if (workspace) {
    for (const output of outputsOf(tvc, stages)) {
      const hash = await workspace.hash(path.join(tvc.root, output.repoPath));
      if (!hash) continue;
      hashes.set(output.repoPath, { md5: hash.md5, dir: hash.kind === 'directory' });
    }
  } else {
    for (const recorded of await recordedOutputs(tvc, stages)) {
      const repoPath = toPosix(path.relative(tvc.root, recorded.output.absolute));
      hashes.set(repoPath, { md5: recorded.md5, dir: recorded.md5.endsWith('.dir') });
    }
  }
  for (const output of outputsOf(tvc, stages)) {
    let keep: (key: string) => boolean = () => true;
    if (targets.length > 0) {
      const filters = targets.flatMap((target) => {
        const filter = selects(output, target);
        if (filter) matched.add(target);
        return filter ? [filter] : [];
      });
      if (filters.length === 0) continue;
      keep = (key) => filters.some((filter) => filter(key));
    }
    const hash = hashes.get(output.repoPath);
    if (!hash) continue;
    if (keep(output.repoPath)) entries.set(output.repoPath, hash);
    if (!hash.dir) continue;
    let files: { relpath: string; md5: string }[] | undefined;
    if (workspace) {
      const current = await workspace.hash(path.join(tvc.root, output.repoPath));
      files = current?.kind === 'directory' ? current.entries : [];
    } else if (await cache.cache.has(hash.md5)) {
      files = await cache.cache.readManifest(hash.md5);
    }
    if (!files) {
      unknown.add(output.repoPath);
      continue;
    }
    for (const file of files) {
      const key = `${output.repoPath}/${file.relpath}`;
      if (keep(key)) entries.set(key, { md5: file.md5, dir: false });
    }
  }
  const missing = new Set(targets.filter((target) => !matched.has(target)));
  return { entries, unknown, missing };
}

/** Python's sort of `os.path` keys as tuples of parts. */
function compareKeys(a: string, b: string): number {
  const left = a.split('/');
  const right = b.split('/');
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    if (left[index] !== right[index]) return left[index]! < right[index]! ? -1 : 1;
  }
  return left.length - right.length;
}

function shown(key: string, entry: IndexEntry): string {
  return entry.dir ? `${key}/` : key;
}

function byPath<T extends { path: string | { old: string } }>(entries: T[]): T[] {
  const key = (entry: T): string => (typeof entry.path === 'string' ? entry.path : entry.path.old);
  return entries.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * The changes between two data indexes, as DVC's `dvc diff` computes them (dvc-data's index diff
 * with renames): an added and a deleted entry with the same hash are a rename (in key order); the
 * files of a directory whose manifest is unknown at either side are not compared.
 */
async function compare(
  old: DataIndex,
  now: DataIndex,
  notInCache: ((md5: string) => Promise<boolean>) | undefined,
): Promise<DataDiff> {
  const unknown = [...old.unknown, ...now.unknown];
  const keys = [...new Set([...old.entries.keys(), ...now.entries.keys()])].sort(compareKeys);
  const added: [string, IndexEntry][] = [];
  const deleted: [string, IndexEntry][] = [];
  const diff: DataDiff = {
    added: [],
    deleted: [],
    modified: [],
    renamed: [],
    ...(notInCache ? { notInCache: [] } : {}),
  };
  for (const key of keys) {
    if (unknown.some((dir) => key.startsWith(`${dir}/`))) continue;
    const before = old.entries.get(key);
    const after = now.entries.get(key);
    if (before && after) {
      if (before.md5 !== after.md5 || before.dir !== after.dir) {
        diff.modified.push({ path: shown(key, before), hash: { old: before.md5, new: after.md5 } });
      }
    } else if (before) {
      deleted.push([key, before]);
    } else if (after) {
      added.push([key, after]);
    }
    if (before && notInCache && (await notInCache(before.md5))) {
      diff.notInCache!.push({ path: shown(key, before), hash: before.md5 });
    }
  }
  const byHash = new Map<string, [string, IndexEntry][]>();
  for (const entry of deleted) {
    const queue = byHash.get(entry[1].md5) ?? [];
    queue.push(entry);
    byHash.set(entry[1].md5, queue);
  }
  for (const [key, entry] of added) {
    const match = byHash.get(entry.md5)?.shift();
    if (match) {
      diff.renamed.push({
        path: { old: shown(match[0], match[1]), new: shown(key, entry) },
        hash: match[1].md5,
      });
    } else {
      diff.added.push({ path: shown(key, entry), hash: entry.md5 });
    }
  }
  for (const queue of byHash.values()) {
    for (const [key, entry] of queue) diff.deleted.push({ path: shown(key, entry), hash: entry.md5 });
  }
  byPath(diff.added);
  byPath(diff.deleted);
  byPath(diff.modified);
  byPath(diff.renamed);
  if (diff.notInCache) byPath(diff.notInCache);
  return diff;
}

/** Whether nothing changed (DVC prints `{}` as JSON then). */
export function isEmptyDiff(diff: DataDiff): boolean {
  return (
    diff.added.length + diff.deleted.length + diff.modified.length + diff.renamed.length === 0 &&
    (diff.notInCache?.length ?? 0) === 0
  );
}

async function hasCommits(reader: GitRevisionReader): Promise<boolean> {
  return (await reader.readObject('HEAD^{commit}'))?.type === 'commit';
}

/**
 * `tvc diff`: the data files added, deleted, renamed and modified between two revisions (HEAD and
 * the workspace by default), from the `.dvc` files and dvc.lock outputs at each; directories are
 * expanded through their manifests in the cache. Comparing with the workspace also lists the
 * recorded entries whose object the cache lacks (`notInCache`). A repository without commits has
 * no changes.
 */
export async function diffData(tvc: Tvc, options: DiffOptions = {}): Promise<DataDiff> {
  const aRev = options.aRev ?? 'HEAD';
  const bRev = options.bRev ?? WORKSPACE;
  const gitRoot = tvc.scmRoot;
  const empty: DataDiff = { added: [], deleted: [], modified: [], renamed: [] };
  if (!gitRoot) return empty;
  const reader = new GitRevisionReader(gitRoot);
  const cache = new Workspace(tvc.root);
  try {
    if (!(await hasCommits(reader))) return empty;
    const targets = (options.targets ?? []).map((target) =>
      toPosix(path.relative(tvc.root, path.resolve(tvc.cwd, target))),
    );
    const open: OpenSnapshotTvc =
      options.openSnapshot ?? ((location) => tvc.openAt(location.root, location.cwd));
    const commits = new Map<string, string>();
    for (const rev of [aRev, bRev]) if (rev !== WORKSPACE) commits.set(rev, await reader.resolve(rev));
    const index = (rev: string): Promise<DataIndex> =>
      rev === WORKSPACE
        ? buildIndex(tvc, cache, cache, targets)
        : withRevisionTvc(tvc, reader, rev, open, (snapshotTvc) =>
            buildIndex(snapshotTvc, cache, undefined, targets),
          );
    const old = await index(aRev);
    const now = await index(bRev);
    const lost = [...old.missing].filter((target) => now.missing.has(target));
    if (lost.length > 0) {
      throw new TvcError('TARGET_NOT_FOUND', `No such file or directory: '${lost[0]}'`, {
        hint: 'name an output, a path inside a tracked directory or a .dvc file tracked at one of the revisions',
      });
    }
    // The same commit on both sides: nothing to compare, as DVC.
    if (aRev !== WORKSPACE && bRev !== WORKSPACE && commits.get(aRev) === commits.get(bRev)) return empty;
    const notInCache = bRev === WORKSPACE ? async (md5: string) => !(await cache.cache.has(md5)) : undefined;
    return await compare(old, now, notInCache);
  } finally {
    // The memo remembers the workspace hashes for the next command.
    await cache.close().catch(() => {});
    await reader.close();
  }
}
