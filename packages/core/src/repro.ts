import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PathHash } from '@tvc/hash';
import { getParam, type ParamsValue } from '@tvc/params';
import { writeFileAtomic } from './atomic-write';
import {
  CHECKPOINT_ENV_FILE,
  CHECKPOINT_ENV_FLAG,
  CHECKPOINT_ENV_PID,
  type CheckpointWatch,
  checkpointSignalPath,
  watchCheckpoints,
} from './checkpoint-signal';
import { TvcError } from './errors';
import type { ExecutorResult } from './executor';
import { addToGitignore, assertInGitRepository, removeFromGitignore } from './gitignore';
import { type LockEntry, type LockItem, toLockEntry } from './lockfile';
import { isWithin, toPosix } from './paths';
import type { Pipeline } from './pipeline';
import { RepoLock } from './repo-lock';
import { canUseRunCache, RunCache } from './run-cache';
import { clearRunning, describeStaleRun, recordRunning, type StaleRun, staleRuns } from './running-stages';
import { externalLabel, type Stage, type StageOutput, stageCommands } from './stage';
import { isCallbackStage, isCheckpointStage, needsRun, type StageStatus, StatusChecker } from './status';
import { resolveTargets } from './targets';
import { decodeUtf8 } from './text-decode';
import type { Tvc } from './tvc';
import { Workspace } from './workspace';
import { isMap, isScalar, isSeq, yaml } from './yaml-lib';

export interface ReproOptions {
  /** Stages, files or directories (with `recursive`); default `dvc.yaml` in the cwd. */
  readonly targets?: readonly string[];
  /** `-f`: run even when nothing changed. */
  readonly force?: boolean;
  /** `-s`: only the targets, not their dependencies. */
  readonly single?: boolean;
  /** `--downstream`: the targets and what depends on them. */
  readonly downstream?: boolean;
  /** `-p`: the whole pipelines the targets belong to. */
  readonly pipeline?: boolean;
  /** `-P`: every pipeline of the repository. */
  readonly allPipelines?: boolean;
  /**
   * `--allow-missing`: a stage whose only changes are missing data (deleted dependencies, outputs
   * deleted or not in the cache) is not reproduced, as DVC's. Dependencies an upstream stage of
   * this run rewrites are not missing: that stage changed them.
   */
  readonly allowMissing?: boolean;
  /** `--dry`: print what would run, change nothing. */
  readonly dry?: boolean;
  /**
   * `--no-commit`: the stages run and dvc.lock records their outputs' hashes, but nothing goes into
   * the cache or the run-cache (DVC's; `tvc commit` caches them later).
   */
  readonly noCommit?: boolean;
  /** `-k` / `--ignore-errors`. */
  readonly onError?: 'fail' | 'keep-going' | 'ignore';
  /** `--force-downstream`: a stage that ran forces its dependents. */
  readonly forceDownstream?: boolean;
  /** `--no-run-cache`: do not restore from the run-cache. */
  readonly noRunCache?: boolean;
  readonly glob?: boolean;
  readonly recursive?: boolean;
  /** `-j`: independent stages run at the same time, up to this many. */
  readonly jobs?: number;
  /** `-i`: asked before each stage runs; false aborts the reproduction. */
  readonly confirm?: (question: string) => Promise<boolean>;
  /** Aborting stops the running commands (their process groups) and starts nothing new. */
  readonly signal?: AbortSignal;
  /** The caller already holds the repository lock (`exp run` holds it from `-S` to the commit). */
  readonly lockHeld?: boolean;
  /**
   * Added to every command's environment, over `DVC_ROOT` and `DVC_STAGE` (experiments set
   * `DVC_EXP_NAME` and `DVC_EXP_BASELINE_REV`, as DVC does for DVCLive).
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Records checkpoints (`exp run`). While a stage with `checkpoint: true` outputs runs, its
   * command may signal a checkpoint (the protocol is in `checkpoint-signal.ts`): its outputs are
   * then saved to the cache, its lock entry written, and this is awaited before the command
   * continues. A throw kills the command and fails the stage. Without it, checkpoint stages run as
   * any stage with persistent outputs and their commands are not told about checkpoints.
   */
  readonly checkpoint?: (event: StageEvent) => Promise<void>;
  /** How often the checkpoint signal file is looked for (default 100 ms). */
  readonly checkpointPollMs?: number;
}

/** How a stage ended in a reproduction. */
export type StageOutcome = 'skipped' | 'ran' | 'cached' | 'verified' | 'dry' | 'failed' | 'not-run';

