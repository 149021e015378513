import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  GitRevisionReader,
  type GitTreeEntry,
  isRepoImport,
  isRevisionFile,
  type OpenSnapshotTvc,
  resolveTargets,
  type Stage,
  type Tvc,
  TvcError,
  toPosix,
  Workspace,
  withRevisionTvc,
} from '@tvc/core';
import type { ObjectCache } from '@tvc/hash';
import { type RecordedOutput, recordedOutputs } from './recorded';

/** The workspace as a place objects are used (DVC's name for it). */
export const WORKSPACE_REV = 'workspace';

/**
 * Where to look for used objects, as DVC's `repo.used_objs`/`brancher` take it. The workspace is
 * always included unless `workspace: false` (DVC always yields it; its `-w` only says "nothing
 * more"); every other field adds git revisions read from git without checking them out.
 */
export interface UsedScope {
  readonly workspace?: boolean;
  /** The tips of every branch (`refs/heads/*`), and with `num` the `num - 1` commits below each. */
  readonly allBranches?: boolean;
  /** Every tag. */
  readonly allTags?: boolean;
  /** Every commit reachable from HEAD, branches, tags and remote branches. */
  readonly allCommits?: boolean;
  /** `YYYY-MM-DD`: every commit (as `allCommits`) made on that day (local time) or later. */
  readonly commitDate?: string;
  /** Every commit of every experiment (`refs/exps/…`, from its tip down to its baseline). */
  readonly allExperiments?: boolean;
  /** These revisions, and with `num` the `num - 1` commits below each (`rev~1`, `rev~2`…). */
  readonly revs?: readonly string[];
  /** How many commits from each of `revs` and of the branches (default 1). */
  readonly num?: number;
  /** Outputs, `.dvc`/dvc.yaml files or stages to look at (default: all), relative to `tvc.cwd`. */
  readonly targets?: readonly string[];
  /** With targets: also the stages they depend on, upstream. */
  readonly withDeps?: boolean;
  /** With targets: a directory means every stage of the pipeline files below it. */
  readonly recursive?: boolean;
  /** A revision that cannot be read is skipped (listed in `failed`) instead of stopping everything. */
  readonly skipFailed?: boolean;
  /** Opens a `Tvc` on a revision's snapshot (default: `tvc.openAt`). */
  readonly openSnapshot?: OpenSnapshotTvc;
  /** Only the outputs it accepts count (DVC's `outs_filter`: `-r` against an output's `remote:`, `--max-size`, `--type`). */
  readonly outputFilter?: ((recorded: RecordedOutput) => boolean) | undefined;
}

/** One cache object in use, with the first output and revision found using it (for messages). */
export interface UsedObject {
  /** Lower-case md5; a directory's manifest ends with `.dir`. */
  readonly md5: string;
  readonly isDir: boolean;
  /** An `md5-dos2unix` hash from a DVC 2 entry: its object is in the legacy cache (`<cache>/<2>/<rest>`). */
  readonly legacy: boolean;
  /** The output's repo path (posix); for a file of a directory, `dir/relpath`. */
  readonly path: string;
  /** `workspace`, or the names of the revision (`main,v1`) as DVC shows them. */
  readonly rev: string;
  /** The output's `remote:` (DVC 3: its data goes to that remote rather than the default one). */
  readonly remote?: string | undefined;
}

/** A used directory whose manifest is not in the cache (or is damaged): its files are unknown. */
export interface MissingDirectory {
  readonly md5: string;
  readonly legacy: boolean;
  readonly path: string;
  readonly rev: string;
  readonly reason: 'missing' | 'corrupt';
}

export interface UsedObjects {
  /** Every used object once (the first user found is kept), manifests before their files. */
  readonly objects: UsedObject[];
  readonly missingDirectories: MissingDirectory[];
  /** The revisions looked at, in order (`workspace` first when included). */
  readonly revisions: string[];
  /** Revisions that could not be read (with `skipFailed`). */
  readonly failed: { readonly rev: string; readonly error: Error }[];
}

function git(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, maxBuffer: 1024 * 1024 * 1024, encoding: 'utf8' }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

async function refNames(gitRoot: string, prefix: string): Promise<string[]> {
  const names = lines(await git(gitRoot, ['for-each-ref', '--format=%(refname)', prefix]));
  return names.map((name) => name.slice(prefix.length + 1)).sort();
}

/** `rev`, then `rev~1`, `rev~2`… up to `num` commits while they exist (DVC's `_get_n_commits`). */
async function nCommits(reader: GitRevisionReader, revs: readonly string[], num: number): Promise<string[]> {
  const result: string[] = [];
  for (const rev of revs) {
    if (num === 0) continue;
    result.push(rev);
    for (let n = 1; n < num; n++) {
      const commit = await reader.readObject(`${rev}~${n}^{commit}`);
      if (commit?.type !== 'commit') break;
      result.push(commit.oid);
    }
  }
  return result;
}

