import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  configValue,
  type ExperimentContext,
  type ExperimentOutcome,
  type ExperimentReproOptions,
  type ExperimentTask,
  readDvcConfig,
  type Tvc,
  TvcError,
} from '@tvc/core';
import { expandSweeps, type OverridesByFile, ParamsOverrideError, parseOverrides } from '@tvc/params';
import { checkpointTaskStart } from './checkpoint';
import { checkName, experimentExists, unusedRandomName } from './names';
import {
  type QueueEntry,
  type QueueStatus,
  QueueStore,
  queueRef,
  taskOf,
  type WorkerRecord,
} from './queue-store';
import { listExperiments } from './refs';
import { baselineOf, gitOf } from './run';
import { experimentExecutor } from './run-temp';
import { commitDataSources, stashExperiment } from './stash';
import { keepWorkspace, removeWorkspace, sweepWorkspaces } from './temp-workspaces';

export interface QueueExperimentOptions {
  /** `-S` overrides; sweeps (`a=1,2`, `choice()`, `range()`) queue one experiment per combination. */
  readonly overrides?: readonly string[];
  /** `-n`: the name (with a sweep, `<name>-1`, `<name>-2`, …). */
  readonly name?: string;
  readonly message?: string;
  readonly force?: boolean;
  readonly repro?: ExperimentReproOptions;
  /** `--retries N`: run a failed experiment again up to N times. */
  readonly retries?: number;
  /** `--rev`: continue from this checkpoint (a sha or an experiment's name). */
  readonly rev?: string;
  /** `--reset`: a checkpoint experiment starts over. */
  readonly reset?: boolean;
  /** Called as each is queued. */
  readonly onQueued?: (entry: QueueEntry, overrides: OverridesByFile) => void;
}

function overridesError(error: unknown): unknown {
  if (error instanceof ParamsOverrideError) {
    return new TvcError(error.code, `invalid --set-param '${error.override}': ${error.message}`, {
      cause: error,
    });
  }
  return error;
}

/**
 * `exp run --queue`: records the workspace (with each combination of the `-S` overrides applied
 * in the commit only) as a stash commit per experiment, kept by a ref under
 * `refs/exps/celery/tvc/`, and a queue entry on disk. The workspace is left as it was. Nothing runs.
 */
export async function queueExperiments(
  tvc: Tvc,
  options: QueueExperimentOptions = {},
): Promise<QueueEntry[]> {
  const { git, prefix } = gitOf(tvc);
  const baseline = await baselineOf(git);
  let combinations: OverridesByFile[];
  try {
    combinations = options.overrides?.length ? expandSweeps(parseOverrides(options.overrides)) : [new Map()];
  } catch (error) {
    throw overridesError(error);
  }
  const store = new QueueStore(tvc.root);
  sweepWorkspaces(tvc.root);
  const taken = new Set(
    (await listExperiments(git)).filter((exp) => exp.baseline === baseline).map((exp) => exp.name),
  );
  for (const entry of store.list()) {
    if (entry.baseline === baseline && (entry.status === 'queued' || entry.status === 'running'))
      taken.add(entry.name);
  }
  const checkpoints =
    combinations.length === 1
      ? await checkpointTaskStart(tvc, git, baseline, taken, {
          name: options.name,
          rev: options.rev,
          reset: options.reset,
          force: options.force,
          repro: options.repro,
          useLast: false,
        })
      : undefined;
  if (options.rev !== undefined && combinations.length > 1) {
    throw new TvcError(
      'INVALID_ARGUMENT',
      '--rev continues one experiment: it cannot be combined with a sweep',
    );
  }
  const names = combinations.map((_, index) =>
    checkpoints
      ? checkpoints.name
      : options.name === undefined
        ? undefined
        : combinations.length === 1
          ? options.name
          : `${options.name}-${index + 1}`,
  );
  for (const name of names) {
    if (name === undefined || checkpoints) continue;
    await checkName(git, baseline, name);
    if (taken.has(name) && !options.force) throw experimentExists(name);
  }
  await commitDataSources(tvc);
  const queued: QueueEntry[] = [];
  for (const [index, overrides] of combinations.entries()) {
    const name = names[index] ?? unusedRandomName(taken);
    taken.add(name);
    const stashed = await stashExperiment(tvc, git, {
      baseline,
      name,
      prefix,
      overrides: overrides.size > 0 ? overrides : undefined,
      from: checkpoints?.from,
    });
    await git.updateRef(queueRef(stashed.sha), stashed.sha, `tvc: exp run --queue ${name}`);
    const entry: QueueEntry = {
      id: stashed.sha,
      name,
      baseline,
      created: new Date().toISOString(),
      status: 'queued',
      repro: options.repro ?? {},
      message: options.message,
      force: options.force,
      checkpoint: checkpoints?.checkpoint,
      retries: options.retries ?? 0,
      attempts: 0,
    };
    await store.locked(() => store.put(entry));
    queued.push(entry);
    options.onQueued?.(entry, overrides);
  }
  return queued;
}

