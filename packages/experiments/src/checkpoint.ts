import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type ExperimentCheckpointStart,
  type ExperimentReproOptions,
  isCheckpointStage,
  LockFile,
  type Pipeline,
  planRepro,
  type Stage,
  type Tvc,
  TvcError,
  Workspace,
} from '@tvc/core';
import { commitExperiment, experimentHash, experimentPaths } from './commit';
import type { Git } from './git';
import { checkName, experimentExists, unusedRandomName } from './names';
import { type ExpRef, expRefName, findExperiment, listExperiments } from './refs';

/**
 * Checkpoint experiments (DVC 2's design). A pipeline stage with `checkpoint: true` outputs
 * signals checkpoints while it runs; each becomes a commit on the experiment's ref whose parent is
 * the previous checkpoint (the baseline for the first), so the checkpoints are the first-parent
 * chain from the ref's tip back to the baseline.
 */

/** Where the checkpoint experiment last run in this workspace is recorded (DVC kept a ref, EXEC_CHECKPOINT). */
export const LAST_CHECKPOINT_FILE = path.join('.dvc', 'tmp', 'tvc-last-checkpoint.json');

/** The longest chain walked (a guard against walking a whole history that is no chain). */
const MAX_CHAIN = 100_000;

export interface LastCheckpoint {
  readonly baseline: string;
  readonly name: string;
}