/** Refs under `refs/exps` that are experiments (DVC's `exp_refs`: not stashes, queues or executors). */
const SKIPPED_EXP_NAMESPACES = ['refs/exps/apply', 'refs/exps/celery', 'refs/exps/exec', 'refs/exps/temp'];
const EXP_STASHES = new Set(['refs/exps/stash', 'refs/exps/celery/stash']);

/** Every commit of every experiment: from each ref's tip along first parents, down to (not including) its baseline. */
async function experimentCommits(gitRoot: string): Promise<string[]> {
  const refs = lines(await git(gitRoot, ['for-each-ref', '--format=%(refname)', 'refs/exps']));
  const commits = new Set<string>();
  for (const ref of refs) {
    if (EXP_STASHES.has(ref) || SKIPPED_EXP_NAMESPACES.some((space) => ref.startsWith(`${space}/`))) continue;
    const parts = ref.split('/');
    if (parts.length < 4 || parts.length > 5) continue;
    const baseline = `${parts[2]}${parts[3]}`;
    const chain = lines(await git(gitRoot, ['rev-list', '--first-parent', ref]));
    for (const commit of chain) {
      if (commit === baseline) break;
      commits.add(commit);
    }
  }
  return [...commits];
}

/** Every commit reachable from HEAD, the branches, tags and remote branches. */
async function allCommits(reader: GitRevisionReader, format?: string): Promise<string[]> {
  const head = await reader.readObject('HEAD^{commit}');
  const starts = head?.type === 'commit' ? ['HEAD'] : [];
  const formatting = format ? ['--no-commit-header', `--format=${format}`] : [];
  return lines(
    await git(reader.gitRoot, ['rev-list', ...formatting, ...starts, '--branches', '--tags', '--remotes']),
  );
}

/** The commits made on `date` (`YYYY-MM-DD`, local time, as DVC's `--date`) or later. */
async function commitsSince(reader: GitRevisionReader, date: string): Promise<string[]> {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const since = match ? new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : undefined;
  if (!since || Number.isNaN(since.getTime()) || since.getDate() !== Number(match?.[3])) {
    throw new TvcError('INVALID_DATE', `time data '${date}' does not match format '%Y-%m-%d'`, {
      hint: 'give the date as YYYY-MM-DD',
    });
  }
  const stamp = since.getTime() / 1000;
  return (await allCommits(reader, '%H %ct'))
    .map((line) => line.split(' '))
    .filter(([, time]) => Number(time) >= stamp)
    .map(([commit]) => commit!);
}

/** The revisions of a scope grouped by commit, each with the names it was asked by (DVC's `iter_revs`). */
async function revisionsOf(
  reader: GitRevisionReader,
  scope: UsedScope,
): Promise<{ commit: string; names: string[] }[]> {
  const gitRoot = reader.gitRoot;
  const num = scope.num ?? 1;
  const wanted: string[] = await nCommits(
    reader,
    (scope.revs ?? []).filter((rev) => rev !== WORKSPACE_REV),
    num,
  );
  if (scope.allCommits) {
    wanted.push(...(await allCommits(reader)));
  } else {
    if (scope.allBranches)
      wanted.push(...(await nCommits(reader, await refNames(gitRoot, 'refs/heads'), num)));
    if (scope.allTags) wanted.push(...(await refNames(gitRoot, 'refs/tags')));
    if (scope.commitDate !== undefined) wanted.push(...(await commitsSince(reader, scope.commitDate)));
  }
  if (scope.allExperiments) wanted.push(...(await experimentCommits(gitRoot)));
  const grouped = new Map<string, string[]>();
  for (const rev of wanted) {
    const commit = await reader.resolve(rev);
    const names = grouped.get(commit) ?? [];
    if (!names.includes(rev)) names.push(rev);
    grouped.set(commit, names);
  }
  return [...grouped].map(([commit, names]) => ({ commit, names }));
}

function hasRevisions(scope: UsedScope): boolean {
  return Boolean(
    (scope.revs ?? []).some((rev) => rev !== WORKSPACE_REV) ||
      scope.allBranches ||
      scope.allTags ||
      scope.allCommits ||
      scope.allExperiments ||
      scope.commitDate !== undefined,
  );
}

