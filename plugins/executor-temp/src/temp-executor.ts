import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  checkoutRecorded,
  type Executor,
  type ExecutorContext,
  type ExecutorResult,
  type ExecutorTask,
  type ExperimentContext,
  type ExperimentOutcome,
  type ExperimentTask,
  HOOK_STAGE,
  planRepro,
  reproduce,
  StageFailedError,
  type Tvc,
  TvcError,
  toPosix,
} from '@tvc/core';
import {
  CheckpointRecorder,
  claimWorkspace,
  commitExperiment,
  experimentHash,
  experimentPaths,
  fetchExperiment,
  Git,
  hasCheckpoints,
  removeCheckpointOutputs,
  removeWorkspace,
  TEMP_WORKSPACES,
} from '@tvc/experiments';

const run = promisify(execFile);

export { TEMP_WORKSPACES };

async function git(cwd: string, args: readonly string[], env?: Record<string, string>): Promise<string> {
  const { stdout } = await run('git', [...args], {
    cwd,
    env: env ? { ...process.env, ...env } : process.env,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/**
 * `.dvc/config.local` of the copy: the source's local config (remotes, credentials) with the
 * cache directory pointing at the source's cache, so that objects are shared, never copied.
 */
export function localConfigWithCache(existing: string | undefined, cacheDir: string): string {
  const line = `    dir = ${cacheDir}`;
  const lines = (existing ?? '')
    .split('\n')
    .filter((text, index, all) => index < all.length - 1 || text !== '');
  const header = lines.findIndex((text) => text.trim() === '[cache]');
  if (header === -1) return `${[...lines, '[cache]', line].join('\n')}\n`;
  let end = header + 1;
  while (end < lines.length && !lines[end]!.trim().startsWith('[')) end++;
  const section = lines.slice(header + 1, end).filter((text) => !/^\s*dir\s*=/.test(text));
  return `${[...lines.slice(0, header + 1), line, ...section, ...lines.slice(end)].join('\n')}\n`;
}

/**
 * Makes an isolated copy of the repository at a commit: a new git repository under
 * `.dvc/tmp/exps/` that borrows the source's objects (`objects/info/alternates`, nothing copied),
 * with the commit checked out (detached) and the source's identity, and a DVC config that shares the
 * source's cache. Returns the copy's git root and DVC root. The copy is marked as this process's
 * (`.git/tvc-owner`), so that one left by a killed process is swept by the next queue command.
 */
export async function prepareWorkspace(
  context: Pick<ExperimentContext, 'scmRoot' | 'dvcRoot' | 'cacheDir'>,
  rev: string,
): Promise<{ directory: string; dvcRoot: string }> {
  const parent = path.join(context.dvcRoot, TEMP_WORKSPACES);
  mkdirSync(parent, { recursive: true });
  const directory = mkdtempSync(path.join(parent, 'tmp'));
  // marked as this process's at once: if it dies, the next queue command removes the copy
  claimWorkspace(directory);
  try {
    return await fillWorkspace(context, rev, directory);
  } catch (error) {
    removeWorkspace(directory);
    throw error;
  }
}

async function fillWorkspace(
  context: Pick<ExperimentContext, 'scmRoot' | 'dvcRoot' | 'cacheDir'>,
  rev: string,
  directory: string,
): Promise<{ directory: string; dvcRoot: string }> {
  await git(directory, ['init', '-q']);
  const objects = path.resolve(
    context.scmRoot,
    (await git(context.scmRoot, ['rev-parse', '--git-common-dir'])).trim(),
    'objects',
  );
  writeFileSync(path.join(directory, '.git', 'objects', 'info', 'alternates'), `${objects}\n`);
  for (const key of ['user.name', 'user.email']) {
    const value = await git(context.scmRoot, ['config', '--get', key]).catch(() => '');
    if (value.trim()) await git(directory, ['config', key, value.trim()]);
  }
  await git(directory, ['-c', 'advice.detachedHead=false', 'checkout', '-q', '--detach', rev]);
  const prefix = path.relative(context.scmRoot, context.dvcRoot);
  const dvcRoot = path.join(directory, prefix);
  const sourceLocal = path.join(context.dvcRoot, '.dvc', 'config.local');
  const existing = existsSync(sourceLocal) ? readFileSync(sourceLocal, 'utf8') : undefined;
  mkdirSync(path.join(dvcRoot, '.dvc'), { recursive: true });
  writeFileSync(path.join(dvcRoot, '.dvc', 'config.local'), localConfigWithCache(existing, context.cacheDir));
  return { directory, dvcRoot };
}

function failure(error: unknown, workspace: string): ExperimentOutcome {
  if (error instanceof StageFailedError) {
    return {
      status: 'failed',
      workspace,
      error: {
        code: error.code,
        message: error.message,
        stage: error.stage.addressing,
        exitCode: error.exitCode,
      },
    };
  }
  return {
    status: 'failed',
    workspace,
    error: {
      code: error instanceof TvcError ? error.code : 'INTERNAL',
      message: error instanceof Error ? error.message : String(error),
    },
  };
}

/**
 * Runs an experiment in an isolated copy of the repository (see {@link prepareWorkspace}): the
 * outputs dvc.lock records are checked out from the shared cache, the pipeline is reproduced there,
 * the result is committed in the copy and fetched into the source repository as the experiment's
 * ref. The user's workspace is never touched. A successful copy is removed; a failed one is left
 * with its partial results (its path is in the outcome) for the caller to remove or keep
 * (`--keep-failed`).
 */
export class TempExecutor implements Executor {
  readonly specificationVersion = 'v1' as const;
  readonly name = 'temp';
  readonly #tvc: Tvc;

  constructor(tvc: Tvc) {
    this.#tvc = tvc;
  }

  supports(capability: string): boolean {
    return capability === 'experiments' || capability === 'commands';
  }

  /** Commands run as the local executor runs them (the copy is the working directory given). */
  run(task: ExecutorTask, context: ExecutorContext): Promise<ExecutorResult> {
    return this.#tvc.executor('local').run(task, context);
  }

  async runExperiment(task: ExperimentTask, context: ExperimentContext): Promise<ExperimentOutcome> {
    const { directory, dvcRoot } = await prepareWorkspace(context, task.rev);
    context.onWorkspace?.(directory);
    const log = context.log;
    let recorder: CheckpointRecorder | undefined;
    try {
      const tvc = await this.#tvc.openAt(dvcRoot);
      context.onTvc?.(tvc);
      log(`Reproducing experiment '${task.name}'\n`);
      const restored = await checkoutRecorded(tvc);
      if (restored.missing.length > 0) {
        log(`WARNING: the cache lacks ${restored.missing.join(', ')}; the stages making them will run\n`);
      }
      const copy = new Git(directory);
      const source = new Git(context.scmRoot);
      const prefix = toPosix(path.relative(directory, dvcRoot));
      const plan = planRepro(await tvc.loadPipeline(), task.repro, tvc.cwd);
      if (hasCheckpoints(plan)) {
        recorder = new CheckpointRecorder(copy, {
          baseline: task.baseline,
          name: task.name,
          parent: task.checkpoint?.parent ?? task.baseline,
          prefix,
          message: task.message,
        });
        if (task.checkpoint?.reset) removeCheckpointOutputs(plan);
      }
      const chain = recorder;
      // each checkpoint is fetched at once, so that it survives the copy
      const fetch = (sha: string) =>
        fetchExperiment(source, { from: directory, ref: chain!.ref, sha, name: task.name, force: true });
      const result = await reproduce(tvc, {
        ...task.repro,
        signal: context.signal,
        // as DVC's queued runs: the experiment's name and baseline, and the source repository's root
        env: { DVC_EXP_NAME: task.name, DVC_EXP_BASELINE_REV: task.baseline, DVC_ROOT: context.dvcRoot },
        checkpoint: chain
          ? async ({ stage, run }) => {
              const sha = await chain.checkpoint(tvc, run.plan, stage);
              await fetch(sha);
              log(`Checkpoint experiment iteration '${sha.slice(0, 7)}'.\n`);
            }
          : undefined,
      });
      const failed = result.failures[0];
      if (failed) throw failed.error;
      if (context.signal?.aborted) throw new TvcError('ABORTED', 'the experiment was killed');
      if (chain) {
        const { sha, expHash } = await chain.finish(tvc, [...result.outcomes.keys()], result.reproduced);
        if (chain.count > 0 || sha !== task.checkpoint?.parent) await fetch(sha);
        else await source.updateRef(chain.ref, sha, 'tvc: exp run'); // nothing new: the checkpoint continued is the result
        rmSync(directory, { recursive: true, force: true });
        return { status: 'success', ref: chain.ref, sha, expHash, checkpoints: chain.count };
      }
      const pipeline = await tvc.loadPipeline();
      const expHash = await experimentHash(tvc, result.reproduced);
      const committed = await commitExperiment(copy, {
        baseline: task.baseline,
        name: task.name,
        message: task.message || `dvc: commit experiment ${expHash}`,
        force: true,
        prefix,
        paths: experimentPaths(pipeline, [...result.outcomes.keys()]),
      });
      const fetched = await fetchExperiment(source, {
        from: directory,
        ref: committed.ref,
        sha: committed.sha,
        name: task.name,
        force: task.force,
      });
      rmSync(directory, { recursive: true, force: true });
      return { status: 'success', ref: fetched.ref, sha: fetched.sha, expHash };
    } catch (error) {
      const failed = failure(error, directory);
      const kept = recorder
        ? await new Git(context.scmRoot).resolveCommit(recorder.ref).catch(() => undefined)
        : undefined;
      if (!recorder || kept !== recorder.tip) return failed;
      return { ...failed, ref: recorder.ref, sha: recorder.tip, checkpoints: recorder.count };
    }
  }
}

/** Registers the `temp` executor. */
export class TempExecutorPlugin {
  static readonly PLUGIN_NAME = 'tvc:executor-temp';

  apply(tvc: Tvc): void {
    const executor = new TempExecutor(tvc);
    tvc.hooks.executor
      .for('temp')
      .tap({ name: TempExecutorPlugin.PLUGIN_NAME, stage: HOOK_STAGE.BUILTIN }, () => executor);
  }
}