/** One reproduction, passed to the lifecycle hooks. */
export interface ReproRun {
  readonly options: ReproOptions;
  /** The stages considered, dependencies first. */
  readonly plan: readonly Stage[];
  readonly jobs: number;
}

export interface StageEvent {
  readonly stage: Stage;
  readonly run: ReproRun;
}

export interface ReproResult {
  readonly outcomes: ReadonlyMap<Stage, StageOutcome>;
  /** Stages that ran or were restored (DVC's "reproduced"). */
  readonly reproduced: readonly Stage[];
  /** Files tvc changed that git should track (dvc.lock, .gitignore, .dvc files), repo-relative. */
  readonly changedFiles: readonly string[];
  readonly failures: readonly { stage: Stage; error: TvcError }[];
}

/** A stage's command failed. */
export class StageFailedError extends TvcError {
  readonly stage: Stage;
  readonly exitCode: number | null;

  constructor(
    stage: Stage,
    message: string,
    exitCode: number | null,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super('STAGE_FAILED', `failed to reproduce '${stage.addressing}': ${message}`, {
      location: stage.location,
      ...options,
    });
    this.stage = stage;
    this.exitCode = exitCode;
  }
}

const execFileAsync = promisify(execFile);

/** "'a'", "'a' and 'b'", "'a', 'b' and 'c'" — as DVC joins names. */
export function joinNames(names: readonly string[]): string {
  const quoted = names.map((name) => `'${name}'`);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
}

/** The dependencies repro follows: a frozen stage's upstream is cut (DVC's active graph). */
function activeDependencies(pipeline: Pipeline, stage: Stage): Iterable<Stage> {
  return stage.frozen ? [] : pipeline.graph.dependencies(stage);
}

function reach(starts: readonly Stage[], next: (stage: Stage) => Iterable<Stage>): Set<Stage> {
  const seen = new Set<Stage>(starts);
  const stack = [...starts];
  while (stack.length > 0) {
    for (const neighbour of next(stack.pop()!)) {
      if (!seen.has(neighbour)) {
        seen.add(neighbour);
        stack.push(neighbour);
      }
    }
  }
  return seen;
}

/** The stages a reproduction considers, dependencies first (DVC's plan_repro). */
export function planRepro(pipeline: Pipeline, options: ReproOptions, cwd: string): Stage[] {
  const all = options.allPipelines === true;
  const wholePipeline = !all && options.pipeline === true;
  const downstream = !all && !wholePipeline && options.downstream === true;
  const single = !all && !wholePipeline && options.single === true;
  const targets = all
    ? []
    : resolveTargets(
        pipeline,
        options.targets && options.targets.length > 0 ? options.targets : ['dvc.yaml'],
        {
          cwd,
          recursive: options.recursive,
          glob: options.glob,
          outputs: false,
        },
      );
  if (single) return targets;
  const dependencies = (stage: Stage) => activeDependencies(pipeline, stage);
  const dependents = (stage: Stage) =>
    [...pipeline.graph.dependents(stage)].filter((dependent) => !dependent.frozen);
  let keep: Set<Stage>;
  if (all) keep = new Set(pipeline.stages);
  else if (wholePipeline) keep = reach(targets, (stage) => [...dependencies(stage), ...dependents(stage)]);
  else keep = reach(targets, downstream ? dependents : dependencies);
  return pipeline.postorder(keep, dependencies);
}

/** Serialises async sections (lock and .gitignore writes of concurrent stages). */
class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(section);
    this.#tail = result.catch(() => {});
    return result;
  }
}

interface Context {
  readonly tvc: Tvc;
  readonly pipeline: Pipeline;
  readonly workspace: Workspace;
  readonly checker: StatusChecker;
  readonly runCache: RunCache;
  readonly run: ReproRun;
  readonly options: ReproOptions;
  readonly metadata: Mutex;
  /** Checkpoint stages share one signal file, so they run one at a time. */
  readonly checkpoints: Mutex;
  readonly changedFiles: Set<string>;
  /** Outputs whose .gitignore line this run added (taken back if the run fails, as DVC does). */
  readonly ignored: string[];
}

function repoLabel(context: Context, absolute: string): string {
  return toPosix(path.relative(context.tvc.root, absolute));
}