/** The stages the targets select (all without targets), with their upstream stages for `withDeps`. */
async function selectedStages(tvc: Tvc, scope: UsedScope): Promise<Stage[]> {
  const pipeline = await tvc.loadPipeline();
  const targets = scope.targets ?? [];
  if (targets.length === 0) return [...pipeline.stages];
  let stages = resolveTargets(pipeline, targets, { cwd: tvc.cwd, recursive: scope.recursive === true });
  if (scope.withDeps) {
    const closure = pipeline.graph.ancestors(stages);
    for (const stage of stages) closure.add(stage);
    stages = pipeline.stages.filter((stage) => closure.has(stage));
  }
  return stages;
}

/** A legacy (DVC 2) manifest read from `<cache>/<2>/<rest>`: JSON entries `{md5, relpath}`. */
async function readLegacyManifest(
  cacheRoot: string,
  md5: string,
): Promise<{ relpath: string; md5: string }[]> {
  const file = path.join(cacheRoot, md5.slice(0, 2), md5.slice(2));
  const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
  if (!Array.isArray(parsed)) throw new Error(`not a directory manifest: ${file}`);
  return parsed.map((entry: { md5?: unknown; relpath?: unknown }) => {
    if (
      typeof entry?.md5 !== 'string' ||
      typeof entry.relpath !== 'string' ||
      !/^[0-9a-f]{32}$/i.test(entry.md5)
    ) {
      throw new Error(`not a directory manifest: ${file}`);
    }
    return { relpath: entry.relpath, md5: entry.md5.toLowerCase() };
  });
}

type Manifest = { relpath: string; md5: string }[] | 'missing' | 'corrupt';

class Collector {
  readonly objects = new Map<string, UsedObject>();
  readonly missing = new Map<string, MissingDirectory>();
  readonly #manifests = new Map<string, Promise<Manifest>>();
  readonly #cache: ObjectCache;

  constructor(cache: ObjectCache) {
    this.#cache = cache;
  }

  #manifest(md5: string, legacy: boolean): Promise<Manifest> {
    const key = `${legacy ? 'legacy:' : ''}${md5}`;
    let pending = this.#manifests.get(key);
    if (!pending) {
      pending = (async (): Promise<Manifest> => {
        try {
          if (legacy) return await readLegacyManifest(this.#cache.root, md5);
          return (await this.#cache.readManifest(md5)).map(({ relpath, md5: file }) => ({
            relpath,
            md5: file,
          }));
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          return code === 'CACHE_MISSING' || code === 'ENOENT' ? 'missing' : 'corrupt';
        }
      })();
      this.#manifests.set(key, pending);
    }
    return pending;
  }

  #add(object: UsedObject): void {
    // an object used by outputs of different remotes goes to each of them
    const key = `${object.remote === undefined ? '' : `${object.remote}\0`}${object.legacy ? 'legacy:' : ''}${object.md5}`;
    if (!this.objects.has(key)) this.objects.set(key, object);
  }

  async collect(
    tvc: Tvc,
    stages: readonly Stage[],
    rev: string,
    accept?: (recorded: RecordedOutput) => boolean,
  ): Promise<void> {
    // A repository import's data comes back from its source: DVC does not count it as used.
    const counted = stages.filter((stage) => !isRepoImport(stage));
    for (const recorded of await recordedOutputs(tvc, counted)) {
      if (accept && !accept(recorded)) continue;
      const md5 = recorded.md5.toLowerCase();
      const repoPath = toPosix(path.relative(tvc.root, recorded.output.absolute));
      const isDir = md5.endsWith('.dir');
      const remote = recorded.output.remote;
      this.#add({ md5, isDir, legacy: recorded.legacy, path: repoPath, rev, remote });
      if (!isDir) continue;
      const manifest = await this.#manifest(md5, recorded.legacy);
      if (typeof manifest === 'string') {
        const key = `${recorded.legacy ? 'legacy:' : ''}${md5}`;
        if (!this.missing.has(key)) {
          this.missing.set(key, { md5, legacy: recorded.legacy, path: repoPath, rev, reason: manifest });
        }
        continue;
      }
      for (const entry of manifest) {
        this.#add({
          md5: entry.md5.toLowerCase(),
          isDir: false,
          legacy: recorded.legacy,
          path: `${repoPath}/${entry.relpath}`,
          rev,
          remote,
        });
      }
    }
  }
}

/**
 * The cache objects used by the `.dvc` files and dvc.lock outputs of the workspace and of the
 * revisions of `scope` (read from git, never checked out), DVC's `repo.used_objs`: each tracked
 * directory's `.dir` manifest and the file objects it lists (a manifest missing from the cache is
 * reported in `missingDirectories`, not fatal). Outputs of repository imports are not counted,
 * as in DVC (their data comes back from the source repository).
 */