/** Finds a queue entry by name, full id or id prefix (at least 4 characters). */
export function findQueueEntry(entries: readonly QueueEntry[], query: string): QueueEntry | undefined {
  const byName = entries.filter((entry) => entry.name === query);
  if (byName.length > 0) return byName[byName.length - 1];
  if (/^[0-9a-f]{4,40}$/.test(query)) {
    const byId = entries.filter((entry) => entry.id.startsWith(query));
    if (byId.length === 1) return byId[0];
    if (byId.length > 1) {
      throw new TvcError(
        'QUEUE_AMBIGUOUS',
        `'${query}' names several queued experiments: ${byId.map((e) => e.name).join(', ')}`,
      );
    }
  }
  return undefined;
}

export interface WorkerEvent {
  /** `interrupted`: the worker's signal stopped it and it is queued again. */
  readonly type: 'start' | 'finish' | 'retry' | 'interrupted';
  readonly entry: QueueEntry;
  readonly outcome?: ExperimentOutcome;
}

export interface QueueWorkerOptions {
  /** Experiments at once (`-j`). */
  readonly jobs?: number;
  /** Only these entries (names or ids): `queue start NAMES…`. */
  readonly only?: readonly string[];
  /** The executor each experiment runs through (default `temp`). */
  readonly executor?: string;
  /** Aborting kills every running experiment and starts nothing more. */
  readonly signal?: AbortSignal;
  /** Attaches a reporter to an experiment's Tvc, writing to its log. */
  readonly attach?: (tvc: Tvc, write: (text: string) => void, entry: QueueEntry) => void;
  readonly onEvent?: (event: WorkerEvent) => void;
  /** How often kill and stop requests are looked for (default 200 ms). */
  readonly pollMs?: number;
  /**
   * `--keep-failed`: keep the temporary workspace of an experiment that failed (its last attempt)
   * for its partial results, until its entry is removed. Otherwise every copy goes when its run ends.
   */
  readonly keepFailed?: boolean;
}

/**
 * A queue worker: runs queued experiments through the `parallel` executor's pool, up to `jobs`
 * at once, each in its own temporary workspace, until the queue has nothing left to run (entries
 * queued meanwhile are picked up) or a stop is asked for. Entries are claimed under the queue's
 * lock, so several workers never run one twice. Each experiment's output goes to its log as it
 * comes; a failed one is run again while it has retries left, else kept (its log; its workspace
 * only with `keepFailed`) as failed. Every other temporary workspace is removed as its run ends.
 */