async function hashRequired(
  context: Context,
  stage: Stage,
  target: { path: string; absolute: string },
  what: string,
): Promise<PathHash> {
  const hash = await context.workspace.hash(target.absolute);
  if (!hash) {
    throw new StageFailedError(stage, `${what} '${target.path}' does not exist`, null, {
      hint:
        what === 'dependency'
          ? 'create it, or reproduce the stage that produces it'
          : 'the command must write it',
    });
  }
  return hash;
}

function itemOf(target: { path: string }, hash: PathHash): LockItem {
  return {
    path: target.path,
    hash: 'md5',
    md5: hash.md5,
    size: hash.size,
    ...(hash.kind === 'directory' ? { nfiles: hash.nfiles } : {}),
    ...(hash.kind === 'file' && hash.isexec ? { isexec: true } : {}),
  };
}

async function paramsValues(context: Context, stage: Stage) {
  const result: { file: string; values: Record<string, ParamsValue> }[] = [];
  for (const params of stage.params) {
    if (!existsSync(params.absolute)) {
      throw new StageFailedError(stage, `Parameters file '${params.path}' does not exist`, null);
    }
    const tree = await context.checker.readParams(params.absolute);
    const values: Record<string, ParamsValue> = {};
    if (params.keys === null) Object.assign(values, tree);
    else {
      const missing: string[] = [];
      for (const key of params.keys) {
        const value = getParam(tree, key);
        if (value === undefined) missing.push(key);
        else values[key] = value;
      }
      if (missing.length > 0) {
        throw new StageFailedError(
          stage,
          `Parameters '${missing.join(', ')}' are missing from '${params.path}'.`,
          null,
        );
      }
    }
    result.push({ file: params.path, values });
  }
  return result;
}

async function depItems(context: Context, stage: Stage): Promise<LockItem[]> {
  const paths = Promise.all(
    stage.deps.map(async (dep) => itemOf(dep, await hashRequired(context, stage, dep, 'dependency'))),
  );
  const external = Promise.all(
    stage.externalDeps.map(async (dep): Promise<LockItem> => {
      const resolver = context.tvc.hooks.externalDependency.call(dep);
      if (!resolver) {
        throw new StageFailedError(stage, `no plugin reads dependency '${externalLabel(dep)}'`, null);
      }
      return { ...(await resolver.info(dep)), path: dep.path } as LockItem;
    }),
  );
  return [...(await paths), ...(await external)];
}

/**
 * Removes a stage's outputs before it runs, as DVC does. Persistent ones are kept, but the cached
 * ones are unprotected (links into the cache become private copies): the command may modify them.
 */
async function removeOutputs(stage: Stage, context: Context): Promise<void> {
  for (const output of stage.outs) {
    if (output.persist) {
      if (output.cache) await context.workspace.unprotect(output.absolute);
      context.checker.forget(output.absolute);
      continue;
    }
    await rm(output.absolute, { recursive: true, force: true });
    context.checker.forget(output.absolute);
  }
}

/** Updates the md5/size/nfiles of a `.dvc` file's outputs, keeping everything else of the file. */
async function updateDataFile(context: Context, stage: Stage, hashes: PathHash[]): Promise<boolean> {
  const file = path.join(context.tvc.root, stage.file);
  const text = decodeUtf8(await readFile(file), stage.file);
  const document = yaml().parseDocument(text);
  const outs = document.get('outs', true);
  if (!isSeq(outs)) return false;
  let changed = false;
  outs.items.forEach((item, index) => {
    const hash = hashes[index];
    if (!hash || !isMap(item)) return;
    const set = (key: string, value: unknown) => {
      const current = item.get(key, true);
      if (isScalar(current) && current.value === value) return;
      item.set(key, value);
      changed = true;
    };
    if (item.get('md5') !== hash.md5) {
      set('md5', hash.md5);
      set('size', hash.size);
      if (hash.kind === 'directory') set('nfiles', hash.nfiles);
      set('hash', 'md5');
    }
  });
  if (changed) await writeFileAtomic(file, document.toString({ indentSeq: false }));
  return changed;
}

async function commitOutputs(
  context: Context,
  stage: Stage,
  includeUncached: boolean,
): Promise<{ outs: LockItem[]; hashes: PathHash[] }> {
  const hashes: PathHash[] = [];
  const outs: LockItem[] = [];
  for (const output of stage.outs) context.checker.forget(output.absolute);
  // As DVC, an output whose `.gitignore` would be written outside the git work tree (through a
  // symlinked directory) stops the stage before anything is cached or locked.
  const gitRoot = context.tvc.scmRoot;
  for (const output of stage.outs) {
    if (!gitRoot || !output.cache || !isWithin(context.tvc.root, output.absolute)) continue;
    try {
      assertInGitRepository(gitRoot, output.absolute);
    } catch (error) {
      if (!(error instanceof TvcError)) throw error;
      throw new StageFailedError(stage, error.message, null, { hint: error.hint, cause: error });
    }
  }
  for (const output of stage.outs) {
    const hash = await hashRequired(context, stage, output, 'output');
    hashes.push(hash);
    outs.push(itemOf(output, hash));
    if (context.options.noCommit) continue;
    if (output.cache || includeUncached) await context.workspace.save(output.absolute, hash);
  }
  return { outs, hashes };
}