export async function collectUsedObjects(tvc: Tvc, scope: UsedScope = {}): Promise<UsedObjects> {
  const cache = new Workspace(tvc.root);
  const collector = new Collector(cache.cache);
  const revisions: string[] = [];
  const failed: { rev: string; error: Error }[] = [];
  const outcomes = new Map<string, Error | undefined>();
  const attempt = async (rev: string, run: () => Promise<void>): Promise<Error | undefined> => {
    try {
      await run();
      revisions.push(rev);
      return undefined;
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      if (!scope.skipFailed) {
        // A revision's problem names the revision (its files are not the workspace's), as DVC.
        if (rev === WORKSPACE_REV || !(error instanceof TvcError)) throw error;
        throw new TvcError(error.code, `Failed to collect '${rev}': ${error.describe()}`, {
          hint: error.hint ?? 'fix the revision, or pass --skip-failed to skip it',
          cause: error,
        });
      }
      failed.push({ rev, error });
      return error;
    }
  };
  try {
    if (scope.workspace !== false) {
      await attempt(WORKSPACE_REV, async () =>
        collector.collect(tvc, await selectedStages(tvc, scope), WORKSPACE_REV, scope.outputFilter),
      );
    }
    if (hasRevisions(scope)) {
      const gitRoot = tvc.scmRoot;
      if (!gitRoot) {
        // As DVC without git: no branches, tags or commits to add; a revision or the experiments
        // cannot be had.
        if ((scope.revs ?? []).some((rev) => rev !== WORKSPACE_REV) || scope.allExperiments) {
          throw new TvcError('NO_SCM', 'Only supported for Git repositories.', {
            location: { file: tvc.root },
            hint: 'revisions and experiments need git: run `git init` and commit, or keep only the workspace (`-w`)',
          });
        }
        return finish(collector, revisions, failed);
      }
      const reader = new GitRevisionReader(gitRoot);
      const open: OpenSnapshotTvc =
        scope.openSnapshot ?? ((location) => tvc.openAt(location.root, location.cwd));
      const dvcRoot = toPosix(path.relative(gitRoot, tvc.root));
      try {
        for (const { commit, names } of await revisionsOf(reader, scope)) {
          const rev = names.join(',');
          // A commit from before the project existed has nothing to collect (DVC skips it).
          const tree = await reader.listTree(commit);
          if (dvcRoot && !tree.some((entry) => entry.path.startsWith(`${dvcRoot}/`))) continue;
          // Commits whose pipeline files are the same blobs use the same objects: read once.
          const key = revisionKey(tree, dvcRoot);
          if (outcomes.has(key)) {
            const error = outcomes.get(key);
            if (error) failed.push({ rev, error });
            else revisions.push(rev);
            continue;
          }
          outcomes.set(
            key,
            await attempt(rev, () =>
              withRevisionTvc(tvc, reader, commit, open, async (snapshotTvc) =>
                collector.collect(
                  snapshotTvc,
                  await selectedStages(snapshotTvc, scope),
                  rev,
                  scope.outputFilter,
                ),
              ),
            ),
          );
        }
      } finally {
        await reader.close();
      }
    }
  } finally {
    await cache.close().catch(() => {});
  }
  return finish(collector, revisions, failed);
}

/**
 * What a revision's used objects depend on: the blobs of its pipeline files (those a snapshot
 * writes, and Python files, which may be params) below the DVC root.
 */
function revisionKey(tree: readonly GitTreeEntry[], dvcRoot: string): string {
  const prefix = dvcRoot ? `${dvcRoot}/` : '';
  return tree
    .filter(
      (entry) =>
        entry.path.startsWith(prefix) &&
        (isRevisionFile(entry) || entry.path.endsWith('.py') || entry.path.endsWith('.gitignore')),
    )
    .map((entry) => `${entry.path}\0${entry.oid}`)
    .sort()
    .join('\n');
}

function finish(
  collector: Collector,
  revisions: string[],
  failed: { rev: string; error: Error }[],
): UsedObjects {
  // Manifests first: whoever removes objects in this order never leaves a manifest whose files are gone.
  const objects = [...collector.objects.values()].sort((a, b) => Number(b.isDir) - Number(a.isDir));
  return { objects, missingDirectories: [...collector.missing.values()], revisions, failed };
}

/** The used hashes as sets, per cache: `files/md5` (DVC 3) and the legacy cache (DVC 2 entries). */
export function usedHashes(used: UsedObjects): { md5: Set<string>; legacy: Set<string> } {
  const md5 = new Set<string>();
  const legacy = new Set<string>();
  for (const object of used.objects) (object.legacy ? legacy : md5).add(object.md5);
  return { md5, legacy };
}
