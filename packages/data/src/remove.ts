import { rm } from 'node:fs/promises';
import path from 'node:path';
import { DATA_FILE_SUFFIX, RepoLock, removeFromGitignore, type Tvc, TvcError, toPosix } from '@tvc/core';

export interface RemoveOptions {
  /** Remove the tracked data from the workspace too (the cache keeps it). */
  readonly outs?: boolean;
}

export interface RemoveResult {
  /** The `.dvc` files removed, relative to the cwd. */
  readonly removed: readonly string[];
  /** The `.gitignore` files changed (or removed when left empty), relative to the cwd. */
  readonly gitignores: readonly string[];
}

/**
 * `tvc remove`: stops tracking data — each `.dvc` file named is deleted with its outputs'
 * `.gitignore` lines; the data stays in the workspace (and the cache) unless `outs`.
 */
export async function removeData(
  tvc: Tvc,
  targets: readonly string[],
  options: RemoveOptions = {},
): Promise<RemoveResult> {
  const pipeline = await tvc.loadPipeline();
  const planned = targets.map((target) => {
    const absolute = path.resolve(tvc.cwd, target);
    const repoPath = toPosix(path.relative(tvc.root, absolute));
    const stage = pipeline.stages.find(
      (candidate) => candidate.kind === 'data' && candidate.file === repoPath,
    );
    if (!target.endsWith(DATA_FILE_SUFFIX) || !stage) {
      throw new TvcError('TARGET_NOT_FOUND', `'${target}' is not a .dvc file of this repository`, {
        hint: 'name the .dvc file (`data.csv.dvc`); stages of dvc.yaml are removed by editing dvc.yaml',
      });
    }
    return { absolute, stage };
  });
  const lock = RepoLock.acquire(tvc.root, 'remove');
  const removed: string[] = [];
  const gitignores = new Set<string>();
  try {
    for (const { absolute, stage } of planned) {
      const outputs = stage.outs.filter((output) => output.cache).map((output) => output.absolute);
      for (const file of await removeFromGitignore(tvc.root, outputs)) {
        gitignores.add(toPosix(path.relative(tvc.cwd, path.join(tvc.root, file))));
      }
      if (options.outs) for (const output of outputs) await rm(output, { recursive: true, force: true });
      await rm(absolute, { force: true });
      removed.push(toPosix(path.relative(tvc.cwd, absolute)));
    }
  } finally {
    lock.release();
  }
  return { removed, gitignores: [...gitignores] };
}