async function recordStage(
  context: Context,
  stage: Stage,
  outs: LockItem[],
  useRunCache: boolean,
): Promise<void> {
  for (const dep of stage.deps) context.workspace.forget(dep.absolute);
  for (const params of stage.params) context.checker.forget(params.absolute);
  const entry: LockEntry = toLockEntry({
    cmd: stage.cmd as string | readonly string[],
    deps: await depItems(context, stage),
    params: await paramsValues(context, stage),
    outs,
  });
  await context.metadata.run(async () => {
    const lock = await context.checker.lockFile(stage);
    const existed = existsSync(lock.path);
    const before = lock.serialize();
    lock.set(stage.name, entry);
    if (lock.serialize() !== before || !existed) {
      await lock.write();
      context.changedFiles.add(repoLabel(context, lock.path));
      context.tvc.hooks.lockWritten.call({
        file: toPosix(path.relative(context.tvc.cwd, lock.path)),
        created: !existed,
      });
    }
    if (useRunCache) await context.runCache.save(entry);
    const cached = stage.outs.filter((output) => output.cache && isWithin(context.tvc.root, output.absolute));
    for (const output of cached) await refuseTrackedOutput(context, stage, output);
    for (const output of cached) {
      const changed = await addToGitignore(context.tvc.root, [output.absolute]);
      if (changed.length > 0) context.ignored.push(output.absolute);
      for (const file of changed) context.changedFiles.add(file);
    }
  });
}

/** A cached output must not be tracked by git as well (DVC's OutputAlreadyTrackedError). */
async function refuseTrackedOutput(context: Context, stage: Stage, output: StageOutput): Promise<void> {
  const gitRoot = context.tvc.scmRoot;
  if (!gitRoot || !isWithin(gitRoot, output.absolute)) return;
  const relative = toPosix(path.relative(gitRoot, output.absolute));
  const { stdout } = await execFileAsync('git', ['ls-files', '-z', '--', relative], { cwd: gitRoot });
  if (stdout.length === 0) return;
  throw new StageFailedError(stage, `output '${output.path}' is already tracked by SCM (e.g. Git)`, null, {
    hint: `remove it from git, then reproduce: git rm -r --cached '${output.path}' && git commit -m "stop tracking ${output.path}"`,
  });
}

/** The lock entry (or a run-cache entry) whose outputs can be checked out instead of running. */
async function findRestorable(
  context: Context,
  stage: Stage,
  status: StageStatus,
): Promise<LockEntry | undefined> {
  const entry = await context.checker.lockEntry(stage);
  const usable = async (candidate: LockEntry) => {
    for (const output of stage.outs) {
      const item = candidate.outs?.find((out) => out.path === output.path);
      if (!item?.md5) return false;
      const state = await context.workspace.verify(item.md5, { beforeCheckout: true });
      if (state !== 'ok') {
        if (state === 'corrupt') {
          context.tvc.hooks.log.call({
            level: 'warn',
            message: `cache object ${item.md5} of '${output.path}' is corrupted; it will not be checked out`,
          });
        }
        return false;
      }
    }
    return true;
  };
  if (
    entry &&
    !status.commandChanged &&
    Object.keys(status.deps).length === 0 &&
    stage.outs.every((output) => entry.outs?.some((item) => item.path === output.path && item.md5))
  ) {
    if (await usable(entry)) return entry;
  }
  if (context.options.noRunCache) return undefined;
  const partial = toLockEntry({
    cmd: stage.cmd as string | readonly string[],
    deps: await depItems(context, stage),
    params: await paramsValues(context, stage),
    outs: stage.outs.map((output) => ({ path: output.path })),
  });
  for (const candidate of await context.runCache.candidates(partial)) {
    if (await usable(candidate)) return candidate;
  }
  return undefined;
}

