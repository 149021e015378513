import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import {
  GitRevisionReader,
  type PlannedParamsFile,
  planParams,
  reproduce,
  type SetParamsResult,
  type Tvc,
  TvcError,
  toPosix,
  withRevisionTvc,
} from '@tvc/core';
import type { OverridesByFile } from '@tvc/params';
import type { Git } from './git';

/** DVC's stash message: `dvc-exp:<rev>:<baseline>:<name>` (see `ExpStash.MESSAGE_FORMAT`). */
export function stashMessage(rev: string, baseline: string, name: string): string {
  return `dvc-exp:${rev}:${baseline}:${name}`;
}

const STASH_MESSAGE = /^dvc-exp:([0-9a-f]+):([0-9a-f]+):([^~^:\\?[\]*]*)(?::(.+))?$/;

/** The parts of a stash commit's message, or undefined when it is not one. */
export function parseStashMessage(
  message: string,
): { rev: string; baseline: string; name: string; branch: string | undefined } | undefined {
  const match = STASH_MESSAGE.exec(message.trim());
  if (!match) return undefined;
  return { rev: match[1]!, baseline: match[2]!, name: match[3]!, branch: match[4] };
}

/**
 * Before the workspace is recorded for a run elsewhere, data tracked by `.dvc` files that changed
 * is hashed into the cache and its `.dvc` file updated (DVC's `_stash_commit_deps`: `dvc commit`
 * of the data sources) — otherwise the copy would check out the old version from the cache and
 * the experiment would silently run on stale data. Returns the `.dvc` files it updated.
 */
export async function commitDataSources(tvc: Tvc): Promise<string[]> {
  const pipeline = await tvc.loadPipeline();
  const sources = pipeline.stages.filter((stage) => stage.kind === 'data');
  if (sources.length === 0) return [];
  const result = await reproduce(tvc, {
    targets: sources.map((stage) => path.join(tvc.root, stage.file)),
    single: true,
  });
  const failure = result.failures[0];
  if (failure) throw failure.error;
  return result.changedFiles.filter((file) => file.endsWith('.dvc'));
}

export interface StashOptions {
  readonly baseline: string;
  readonly name: string;
  /** `-S` overrides for this experiment (one combination: sweeps are expanded before). */
  readonly overrides?: OverridesByFile | readonly string[];
  /** The DVC root relative to the git root (`''` when they are the same). */
  readonly prefix: string;
  /**
   * Record this commit's tree instead of the workspace (a checkpoint to continue from); `-S`
   * overrides then edit the params files as that commit has them.
   */
  readonly from?: string | undefined;
}

export interface StashedExperiment {
  /** The stash commit: the workspace as the experiment will run it. */
  readonly sha: string;
  /** What the overrides changed (in the commit only: the workspace is untouched). */
  readonly params: SetParamsResult;
}

/**
 * Records the workspace as the commit an experiment will run from, without touching the
 * workspace, the index or HEAD: a temporary index (a copy of the real one, so staged files, new
 * ones included, are in it) gets the tracked files' changes (`add -u`) and the params files as the
 * `-S` overrides leave them; its tree becomes a commit whose parent is the baseline, with DVC's
 * stash message. The workspace's files stay as they were.
 */
export async function stashExperiment(tvc: Tvc, git: Git, options: StashOptions): Promise<StashedExperiment> {
  const from = options.from;
  // Each planned params file with its path in the git repository.
  const planned: { file: PlannedParamsFile; inRepo: string }[] = [];
  const inRepo = (root: string, file: string) =>
    toPosix(path.relative(git.root, path.join(tvc.root, path.relative(root, file))));
  if (options.overrides && from === undefined) {
    for (const file of await planParams(tvc, options.overrides))
      planned.push({ file, inRepo: inRepo(tvc.root, file.change.path) });
  } else if (options.overrides && from !== undefined) {
    // the params files as the checkpoint has them, edited
    const reader = new GitRevisionReader(git.root);
    try {
      const files = await withRevisionTvc(
        tvc,
        reader,
        from,
        (location) => tvc.openAt(location.root, location.cwd),
        async (snapshot) =>
          (await planParams(snapshot, options.overrides!)).map((file) => ({
            file,
            inRepo: inRepo(snapshot.root, file.change.path),
          })),
      );
      planned.push(...files);
    } finally {
      await reader.close();
    }
  }
  const realIndex = await git.gitPath('index');
  const index = `${realIndex}.tvc-stash-${process.pid}-${randomBytes(4).toString('hex')}`;
  const env = { GIT_INDEX_FILE: index };
  try {
    if (from !== undefined) {
      await git.raw(['read-tree', from], env);
    } else {
      if (!(await git.copyIndex(index))) await git.raw(['read-tree', options.baseline], env);
      await git.raw(['add', '-u', '--', '.'], env);
    }
    for (const { file, inRepo } of planned) {
      if (!file.writes) continue;
      if (inRepo.startsWith('../')) {
        throw new TvcError(
          'PATH_OUTSIDE_REPO',
          `params file '${file.change.file}' is outside the git repository`,
        );
      }
      const blob = await git.withInput(['hash-object', '-w', '--stdin'], file.text);
      if (blob.code !== 0) throw new TvcError('GIT_FAILED', `git hash-object failed: ${blob.stderr.trim()}`);
      await git.raw(['update-index', '--add', '--cacheinfo', `100644,${blob.stdout.trim()},${inRepo}`], env);
    }
    const tree = (await git.raw(['write-tree'], env)).trim();
    const made = await git.withInput(
      ['commit-tree', tree, '-p', options.baseline],
      stashMessage(options.baseline, options.baseline, options.name),
    );
    if (made.code !== 0) throw new TvcError('GIT_FAILED', `git commit-tree failed: ${made.stderr.trim()}`);
    return {
      sha: made.stdout.trim(),
      params: {
        files: planned.map(({ file }) => file.change),
        changed: planned.some(({ file }) => file.writes),
      },
    };
  } finally {
    await rm(index, { force: true });
  }
}
