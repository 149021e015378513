import {
  commitStages,
  RepoLock,
  resolveTargets,
  StatusChecker,
  type Tvc,
  TvcError,
  Workspace,
} from '@tvc/core';
import { loadCheckedPipeline, withUpstream } from './recorded';
import { relinkSaved, removePlacementLeftovers } from './relink';

export interface CommitOptions {
  /** Commit stages whose dependencies or outputs changed, without asking. */
  readonly force?: boolean;
  /** A directory target means every `.dvc` file and stage below it. */
  readonly recursive?: boolean;
  /** The targets' upstream stages too (DVC's `--with-deps`). */
  readonly withDeps?: boolean;
  /** Leave the workspace as it is instead of linking it from the cache (DVC's `--no-relink`). */
  readonly noRelink?: boolean;
}

export interface CommitResult {
  /** The stages committed, as the user names them. */
  readonly stages: readonly string[];
  /** Files written (dvc.lock, `.dvc` files, .gitignore), relative to the DVC root. */
  readonly changedFiles: readonly string[];
}

/**
 * `tvc commit`: records the workspace's outputs of the targets (every stage when there are none)
 * in their `.dvc` files and dvc.lock and saves them into the cache (objects first, then the file
 * that names them, each written atomically). A stage whose dependencies or outputs changed is
 * refused without `force`, as DVC refuses when it cannot ask.
 */
export async function commitData(
  tvc: Tvc,
  targets: readonly string[] = [],
  options: CommitOptions = {},
): Promise<CommitResult> {
  const pipeline = await loadCheckedPipeline(tvc);
  let stages = resolveTargets(pipeline, targets, {
    cwd: tvc.cwd,
    recursive: options.recursive,
    outputs: true,
  });
  if (options.withDeps && targets.length > 0) stages = withUpstream(pipeline, stages);
  // A killed add, commit or checkout may have left temporaries inside a directory output.
  for (const stage of stages) {
    for (const output of stage.outs) if (output.cache) await removePlacementLeftovers(output.absolute);
  }
  if (!options.force) {
    const workspace = new Workspace(tvc.root);
    try {
      const checker = new StatusChecker(tvc, workspace);
      for (const stage of stages) {
        const status = await checker.status(stage);
        const changedOuts = Object.values(status.outs).some((state) => state !== 'not in cache');
        if (Object.keys(status.deps).length > 0 || changedOuts || status.commandChanged) {
          throw new TvcError('STAGE_CHANGED', `unable to commit changed stage: '${stage.addressing}'`, {
            hint: `use \`tvc commit -f ${stage.addressing}\` to commit it as the workspace has it`,
          });
        }
      }
    } finally {
      await workspace.close().catch(() => {});
    }
  }
  const selected = new Set(stages.map((stage) => `${stage.file}\0${stage.name}`));
  const result = await commitStages(tvc, { only: (stage) => selected.has(`${stage.file}\0${stage.name}`) });
  const committed = {
    stages: result.stages.map((stage) => stage.addressing),
    changedFiles: result.changedFiles,
  };
  if (options.noRelink) return committed;
  // As DVC's commit: the committed outputs linked from the cache as cache.type asks.
  const lock = RepoLock.acquire(tvc.root, 'commit');
  const workspace = new Workspace(tvc.root);
  try {
    for (const stage of result.stages) {
      for (const output of stage.outs) {
        if (!output.cache) continue;
        const hash = await workspace.hash(output.absolute);
        if (hash) await relinkSaved(workspace, output.absolute, hash);
      }
    }
  } finally {
    await workspace.close().catch(() => {});
    lock.release();
  }
  return committed;
}