function canRunCache(stage: Stage, context: Context): boolean {
  return canUseRunCache({
    cmd: stage.cmd,
    alwaysChanged: stage.alwaysChanged || isCallbackStage(stage) || isCheckpointStage(stage),
    // Stages reading a URL are not looked up in the run-cache (a conservative choice: DVC keys
    // them by the URL's checksum).
    deps: stage.externalDeps.length > 0 ? 0 : stage.deps.length + stage.params.length,
    outs: stage.outs.map((output) => ({
      persist: output.persist,
      inRepo: isWithin(context.tvc.root, output.absolute) && !path.isAbsolute(output.path),
    })),
  });
}

async function reproduceStage(context: Context, stage: Stage, force: boolean): Promise<StageOutcome> {
  const { tvc, options } = context;
  const event: StageEvent = { stage, run: context.run };
  const status = await context.checker.status(stage);
  if (!force && !needsRun(status, { allowMissing: options.allowMissing })) {
    await tvc.hooks.stageSkipped.promise(event);
    return 'skipped';
  }
  // A declared param missing from its (existing) file fails the stage before anything runs or
  // is printed, `--dry` too, as DVC's `changed()` does (`-f` skips that check, as in DVC).
  if (!force && stage.params.some((params) => params.keys !== null && existsSync(params.absolute)))
    await paramsValues(context, stage);
  if (options.confirm) {
    const question = `Going to reproduce stage: '${stage.addressing}'. Are you sure you want to continue?`;
    if (!(await options.confirm(question))) throw new TvcError('ABORTED', 'reproduction aborted by the user');
  }
  if (stage.kind === 'data' && !stage.frozen && Object.keys(status.deps).length > 0) {
    // An unfrozen import whose source changed is imported again, as DVC's repro does.
    const imported = await tvc.hooks.reimport.promise(event, options.dry === true);
    if (imported) {
      tvc.hooks.stageImport.call(event, imported);
      if (options.dry) return 'dry';
      for (const output of stage.outs) context.checker.forget(output.absolute);
      context.changedFiles.add(stage.file);
      return 'ran';
    }
  }
  if (stage.kind === 'data' || stage.frozen) {
    // Data sources and frozen stages are not run: their outputs are verified and recorded.
    await tvc.hooks.stageVerify.promise(event);
    if (options.dry) return 'dry';
    if (stage.kind === 'data') {
      // A fresh clone: the data is tracked but not checked out (DVC's MissingDataSource).
      const missing = stage.outs.filter((output) => !existsSync(output.absolute));
      if (missing.length > 0) {
        throw new StageFailedError(
          stage,
          `missing data 'source': ${missing.map((output) => repoLabel(context, output.absolute)).join(', ')}`,
          null,
          { hint: 'bring it from the cache with `tvc checkout` (or from a remote with `tvc pull`)' },
        );
      }
    }
    const { outs, hashes } = await commitOutputs(context, stage, false);
    if (stage.kind === 'data') {
      if (await context.metadata.run(() => updateDataFile(context, stage, hashes)))
        context.changedFiles.add(stage.file);
    } else {
      await recordStage(context, stage, outs, false);
    }
    return 'verified';
  }
  if (options.dry) {
    // DVC's dry run still tries its run cache, whose `_can_hash` hashes every dependency: a missing
    // one (an upstream output the dry run did not make) fails the stage before it is printed.
    if (
      !force &&
      stage.deps.length > 0 &&
      stage.outs.length > 0 &&
      stage.externalDeps.length === 0 &&
      !stage.alwaysChanged &&
      stageCommands(stage).length > 0
    ) {
      const missing = stage.deps.find((dep) => !existsSync(dep.absolute));
      if (missing) await hashRequired(context, stage, missing, 'dependency');
    }
    await tvc.hooks.stageStart.promise(event);
    for (const command of stageCommands(stage)) tvc.hooks.stageCommand.call(event, command);
    return 'dry';
  }
  await removeOutputs(stage, context);
  const runCacheAllowed = canRunCache(stage, context);
  // Dependencies must exist before anything runs (DVC saves them first).
  await depItems(context, stage);
  const restorable = !force && runCacheAllowed ? await findRestorable(context, stage, status) : undefined;
  if (restorable) {
    await tvc.hooks.stageCached.promise(event);
    for (const output of stage.outs) {
      const md5 = restorable.outs?.find((out) => out.path === output.path)?.md5;
      if (!md5) throw new StageFailedError(stage, `the cached run has no hash for '${output.path}'`, null);
      await context.workspace.checkout(md5, output.absolute);
      context.checker.forget(output.absolute);
    }
  } else {
    await tvc.hooks.stageStart.promise(event);
    const checkpointing = options.checkpoint !== undefined && isCheckpointStage(stage);
    const { result, checkpointError } = checkpointing
      ? await context.checkpoints.run(() => runCommands(context, stage, event, true))
      : await runCommands(context, stage, event, false);
    if (checkpointError !== undefined) {
      const message = checkpointError instanceof Error ? checkpointError.message : String(checkpointError);
      throw new StageFailedError(stage, `recording a checkpoint failed: ${message}`, result.exitCode, {
        cause: checkpointError,
      });
    }
    if (result.failedCommand !== undefined) {
      if (options.signal?.aborted) throw new StageFailedError(stage, 'interrupted', result.exitCode);
      const how =
        result.exitCode === null ? `killed by ${result.signal}` : `exited with code ${result.exitCode}`;
      throw new StageFailedError(stage, `command ${how}`, result.exitCode, {
        hint: `the command was: ${stageCommands(stage)[result.failedCommand]}`,
      });
    }
  }
  // Like DVC: the run-cache keeps uncached outputs too, unless an uncached plain output forbids it.
  const uncachedPlain = stage.outs.some((output) => !output.cache && output.kind === 'outs');
  const useRunCache = runCacheAllowed && !uncachedPlain && !options.noCommit;
  const { outs } = await commitOutputs(context, stage, useRunCache);
  await recordStage(context, stage, outs, useRunCache);
  return restorable ? 'cached' : 'ran';
}

