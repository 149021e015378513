import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  planParams,
  planRepro,
  RepoLock,
  type ReproOptions,
  type ReproResult,
  reproduce,
  type SetParamsResult,
  type Stage,
  setParams,
  type Tvc,
  TvcError,
  writeFileAtomic,
} from '@tvc/core';
import {
  CheckpointRecorder,
  checkpointStart,
  hasCheckpoints,
  outputsDifferingFrom,
  removeCheckpointOutputs,
  writeLastCheckpoint,
} from './checkpoint';
import { commitExperiment, experimentHash, experimentPaths } from './commit';
import { Git } from './git';
import { checkName, chooseName, unusedRandomName } from './names';
import { listExperiments } from './refs';

export interface RunExperimentOptions extends Omit<ReproOptions, 'lockHeld' | 'dry'> {
  /** `-S` overrides (`[file:]key=value`); sweeps are refused, as without `--queue` in DVC. */
  readonly overrides?: readonly string[];
  /** `-n`: the experiment's name (default: a random `adjective-noun`). */
  readonly name?: string;
  /** `-m`: the commit message (default `dvc: commit experiment <exp_hash>`). */
  readonly message?: string;
  /** `-f`: replace an experiment of the same name (and run every stage, as `repro -f`). */
  readonly force?: boolean;
  /** Called once the name is known, before anything changes. */
  readonly onStart?: (name: string, checkpoints?: CheckpointRunInfo) => void;
  /** `--reset`: a checkpoint experiment starts over (its checkpoint outputs removed, its ref replaced). */
  readonly reset?: boolean;
  /** Called after each checkpoint commit. */
  readonly onCheckpoint?: (checkpoint: CheckpointMade) => void;
}

/** How a checkpoint run started. */
export interface CheckpointRunInfo {
  /** Continued from an existing checkpoint (this commit). */
  readonly resumedFrom: string | undefined;
  /** Started over: the checkpoint outputs that were removed. */
  readonly reset: readonly string[] | undefined;
}

/** A checkpoint recorded: its commit, the experiment's ref, and how many this run made. */
export interface CheckpointMade {
  readonly sha: string;
  readonly ref: string;
  readonly count: number;
}

/** A failed checkpoint run: the checkpoints made before the failure are kept on the ref. */
export class CheckpointRunError extends TvcError {
  readonly ref: string;
  /** The ref's commit (the last checkpoint). */
  readonly sha: string;
  /** Checkpoints this run made. */
  readonly count: number;

  constructor(error: TvcError, recorder: CheckpointRecorder) {
    super(error.code, error.message, { hint: error.hint, location: error.location, cause: error });
    this.ref = recorder.ref;
    this.sha = recorder.tip;
    this.count = recorder.count;
  }
}

export interface RunExperimentResult {
  readonly name: string;
  readonly ref: string;
  readonly sha: string;
  readonly baseline: string;
  readonly expHash: string;
  readonly params: SetParamsResult | undefined;
  readonly repro: ReproResult;
}

/** The `repro` options among `exp run`'s. */
function reproOptions(options: RunExperimentOptions): Omit<ReproOptions, 'lockHeld' | 'dry'> {
  const {
    overrides: _o,
    name: _n,
    message: _m,
    onStart: _s,
    reset: _r,
    onCheckpoint: _c,
    ...repro
  } = options;
  return repro;
}

/** The git repository of a Tvc, and the DVC root's place in it. */
export function gitOf(tvc: Tvc): { git: Git; prefix: string } {
  if (!tvc.scmRoot) {
    throw new TvcError('NOT_A_GIT_REPOSITORY', 'experiments need a git repository', {
      hint: 'run `git init` and commit the project first',
    });
  }
  return {
    git: new Git(tvc.scmRoot),
    prefix: path.relative(tvc.scmRoot, tvc.root).split(path.sep).join('/'),
  };
}

/** HEAD, with the error DVC gives before the first commit. */
export async function baselineOf(git: Git): Promise<string> {
  const sha = await git.resolveCommit('HEAD');
  if (!sha) {
    throw new TvcError(
      'NO_COMMITS',
      'experiments need a baseline commit: the repository has no commits yet',
      {
        hint: 'commit the project (git add, git commit) first',
      },
    );
  }
  return sha;
}

/**
 * `exp run` in the workspace: applies the `-S` overrides, reproduces, and records the result as an
 * experiment commit on top of HEAD (`refs/exps/…/<name>`). HEAD, the branch and the index do not
 * move; the results stay in the workspace. A failed stage leaves no ref and keeps the partial
 * results. Holds the repository lock throughout, so a second run at the same time fails at once.
 */
