import { rm } from 'node:fs/promises';
import path from 'node:path';
import {
  DATA_FILE_SUFFIX,
  LOCK_FILE,
  LockFile,
  RepoLock,
  removeFromGitignore,
  resolveTarget,
  type Stage,
  type Tvc,
  TvcError,
  toPosix,
} from '@tvc/core';
import { removeStage } from './pipeline-stage';
import { loadCheckedPipeline } from './recorded';

export interface RemoveOptions {
  /** Remove the outputs from the workspace too (the cache keeps them). */
  readonly outs?: boolean;
}

export interface RemoveResult {
  /** The `.dvc` files removed and the dvc.yaml/dvc.lock files changed, relative to the cwd. */
  readonly removed: readonly string[];
  /** The `.gitignore` files changed (or removed when left empty), relative to the cwd. */
  readonly gitignores: readonly string[];
}

/** The stages a target names: a `.dvc` file, or a stage of a dvc.yaml (`name`, `path/dvc.yaml:name`). */
function targetStages(tvc: Tvc, pipeline: Awaited<ReturnType<Tvc['loadPipeline']>>, target: string): Stage[] {
  if (target.endsWith(DATA_FILE_SUFFIX)) {
    const repoPath = toPosix(path.relative(tvc.root, path.resolve(tvc.cwd, target)));
    const stage = pipeline.stages.find(
      (candidate) => candidate.kind === 'data' && candidate.file === repoPath,
    );
    if (!stage) {
      throw new TvcError('TARGET_NOT_FOUND', `'${target}' is not a .dvc file of this repository`, {
        hint: 'name a .dvc file (`data.csv.dvc`) or a stage of dvc.yaml',
      });
    }
    return [stage];
  }
  return resolveTarget(pipeline, target, { cwd: tvc.cwd, outputs: false });
}

/**
 * `tvc remove`: stops tracking — a `.dvc` file is deleted, a dvc.yaml stage is cut out of its
 * dvc.yaml and dvc.lock (each file removed when its last stage goes, as DVC does); the outputs'
 * `.gitignore` lines go too. The data stays in the workspace (and the cache) unless `outs`.
 */
export async function removeData(
  tvc: Tvc,
  targets: readonly string[],
  options: RemoveOptions = {},
): Promise<RemoveResult> {
  const pipeline = await loadCheckedPipeline(tvc);
  const stages = [...new Set(targets.flatMap((target) => targetStages(tvc, pipeline, target)))];
  const lock = RepoLock.acquire(tvc.root, 'remove');
  const removed = new Set<string>();
  const gitignores = new Set<string>();
  const label = (absolute: string) => toPosix(path.relative(tvc.cwd, absolute));
  try {
    for (const stage of stages) {
      const outputs = stage.outs.filter((output) => output.cache).map((output) => output.absolute);
      for (const file of await removeFromGitignore(tvc.root, outputs)) {
        gitignores.add(label(path.join(tvc.root, file)));
      }
      if (options.outs) for (const output of outputs) await rm(output, { recursive: true, force: true });
      const file = path.join(tvc.root, stage.file);
      if (stage.kind === 'data') {
        await rm(file, { force: true });
      } else {
        await removeStage(file, stage.name, label(file));
        const lockPath = path.join(path.dirname(file), LOCK_FILE);
        const lockFile = await LockFile.read(lockPath, label(lockPath));
        if (lockFile.get(stage.name)) {
          lockFile.delete(stage.name);
          await lockFile.write();
          removed.add(label(lockPath));
        }
      }
      removed.add(label(file));
    }
  } finally {
    lock.release();
  }
  return { removed: [...removed], gitignores: [...gitignores] };
}