/**
 * Runs a stage's commands through the local executor. With `checkpointing`, the command's
 * environment names the checkpoint signal file and a watch records each checkpoint it signals
 * (outputs to the cache, the lock entry, then `options.checkpoint`); a checkpoint that cannot be
 * recorded kills the command and is returned as `checkpointError`.
 */
async function runCommands(
  context: Context,
  stage: Stage,
  event: StageEvent,
  checkpointing: boolean,
): Promise<{ result: ExecutorResult; checkpointError: unknown }> {
  const { tvc, options } = context;
  const env: Record<string, string> = { DVC_ROOT: tvc.root, DVC_STAGE: stage.addressing, ...options.env };
  const controller = new AbortController();
  const forward = () => controller.abort();
  if (options.signal?.aborted) controller.abort();
  options.signal?.addEventListener('abort', forward, { once: true });
  let checkpointError: unknown;
  let watch: CheckpointWatch | undefined;
  try {
    if (checkpointing) {
      const file = checkpointSignalPath(tvc.root);
      env[CHECKPOINT_ENV_FLAG] = '1';
      env[CHECKPOINT_ENV_FILE] = file;
      env[CHECKPOINT_ENV_PID] = String(process.pid);
      watch = await watchCheckpoints(file, {
        pollMs: options.checkpointPollMs,
        onSignal: async () => {
          const { outs } = await commitOutputs(context, stage, false);
          await recordStage(context, stage, outs, false);
          await options.checkpoint!(event);
        },
        onError: (error) => {
          checkpointError ??= error;
          controller.abort();
        },
      });
    }
    const commands = stageCommands(stage);
    const result = await tvc.executor('local').run(
      { id: stage.addressing, commands, cwd: stage.wdir, env },
      {
        signal: controller.signal,
        // recorded so that a tvc killed meanwhile leaves a trace the next run finds (running-stages.ts)
        onSpawn: (index, pid) => recordRunning(tvc.root, stage.addressing, commands[index] ?? '', pid),
        onCommand: (_index, command) => tvc.hooks.stageCommand.call(event, command),
        onOutput: (chunk, stream) => tvc.hooks.stageOutput.call(event, chunk, stream),
      },
    );
    await watch?.stop();
    return { result, checkpointError };
  } finally {
    await watch?.stop();
    options.signal?.removeEventListener('abort', forward);
    clearRunning(tvc.root, stage.addressing);
  }
}

/**
 * Runs left behind by a tvc process that was killed (running-stages.ts): a command still running
 * is refused (it may still write outputs this run would read or replace); the stages whose
 * command died with their tvc are returned, to be run again.
 */
function checkStaleRuns(tvc: Tvc): StaleRun[] {
  const stale = staleRuns(tvc.root);
  const orphaned = stale.filter((run) => run.state === 'orphaned');
  if (orphaned.length > 0) {
    const pids = orphaned.flatMap((run) => run.pids);
    throw new TvcError('STAGE_LEFT_RUNNING', orphaned.map(describeStaleRun).join('\n'), {
      hint: `wait for it to end, or stop it (kill ${pids.join(' ')}), then run tvc again; the stage will run again`,
    });
  }
  return stale.filter((run) => run.state === 'interrupted');
}

