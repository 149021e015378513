import path from 'node:path';
import {
  configValue,
  type Executor,
  type ExperimentContext,
  type ExperimentOutcome,
  type ExperimentReproOptions,
  planParams,
  readDvcConfig,
  type Tvc,
  TvcError,
} from '@tvc/core';
import { parseOverrides } from '@tvc/params';
import { checkpointTaskStart } from './checkpoint';
import { chooseName } from './names';
import { listExperiments } from './refs';
import { baselineOf, type CheckpointRunInfo, gitOf } from './run';
import { commitDataSources, stashExperiment } from './stash';
import { keepWorkspace, removeWorkspace } from './temp-workspaces';

/** The executor named `name`, or a clear error when there is none or it cannot run experiments. */
export function experimentExecutor(
  tvc: Tvc,
  name: string,
): Executor & { runExperiment: NonNullable<Executor['runExperiment']> } {
  const executor = tvc.executor(name);
  if (!executor.runExperiment || !executor.supports('experiments')) {
    throw new TvcError('EXECUTOR_UNSUPPORTED', `the '${name}' executor cannot run experiments`, {
      hint: "use an executor that supports 'experiments' (built in: temp)",
    });
  }
  return executor as Executor & { runExperiment: NonNullable<Executor['runExperiment']> };
}

/** DVC's namespace for refs that live only while an experiment is set up or runs. */
export const TEMP_REF_NAMESPACE = 'refs/exps/temp';

/** The cache directory of a repository (`cache.dir`, or `.dvc/cache`), absolute. */
export function cacheDirectory(tvc: Tvc): string {
  return path.resolve(tvc.root, '.dvc', configValue(readDvcConfig(tvc.root), 'cache', 'dir') ?? 'cache');
}

export interface RunTempOptions {
  readonly overrides?: readonly string[];
  readonly name?: string;
  readonly message?: string;
  readonly force?: boolean;
  readonly repro?: ExperimentReproOptions;
  /** The executor (default `temp`). */
  readonly executor?: string;
  readonly signal?: AbortSignal;
  readonly log?: ExperimentContext['log'];
  readonly onTvc?: ExperimentContext['onTvc'];
  /** Called once the name is known, before anything runs. */
  readonly onStart?: (name: string, checkpoints?: CheckpointRunInfo) => void;
  /** `--rev`: continue from this checkpoint (a sha or an experiment's name). */
  readonly rev?: string;
  /** `--reset`: a checkpoint experiment starts over. */
  readonly reset?: boolean;
  /** `--keep-failed`: a failed run's temporary workspace is kept for its partial results (else removed). */
  readonly keepFailed?: boolean;
}

/**
 * `exp run --temp`: records the workspace (with the `-S` overrides applied in the commit only) as
 * a stash commit, runs it through the `temp` executor in an isolated copy, and leaves the result as
 * an experiment ref; the user's workspace is never touched. Sweeps are refused, as without `--queue`.
 * The copy is removed when the run ends, unless it failed and `keepFailed` asks to keep it.
 */
export async function runTempExperiment(
  tvc: Tvc,
  options: RunTempOptions = {},
): Promise<{ name: string; outcome: ExperimentOutcome }> {
  const { git, prefix } = gitOf(tvc);
  const baseline = await baselineOf(git);
  // `-S` mistakes (a missing key, a sweep, bad syntax) are refused before a name is chosen, with
  // the errors of a run in the workspace; the overrides go into the stash commit only.
  if (options.overrides && options.overrides.length > 0) await planParams(tvc, options.overrides);
  const overrides = parseOverrides(options.overrides ?? []);
  const taken = new Set(
    (await listExperiments(git)).filter((exp) => exp.baseline === baseline).map((exp) => exp.name),
  );
  const checkpoints = await checkpointTaskStart(tvc, git, baseline, taken, {
    name: options.name,
    rev: options.rev,
    reset: options.reset,
    force: options.force,
    repro: options.repro,
  });
  let name: string;
  if (checkpoints) {
    name = checkpoints.name;
    options.onStart?.(name, {
      resumedFrom: checkpoints.from,
      reset: checkpoints.start.reset ? [] : undefined,
    });
  } else {
    name = await chooseName(git, baseline, taken, options.name, { force: options.force });
    options.onStart?.(name);
  }
  await commitDataSources(tvc);
  const stashed = await stashExperiment(tvc, git, {
    baseline,
    name,
    prefix,
    overrides: overrides.size > 0 ? overrides : undefined,
    from: checkpoints?.from,
  });
  const ref = `${TEMP_REF_NAMESPACE}/${stashed.sha}`;
  await git.updateRef(ref, stashed.sha, 'tvc: exp run --temp');
  try {
    const executor = experimentExecutor(tvc, options.executor ?? 'temp');
    const outcome = await executor.runExperiment(
      {
        id: stashed.sha,
        name,
        baseline,
        rev: stashed.sha,
        repro: options.repro ?? {},
        message: options.message,
        force: options.force,
        checkpoint: checkpoints?.checkpoint,
      },
      {
        scmRoot: git.root,
        dvcRoot: tvc.root,
        cacheDir: cacheDirectory(tvc),
        signal: options.signal,
        log: options.log ?? (() => {}),
        onTvc: options.onTvc,
      },
    );
    if (outcome.workspace && !(options.keepFailed && outcome.status === 'failed')) {
      removeWorkspace(outcome.workspace);
      return { name, outcome: { ...outcome, workspace: undefined } };
    }
    if (outcome.workspace) keepWorkspace(outcome.workspace);
    return { name, outcome };
  } finally {
    await git.deleteRefs([ref]);
  }
}