export async function runQueueWorker(tvc: Tvc, options: QueueWorkerOptions = {}): Promise<QueueEntry[]> {
  const { git } = gitOf(tvc);
  const store = new QueueStore(tvc.root);
  const jobs = options.jobs ?? 1;
  const pool = tvc.executor('parallel');
  const executor = experimentExecutor(tvc, options.executor ?? 'temp');
  if (!pool.runMany) throw new TvcError('EXECUTOR_UNSUPPORTED', `the '${pool.name}' executor has no pool`);
  const active = new Map<string, AbortController>();
  const finished: QueueEntry[] = [];
  const cacheConfigured = configValue(readDvcConfig(tvc.root), 'cache', 'dir');
  const sharedCache = path.resolve(tvc.root, '.dvc', cacheConfigured ?? 'cache');
  const started = new Date().toISOString();
  const record = (): WorkerRecord => ({
    pid: process.pid,
    jobs,
    started,
    active: [...active.keys()],
    only: options.only,
  });
  await store.putWorker(record());
  const stopRequest = (): string | undefined => {
    try {
      return readFileSync(store.stopPath, 'utf8');
    } catch {
      return undefined;
    }
  };
  const poll = setInterval(() => {
    const stop = stopRequest();
    for (const [id, controller] of active) {
      if (stop === 'kill' || existsSync(store.killPath(id))) controller.abort();
    }
  }, options.pollMs ?? 200);
  const onAbort = () => {
    for (const controller of active.values()) controller.abort();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const wanted = (entry: QueueEntry) =>
    !options.only ||
    options.only.some((query) => entry.name === query || (query.length >= 4 && entry.id.startsWith(query)));
  try {
    await pool.runMany(
      {
        stopping: () => options.signal?.aborted === true || stopRequest() !== undefined,
        next: async () => {
          const claimed = await store.locked(async () => {
            await store.recover();
            const entry = store
              .list()
              .find((candidate) => candidate.status === 'queued' && wanted(candidate));
            if (!entry) return undefined;
            const running: QueueEntry = {
              ...entry,
              status: 'running',
              worker: process.pid,
              started: new Date().toISOString(),
              finished: undefined,
              attempts: entry.attempts + 1,
            };
            await store.put(running);
            return running;
          });
          if (!claimed) return undefined;
          const controller = new AbortController();
          active.set(claimed.id, controller);
          await store.putWorker(record());
          const logFile = store.logPath(claimed.id);
          mkdirSync(path.dirname(logFile), { recursive: true });
          if (claimed.attempts > 1) {
            appendFileSync(logFile, `\n--- attempt ${claimed.attempts} of ${claimed.retries + 1} ---\n`);
          } else {
            writeFileSync(logFile, '');
          }
          const write = (chunk: string | Buffer) => appendFileSync(logFile, chunk);
          options.onEvent?.({ type: 'start', entry: claimed });
          const context: ExperimentContext = {
            scmRoot: git.root,
            dvcRoot: tvc.root,
            cacheDir: sharedCache,
            signal: controller.signal,
            log: write,
            onTvc: (experimentTvc) => options.attach?.(experimentTvc, (text) => write(text), claimed),
          };
          const task: ExperimentTask = taskOf(claimed);
          return { task, context, executor };
        },
        finished: async (task, outcome) => {
          const controller = active.get(task.id);
          active.delete(task.id);
          const killed = outcome.status === 'failed' && controller?.signal.aborted === true;
          // the whole worker interrupted (Ctrl+C on --run-all, SIGTERM): back in the queue, not failed
          const interrupted = killed && options.signal?.aborted === true;
          const logFile = store.logPath(task.id);
          const current = store.get(task.id); // undefined: removed while it ran
          const retry =
            outcome.status === 'failed' &&
            !killed &&
            current !== undefined &&
            current.attempts <= current.retries;
          const status: QueueStatus = interrupted || retry ? 'queued' : (outcome.status as QueueStatus);
          // the copy stays only for a failure that ends the entry, and only on request
          const kept =
            status === 'failed' && options.keepFailed === true && current !== undefined
              ? outcome.workspace
              : undefined;
          if (outcome.workspace && outcome.workspace !== kept) removeWorkspace(outcome.workspace);
          if (kept) keepWorkspace(kept);
          if (outcome.status === 'failed') {
            const error = outcome.error;
            const exit =
              error?.exitCode !== undefined &&
              error.exitCode !== null &&
              !error.message?.includes(`code ${error.exitCode}`)
                ? ` (exit code ${error.exitCode})`
                : '';
            appendFileSync(
              logFile,
              interrupted
                ? 'Interrupted: the experiment is queued again\n'
                : `ERROR: ${killed ? 'killed' : (error?.message ?? 'failed')}${killed ? '' : exit}\n` +
                    (outcome.ref && outcome.sha
                      ? `The checkpoints are kept: ${outcome.ref} is at ${outcome.sha.slice(0, 7)}\n`
                      : '') +
                    (kept ? `The partial results are in ${kept}\n` : ''),
            );
          }
          const updated = await store.locked(async () => {
            const entry = store.get(task.id);
            if (!entry) return undefined; // removed while it ran
            const next: QueueEntry = {
              ...entry,
              status,
              attempts: interrupted ? entry.attempts - 1 : entry.attempts,
              worker: undefined,
              finished: new Date().toISOString(),
              outcome: {
                ...(killed
                  ? { ...outcome, status: 'failed', error: { code: 'KILLED', message: 'killed' } }
                  : outcome),
                workspace: kept,
              },
            };
            await store.put(next);
            return next;
          });
          rmSync(store.killPath(task.id), { force: true });
          await store.putWorker(record());
          if (updated && interrupted) options.onEvent?.({ type: 'interrupted', entry: updated, outcome });
          if (!updated || interrupted) return;
          if (updated.status === 'success') {
            await git.deleteRefs([queueRef(task.id)]).catch(() => {});
          }
          if (updated.status === 'queued') {
            appendFileSync(
              logFile,
              `Retrying (${updated.attempts} of ${updated.retries + 1} attempts made)\n`,
            );
            options.onEvent?.({ type: 'retry', entry: updated, outcome });
            return;
          }
          finished.push(updated);
          options.onEvent?.({ type: 'finish', entry: updated, outcome });
        },
      },
      { jobs },
    );
  } finally {
    clearInterval(poll);
    options.signal?.removeEventListener('abort', onAbort);
    store.deleteWorker(process.pid);
    if (store.workers().length === 0) rmSync(store.stopPath, { force: true });
  }
  return finished;
}

export interface QueueState {
  readonly entries: readonly QueueEntry[];
  readonly workers: readonly WorkerRecord[];
}

/** The queue as it is: entries (those of dead workers failed first) and the live workers. */
export async function queueState(tvc: Tvc): Promise<QueueState> {
  const store = new QueueStore(tvc.root);
  if (!existsSync(store.directory)) {
    sweepWorkspaces(tvc.root); // copies left by a killed `exp run --temp`
    return { entries: [], workers: [] };
  }
  await store.locked(() => store.recover());
  return { entries: store.list(), workers: store.workers() };
}

/** `queue kill NAMES`: asks the workers running them to kill them. Returns the entries. */
export async function killQueued(tvc: Tvc, queries: readonly string[]): Promise<QueueEntry[]> {
  const store = new QueueStore(tvc.root);
  const entries = store.list();
  const found: QueueEntry[] = [];
  for (const query of queries) {
    const entry = findQueueEntry(entries, query);
    if (!entry) throw new TvcError('QUEUE_NOT_FOUND', `'${query}' is not a queued experiment`);
    if (entry.status !== 'running') {
      throw new TvcError(
        'QUEUE_NOT_RUNNING',
        `experiment '${entry.name}' is not running (it is ${entry.status})`,
        {
          hint: 'remove a queued experiment with `tvc queue remove`',
        },
      );
    }
    found.push(entry);
  }
  for (const entry of found) store.requestKill(entry.id);
  return found;
}

/** `queue stop [--kill]`: workers take nothing more (and with `kill`, kill what they run). */
export function stopQueue(tvc: Tvc, kill = false): number {
  const store = new QueueStore(tvc.root);
  const workers = store.workers();
  if (workers.length === 0) return 0;
  mkdirSync(store.directory, { recursive: true });
  writeFileSync(store.stopPath, kill ? 'kill' : 'stop');
  return workers.length;
}

/** Clears a leftover stop request before workers start. */
export function clearStop(tvc: Tvc): void {
  rmSync(new QueueStore(tvc.root).stopPath, { force: true });
}

export interface RemoveQueuedOptions {
  readonly all?: boolean;
  readonly queued?: boolean;
  readonly success?: boolean;
  readonly failed?: boolean;
  readonly names?: readonly string[];
}

/**
 * `queue remove`: drops entries (their records, logs, refs and kept workspaces). Running ones are
 * refused by name (kill them first) and skipped by `--all`. Returns the names removed.
 */
export async function removeQueued(tvc: Tvc, options: RemoveQueuedOptions): Promise<string[]> {
  const { git } = gitOf(tvc);
  const store = new QueueStore(tvc.root);
  return store.locked(async () => {
    await store.recover();
    const entries = store.list();
    const chosen = new Set<QueueEntry>();
    for (const entry of entries) {
      if (
        (options.all && entry.status !== 'running') ||
        (options.queued && entry.status === 'queued') ||
        (options.success && entry.status === 'success') ||
        (options.failed && entry.status === 'failed')
      ) {
        chosen.add(entry);
      }
    }
    for (const query of options.names ?? []) {
      const entry = findQueueEntry(entries, query);
      if (!entry) throw new TvcError('QUEUE_NOT_FOUND', `'${query}' is not a queued experiment`);
      if (entry.status === 'running') {
        throw new TvcError('QUEUE_RUNNING', `experiment '${entry.name}' is running`, {
          hint: `kill it first: tvc queue kill ${entry.name}`,
        });
      }
      chosen.add(entry);
    }
    const removed = [...chosen];
    await git.deleteRefs(
      (
        await Promise.all(
          removed.map(async (entry) =>
            (await git.resolveCommit(queueRef(entry.id))) ? queueRef(entry.id) : undefined,
          ),
        )
      ).filter((ref): ref is string => ref !== undefined),
    );
    for (const entry of removed) {
      if (entry.outcome?.workspace) rmSync(entry.outcome.workspace, { recursive: true, force: true });
      store.delete(entry.id);
    }
    return removed.map((entry) => entry.name);
  });
}

/** The log of an entry (by name or id) and the entry. */
export function queueLog(tvc: Tvc, query: string): { entry: QueueEntry; log: string; path: string } {
  const store = new QueueStore(tvc.root);
  sweepWorkspaces(tvc.root);
  const entry = findQueueEntry(store.list(), query);
  if (!entry) throw new TvcError('QUEUE_NOT_FOUND', `'${query}' is not a queued experiment`);
  const file = store.logPath(entry.id);
  let log = '';
  try {
    log = readFileSync(file, 'utf8');
  } catch {
    if (entry.status !== 'queued') log = '';
  }
  return { entry, log, path: file };
}

export { QueueStore };