export function readLastCheckpoint(root: string): LastCheckpoint | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path.join(root, LAST_CHECKPOINT_FILE), 'utf8')) as LastCheckpoint;
    return typeof parsed.baseline === 'string' && typeof parsed.name === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function writeLastCheckpoint(root: string, last: LastCheckpoint): void {
  const file = path.join(root, LAST_CHECKPOINT_FILE);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(last)}\n`);
}

export function forgetLastCheckpoint(root: string): void {
  rmSync(path.join(root, LAST_CHECKPOINT_FILE), { force: true });
}

/** Whether a reproduction of these stages records checkpoints. */
export function hasCheckpoints(stages: readonly Stage[]): boolean {
  return stages.some((stage) => stage.kind === 'pipeline' && isCheckpointStage(stage));
}

/**
 * The commits from `tip` back to `baseline` by first parents, tip first, `baseline` excluded:
 * an experiment's checkpoints (one commit for an experiment without). Undefined when `baseline`
 * is not reached.
 */
export async function checkpointChain(
  git: Git,
  tip: string,
  baseline: string,
): Promise<string[] | undefined> {
  const out = await git.raw(['rev-list', '--first-parent', `--max-count=${MAX_CHAIN}`, tip]);
  const chain: string[] = [];
  for (const sha of out.split('\n')) {
    if (!sha) continue;
    if (sha === baseline) return chain;
    chain.push(sha);
  }
  return undefined;
}

export interface CheckpointStartOptions {
  /** `-n`. */
  readonly name?: string | undefined;
  /** `--rev`: continue from this checkpoint (a sha or an experiment's name). */
  readonly rev?: string | undefined;
  /** `--reset` (or `-f`): start over from the baseline, replacing the experiment's ref. */
  readonly reset?: boolean | undefined;
  readonly force?: boolean | undefined;
  /**
   * Without `-n`, take the checkpoint experiment last run in this workspace (default true; the
   * queue does not, so that queueing twice never continues one experiment twice).
   */
  readonly useLast?: boolean | undefined;
}

/** How a checkpoint run starts. */
export interface CheckpointStart {
  /** The experiment's name; undefined when a new random one is to be chosen. */
  readonly name: string | undefined;
  /** The commit the chain continues from: a checkpoint, or the baseline for a new chain. */
  readonly parent: string;
  /** The experiment continued (`Existing checkpoint experiment '…' will be resumed`). */
  readonly resumed: boolean;
  /** Checkpoint outputs are removed before the run. */
  readonly reset: boolean;
}

/**
 * Which experiment a checkpoint run records and where its chain continues from: `--rev` a chosen
 * checkpoint of one of the baseline's experiments (named as that experiment when it is its tip,
 * else `-n` or a new name); `--reset`/`-f` a new chain from the baseline (for `-n`, else the
 * experiment last run here, whose ref it replaces); otherwise `-n`, else the checkpoint
 * experiment last run in this workspace, continued from its tip when it exists.
 */
export async function checkpointStart(
  tvc: Tvc,
  git: Git,
  baseline: string,
  options: CheckpointStartOptions,
): Promise<CheckpointStart> {
  const experiments = (await listExperiments(git)).filter((exp) => exp.baseline === baseline);
  const byName = (name: string | undefined): ExpRef | undefined =>
    name === undefined ? undefined : experiments.find((exp) => exp.name === name);
  const last = readLastCheckpoint(tvc.root);
  const lastName = last && last.baseline === baseline && options.useLast !== false ? last.name : undefined;
  if (options.rev !== undefined) {
    const sha =
      (await findExperiment(git, options.rev, experiments))?.sha ?? (await git.resolveCommit(options.rev));
    const owners: ExpRef[] = [];
    if (sha) {
      for (const exp of experiments) {
        if ((await checkpointChain(git, exp.sha, baseline))?.includes(sha)) owners.push(exp);
      }
    }
    if (!sha || owners.length === 0) {
      throw new TvcError(
        'CHECKPOINT_NOT_FOUND',
        `Cannot resume from '${options.rev}': it is not a checkpoint of an experiment derived from HEAD (${baseline.slice(0, 7)})`,
        { hint: 'list them with `tvc exp show`; check out the experiment’s baseline first' },
      );
    }
    const name = options.name ?? owners.find((exp) => exp.sha === sha)?.name;
    const existing = byName(name);
    if (existing && existing.sha !== sha && !options.force) {
      throw new TvcError(
        'EXP_EXISTS',
        `Experiment '${name}' has checkpoints after '${sha.slice(0, 7)}': continuing from it would drop them`,
        { hint: 'name the new experiment with -n, or replace the old one with -f' },
      );
    }
    return { name, parent: sha, resumed: true, reset: false };
  }
  if (options.reset || options.force) {
    return { name: options.name ?? lastName, parent: baseline, resumed: false, reset: true };
  }
  const candidate = options.name ?? lastName;
  const existing = byName(candidate);
  if (existing) {
    if ((await checkpointChain(git, existing.sha, baseline)) === undefined)
      throw experimentExists(existing.name);
    return { name: existing.name, parent: existing.sha, resumed: true, reset: false };
  }
  return { name: options.name, parent: baseline, resumed: false, reset: false };
}

export interface CheckpointRecorderOptions {
  readonly baseline: string;
  readonly name: string;
  /** The chain continues from this commit (a checkpoint, or the baseline). */
  readonly parent: string;
  /** The DVC root relative to the git root. */
  readonly prefix: string;
  readonly message?: string | undefined;
}

/**
 * Makes an experiment's checkpoint commits in one repository (the workspace's, or a temporary
 * copy's): each commit's parent is the previous one and the ref follows, replaced whatever it held.
 */
export class CheckpointRecorder {
  readonly #git: Git;
  readonly #options: CheckpointRecorderOptions;
  #tip: string;
  #count = 0;

  constructor(git: Git, options: CheckpointRecorderOptions) {
    this.#git = git;
    this.#options = options;
    this.#tip = options.parent;
  }

  /** The chain's newest commit (the starting point until a checkpoint is made). */
  get tip(): string {
    return this.#tip;
  }

  /** Checkpoints made by this run. */
  get count(): number {
    return this.#count;
  }

  get ref(): string {
    return expRefName(this.#options.baseline, this.#options.name);
  }

  /**
   * Records a checkpoint of `stage`: the experiment hash over the stages planned up to it (those
   * reproduced so far, unchanged ones included, as DVC's `checkpoint_callback`), and the commit.
   */
  async checkpoint(tvc: Tvc, plan: readonly Stage[], stage: Stage): Promise<string> {
    const upTo = plan.slice(0, plan.indexOf(stage) + 1);
    const pipeline = await tvc.loadPipeline();
    const sha = await this.commit(pipeline, plan, await experimentHash(tvc, upTo), false);
    this.#count++;
    return sha;
  }

  /** The commit at the end of a successful run: none when the last checkpoint holds everything. */
  async finish(
    tvc: Tvc,
    plan: readonly Stage[],
    reproduced: readonly Stage[],
  ): Promise<{ sha: string; expHash: string }> {
    const pipeline = await tvc.loadPipeline();
    const expHash = await experimentHash(tvc, reproduced);
    return { sha: await this.commit(pipeline, plan, expHash, true), expHash };
  }

  async commit(
    pipeline: Pipeline,
    plan: readonly Stage[],
    expHash: string,
    keepUnchanged: boolean,
  ): Promise<string> {
    const committed = await commitExperiment(this.#git, {
      baseline: this.#options.baseline,
      name: this.#options.name,
      message: this.#options.message || `dvc: commit experiment ${expHash}`,
      force: true,
      prefix: this.#options.prefix,
      paths: experimentPaths(pipeline, plan),
      parent: this.#tip,
      keepUnchanged,
    });
    this.#tip = committed.sha;
    return committed.sha;
  }
}

/** Removes the checkpoint outputs of the stages planned (`--reset`). */
export function removeCheckpointOutputs(plan: readonly Stage[]): string[] {
  const removed: string[] = [];
  for (const stage of plan) {
    if (stage.kind !== 'pipeline') continue;
    for (const output of stage.outs) {
      if (!output.checkpoint) continue;
      rmSync(output.absolute, { recursive: true, force: true });
      removed.push(output.path);
    }
  }
  return removed;
}

/** A checkpoint experiment to run elsewhere (`--temp`, `--queue`): its name, start and stash source. */
export interface CheckpointTaskStart {
  readonly name: string;
  readonly start: CheckpointStart;
  /** The commit whose tree the stash records (a continued checkpoint), else the workspace. */
  readonly from: string | undefined;
  /** What the task carries to the executor. */
  readonly checkpoint: ExperimentCheckpointStart;
}

/**
 * For `--temp` and `--queue`: when the run records checkpoints (its planned stages have checkpoint
 * outputs, or `--rev` names a checkpoint), where it starts ({@link checkpointStart}) and its name
 * (a random one unused under the baseline when none is given or continued). Undefined otherwise.
 * Records the experiment as the one last run in this workspace (unless `useLast` is false).
 */
export async function checkpointTaskStart(
  tvc: Tvc,
  git: Git,
  baseline: string,
  taken: ReadonlySet<string>,
  options: CheckpointStartOptions & { readonly repro?: ExperimentReproOptions | undefined },
): Promise<CheckpointTaskStart | undefined> {
  if (options.rev === undefined) {
    const plan = planRepro(await tvc.loadPipeline(), options.repro ?? {}, tvc.cwd);
    if (!hasCheckpoints(plan)) return undefined;
  }
  const start = await checkpointStart(tvc, git, baseline, options);
  const name = start.name ?? unusedRandomName(taken);
  if (options.name !== undefined) await checkName(git, baseline, name);
  if (options.useLast !== false) writeLastCheckpoint(tvc.root, { baseline, name });
  return {
    name,
    start,
    from: start.resumed ? start.parent : undefined,
    checkpoint: { parent: start.parent, reset: start.reset },
  };
}

/**
 * The checkpoint outputs of `plan` whose content in the workspace is not what checkpoint `tip`
 * recorded (e.g. after `exp apply` of another experiment), as paths: a workspace run continues
 * from the workspace's outputs, so `exp run` warns about these.
 */
export async function outputsDifferingFrom(
  tvc: Tvc,
  git: Git,
  prefix: string,
  tip: string,
  plan: readonly Stage[],
): Promise<string[]> {
  const differing: string[] = [];
  const workspace = new Workspace(tvc.root);
  try {
    for (const stage of plan) {
      if (stage.kind !== 'pipeline' || !isCheckpointStage(stage)) continue;
      const lockPath = path.posix.join(prefix, path.posix.dirname(stage.file), 'dvc.lock');
      const text = await git.raw(['show', `${tip}:${lockPath}`]).catch(() => undefined);
      const entry =
        text === undefined
          ? undefined
          : LockFile.parse(text, path.join(git.root, lockPath), lockPath).get(stage.name);
      for (const output of stage.outs) {
        if (!output.checkpoint) continue;
        const recorded = entry?.outs?.find((item) => item.path === output.path)?.md5;
        const current = (await workspace.hash(output.absolute))?.md5;
        if (recorded !== current) differing.push(output.path);
      }
    }
  } finally {
    await workspace.close();
  }
  return differing;
}

/**
 * An experiment as {@link findExperiment} finds it (name, ref, tip), or else one of its
 * checkpoints by commit: the experiment with `sha` set to that checkpoint (`exp apply <checkpoint>`,
 * as DVC 2 allowed).
 */
export async function resolveExperimentOrCheckpoint(git: Git, query: string): Promise<ExpRef> {
  const experiments = await listExperiments(git);
  const found = await findExperiment(git, query, experiments);
  if (found) return found;
  const sha = await git.resolveCommit(query);
  if (sha) {
    for (const exp of experiments) {
      if ((await checkpointChain(git, exp.sha, exp.baseline))?.includes(sha)) return { ...exp, sha };
    }
  }
  throw new TvcError('EXP_NOT_FOUND', `'${query}' is not a valid experiment name`);
}