/**
 * Warns about the interrupted stages: those in the plan run again; the record of a stage no
 * longer in the pipeline is dropped; the others stay until a reproduction runs them.
 */
function reportInterrupted(tvc: Tvc, pipeline: Pipeline, plan: readonly Stage[], interrupted: StaleRun[]) {
  const planned = new Set(plan.map((stage) => stage.addressing));
  const known = new Set(pipeline.stages.map((stage) => stage.addressing));
  for (const run of interrupted) {
    const { stage } = run.record;
    if (!known.has(stage)) clearRunning(tvc.root, stage);
    else {
      tvc.hooks.log.call({
        level: 'warn',
        message: `${describeStaleRun(run)}; ${planned.has(stage) ? 'it will run again' : `run it again with: tvc repro ${stage}`}`,
      });
    }
  }
}

/**
 * `tvc repro`: runs the stages whose command, dependencies or parameters changed, dependencies
 * first, independent stages concurrently up to `jobs`, each stage's lock entry written as soon as
 * it finishes. Holds the repository lock while it runs.
 */
export async function reproduce(tvc: Tvc, options: ReproOptions = {}): Promise<ReproResult> {
  const lock = options.dry || options.lockHeld ? undefined : RepoLock.acquire(tvc.root, 'repro');
  const workspace = new Workspace(tvc.root, {
    onProgress: (progress) => tvc.hooks.hashProgress.call(progress),
  });
  try {
    const interrupted = options.dry ? [] : checkStaleRuns(tvc);
    const pipeline = await tvc.loadPipeline();
    const plan = planRepro(pipeline, options, tvc.cwd);
    reportInterrupted(tvc, pipeline, plan, interrupted);
    const jobs = Math.max(1, options.jobs ?? 1);
    const run: ReproRun = { options, plan, jobs };
    const context: Context = {
      tvc,
      pipeline,
      workspace,
      checker: new StatusChecker(tvc, workspace),
      runCache: new RunCache(workspace.cache.root),
      run,
      options,
      metadata: new Mutex(),
      checkpoints: new Mutex(),
      changedFiles: new Set(),
      ignored: [],
    };
    await tvc.hooks.beforeRepro.promise(run);
    for (const stage of plan) {
      if (stage.frozen && stage.kind === 'pipeline') {
        tvc.hooks.log.call({
          level: 'warn',
          message: `stage: '${stage.addressing}' is frozen. Its dependencies are not going to be reproduced.`,
        });
      }
    }
    const rerun = new Set(interrupted.map((run) => run.record.stage));
    const result = await schedule(context, pipeline, plan, jobs, rerun);
    await tvc.hooks.afterRepro.promise(run, result);
    const failed = result.failures;
    if (failed.length > 0 && options.onError !== 'ignore') {
      // DVC's scm_context: a failed reproduction takes back the .gitignore lines it added.
      await removeFromGitignore(tvc.root, context.ignored);
      if (failed.length === 1 && (options.onError ?? 'fail') === 'fail') throw failed[0]!.error;
      const names = joinNames(failed.map((failure) => failure.stage.addressing));
      throw new TvcError(
        'REPRO_FAILED',
        `failed to reproduce${failed.length > 1 ? ' stages:' : ''} ${names}`,
        {
          hint: failed.map((failure) => failure.error.message).join('; '),
        },
      );
    }
    return result;
  } finally {
    await workspace.close().catch(() => {});
    lock?.release();
  }
}

export interface CommitStagesResult {
  /** The stages committed (every stage of the pipeline, or those `only` selects). */
  readonly stages: readonly Stage[];
  /** Files written (dvc.lock, `.dvc` files, .gitignore), relative to the DVC root. */
  readonly changedFiles: readonly string[];
}

/**
 * DVC's `commit --force` of every stage, which `dvc exp save` runs before it commits: each
 * stage's outputs are hashed and saved into the cache (and the run-cache, where `repro` would
 * save it) and its lock entry written from the workspace as it is (a `.dvc` file's hashes
 * updated), without running anything. A missing output or dependency is an error naming it.
 * Holds the repository lock unless `lockHeld`.
 */
