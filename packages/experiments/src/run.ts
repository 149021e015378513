import path from 'node:path';
import {
  RepoLock,
  type ReproOptions,
  type ReproResult,
  reproduce,
  type SetParamsResult,
  setParams,
  type Tvc,
  TvcError,
} from '@tvc/core';
import { commitExperiment, experimentHash, experimentPaths } from './commit';
import { Git } from './git';
import { checkName, experimentExists, unusedRandomName } from './names';
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
  readonly onStart?: (name: string) => void;
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
    let name = options.name;
    if (name !== undefined) {
      await checkName(git, baseline, name);
      if (taken.has(name) && !options.force) throw experimentExists(name);
    } else {
      name = unusedRandomName(taken);
    }
    options.onStart?.(name);
    const params =
      options.overrides && options.overrides.length > 0 ? await setParams(tvc, options.overrides) : undefined;
    const { overrides: _o, name: _n, message: _m, onStart: _s, ...repro } = options;
    const result = await reproduce(tvc, {
      ...repro,
      lockHeld: true,
      env: { ...repro.env, DVC_EXP_NAME: name, DVC_EXP_BASELINE_REV: baseline },
    });
    const failure = result.failures[0];
    if (failure) throw failure.error;
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