export async function runExperiment(
  tvc: Tvc,
  options: RunExperimentOptions = {},
): Promise<RunExperimentResult> {
  const { git, prefix } = gitOf(tvc);
  const baseline = await baselineOf(git);
  const lock = RepoLock.acquire(tvc.root, 'exp run');
  try {
    const taken = new Set(
      (await listExperiments(git)).filter((exp) => exp.baseline === baseline).map((exp) => exp.name),
    );
    // `-S` mistakes (a missing key, a sweep, bad syntax) are refused before a name is chosen or
    // anything runs: nothing is written until the overrides are known to apply.
    if (options.overrides && options.overrides.length > 0) await planParams(tvc, options.overrides);
    const repro = reproOptions(options);
    const plan = planRepro(await tvc.loadPipeline(), repro, tvc.cwd);
    if (hasCheckpoints(plan))
      return await runCheckpointExperiment(tvc, git, prefix, baseline, taken, plan, options);
    const name = await chooseName(git, baseline, taken, options.name, { force: options.force });
    options.onStart?.(name);
    const params =
      options.overrides && options.overrides.length > 0 ? await setParams(tvc, options.overrides) : undefined;
    const result = await reproduce(tvc, {
      ...repro,
      lockHeld: true,
      env: { ...repro.env, DVC_EXP_NAME: name, DVC_EXP_BASELINE_REV: baseline },
    });
    const failure = result.failures[0];
    // `--ignore-errors`: the experiment is recorded with what the stages that ran produced (DVC's).
    if (failure && options.onError !== 'ignore') throw failure.error;
    const pipeline = await tvc.loadPipeline();
    const expHash = await experimentHash(tvc, result.reproduced);
    const committed = await commitExperiment(git, {
      baseline,
      name,
      message: options.message || `dvc: commit experiment ${expHash}`,
      force: options.force,
      prefix: prefix === '' ? '' : prefix,
      paths: experimentPaths(pipeline, [...result.outcomes.keys()]),
    });
    return { name, ref: committed.ref, sha: committed.sha, baseline, expHash, params, repro: result };
  } finally {
    lock.release();
  }
}

/**
 * `exp run --dry`: what the experiment would run, with its `-S` overrides, recording nothing. The
 * overrides are written for the dry reproduction (so the params' changes are seen as the run would
 * see them) and every params file is put back byte for byte afterwards, under the repository lock.
 * DVC runs its dry experiments in a temporary copy; nothing is run here, so the workspace serves.
 */
export async function dryRunExperiment(
  tvc: Tvc,
  options: Omit<RunExperimentOptions, 'name' | 'message' | 'onStart' | 'reset' | 'onCheckpoint'> = {},
): Promise<ReproResult> {
  const { overrides = [], ...repro } = options;
  const lock = RepoLock.acquire(tvc.root, 'exp run --dry');
  const originals = new Map<string, Buffer | undefined>();
  try {
    if (overrides.length > 0) {
      for (const planned of await planParams(tvc, overrides)) {
        const file = planned.change.path;
        originals.set(file, existsSync(file) ? await readFile(file) : undefined);
      }
      await setParams(tvc, overrides);
    }
    return await reproduce(tvc, { ...repro, dry: true, lockHeld: true });
  } finally {
    for (const [file, bytes] of originals) {
      await (bytes === undefined ? rm(file, { force: true }) : writeFileAtomic(file, bytes));
    }
    lock.release();
  }
}

/**
 * `exp run` of a pipeline with checkpoint stages, in the workspace: continues the experiment
 * ({@link checkpointStart}), commits each checkpoint on its ref as the stage signals it, and a last
 * commit when the run ends with changes since the last checkpoint. A failure (or Ctrl+C) leaves
 * the ref at the last checkpoint ({@link CheckpointRunError}).
 */
async function runCheckpointExperiment(
  tvc: Tvc,
  git: Git,
  prefix: string,
  baseline: string,
  taken: ReadonlySet<string>,
  plan: readonly Stage[],
  options: RunExperimentOptions,
): Promise<RunExperimentResult> {
  const start = await checkpointStart(tvc, git, baseline, {
    name: options.name,
    reset: options.reset,
    force: options.force,
  });
  const name = start.name ?? unusedRandomName(taken);
  if (start.name === undefined || options.name !== undefined) await checkName(git, baseline, name);
  writeLastCheckpoint(tvc.root, { baseline, name });
  const removed = start.reset ? removeCheckpointOutputs(plan) : undefined;
  if (start.resumed) {
    const differing = await outputsDifferingFrom(tvc, git, prefix, start.parent, plan);
    if (differing.length > 0) {
      tvc.hooks.log.call({
        level: 'warn',
        message: `${differing.map((file) => `'${file}'`).join(', ')} in the workspace ${differing.length === 1 ? 'is' : 'are'} not what checkpoint '${start.parent.slice(0, 7)}' of '${name}' recorded; the run continues from the workspace's (\`tvc exp apply ${name}\` first to continue from the checkpoint, or --reset to start over)`,
      });
    }
  }
  options.onStart?.(name, { resumedFrom: start.resumed ? start.parent : undefined, reset: removed });
  const params =
    options.overrides && options.overrides.length > 0 ? await setParams(tvc, options.overrides) : undefined;
  const recorder = new CheckpointRecorder(git, {
    baseline,
    name,
    parent: start.parent,
    prefix,
    message: options.message,
  });
  const repro = reproOptions(options);
  try {
    const result = await reproduce(tvc, {
      ...repro,
      lockHeld: true,
      env: { ...repro.env, DVC_EXP_NAME: name, DVC_EXP_BASELINE_REV: baseline },
      checkpoint: async ({ stage, run }) => {
        const sha = await recorder.checkpoint(tvc, run.plan, stage);
        options.onCheckpoint?.({ sha, ref: recorder.ref, count: recorder.count });
      },
    });
    const failure = result.failures[0];
    if (failure) throw failure.error;
    const { sha, expHash } = await recorder.finish(tvc, [...result.outcomes.keys()], result.reproduced);
    return { name, ref: recorder.ref, sha, baseline, expHash, params, repro: result };
  } catch (error) {
    if (error instanceof TvcError && (await git.resolveCommit(recorder.ref)) === recorder.tip) {
      throw new CheckpointRunError(error, recorder);
    }
    throw error;
  }
}