export async function commitStages(
  tvc: Tvc,
  options: { readonly lockHeld?: boolean; readonly only?: (stage: Stage) => boolean } = {},
): Promise<CommitStagesResult> {
  const lock = options.lockHeld ? undefined : RepoLock.acquire(tvc.root, 'commit');
  const workspace = new Workspace(tvc.root, {
    onProgress: (progress) => tvc.hooks.hashProgress.call(progress),
  });
  try {
    const pipeline = await tvc.loadPipeline();
    const context: Context = {
      tvc,
      pipeline,
      workspace,
      checker: new StatusChecker(tvc, workspace),
      runCache: new RunCache(workspace.cache.root),
      run: { options: {}, plan: pipeline.stages, jobs: 1 },
      options: {},
      metadata: new Mutex(),
      checkpoints: new Mutex(),
      changedFiles: new Set(),
      ignored: [],
    };
    const stages = options.only ? pipeline.stages.filter(options.only) : pipeline.stages;
    for (const stage of stages) {
      if (stage.kind === 'data') {
        const { hashes } = await commitOutputs(context, stage, false);
        if (await updateDataFile(context, stage, hashes)) context.changedFiles.add(stage.file);
        continue;
      }
      const uncachedPlain = stage.outs.some((output) => !output.cache && output.kind === 'outs');
      const useRunCache = canRunCache(stage, context) && !uncachedPlain;
      const { outs } = await commitOutputs(context, stage, useRunCache);
      await recordStage(context, stage, outs, useRunCache);
    }
    return { stages, changedFiles: [...context.changedFiles] };
  } finally {
    await workspace.close().catch(() => {});
    lock?.release();
  }
}

async function schedule(
  context: Context,
  pipeline: Pipeline,
  plan: readonly Stage[],
  jobs: number,
  interrupted: ReadonlySet<string> = new Set(),
): Promise<ReproResult> {
  const { options } = context;
  const onError = options.onError ?? 'fail';
  const inPlan = new Set(plan);
  const outcomes = new Map<Stage, StageOutcome>();
  const forced = new Map<Stage, boolean>(
    plan.map((stage) => [stage, options.force === true || interrupted.has(stage.addressing)]),
  );
  const failures: { stage: Stage; error: TvcError }[] = [];
  const reproduced: Stage[] = [];
  const running = new Map<Stage, Promise<void>>();
  let stop = false;

  const blockers = (stage: Stage) =>
    [...activeDependencies(pipeline, stage)].filter((dependency) => inPlan.has(dependency));
  const settled = (outcome: StageOutcome | undefined) => outcome !== undefined;
  const dependentsOf = (stage: Stage) => reach([stage], (current) => pipeline.graph.dependents(current));

  const start = (stage: Stage) => {
    const task = reproduceStage(context, stage, forced.get(stage) === true).then(
      async (outcome) => {
        await context.tvc.hooks.stageDone.promise({ stage, run: context.run }, outcome);
        outcomes.set(stage, outcome);
        if (outcome === 'ran' || outcome === 'cached' || outcome === 'verified' || outcome === 'dry')
          reproduced.push(stage);
        if (options.forceDownstream && (outcome !== 'skipped' || forced.get(stage))) {
          for (const dependent of pipeline.graph.dependents(stage)) forced.set(dependent, true);
        }
      },
      (error: unknown) => {
        const failure =
          error instanceof TvcError
            ? error
            : new StageFailedError(stage, (error as Error).message, null, { cause: error });
        outcomes.set(stage, 'failed');
        failures.push({ stage, error: failure });
        context.tvc.hooks.stageFailed.call({ stage, run: context.run }, failure);
        if (onError === 'fail' || options.signal?.aborted || failure.code === 'ABORTED') stop = true;
        else if (onError === 'keep-going') {
          for (const dependent of dependentsOf(stage)) {
            if (dependent !== stage && inPlan.has(dependent) && !outcomes.has(dependent))
              outcomes.set(dependent, 'not-run');
          }
        }
      },
    );
    running.set(
      stage,
      task.finally(() => running.delete(stage)),
    );
  };

  for (;;) {
    if (!stop && !options.signal?.aborted) {
      for (const stage of plan) {
        if (running.size >= jobs) break;
        if (outcomes.has(stage) || running.has(stage)) continue;
        const pending = blockers(stage);
        if (pending.every((dependency) => settled(outcomes.get(dependency)))) start(stage);
        else if (jobs === 1) break; // serial runs follow the plan's order exactly, as DVC does
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  for (const stage of plan) if (!outcomes.has(stage)) outcomes.set(stage, 'not-run');
  return { outcomes, reproduced, changedFiles: [...context.changedFiles].sort(), failures };
}
