import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  configValue,
  type ExperimentCheckpointStart,
  type ExperimentContext,
  type ExperimentReproOptions,
  readDvcConfig,
  type Tvc,
  TvcError,
} from '@tvc/core';
import { fetchData, pushData } from '@tvc/data';
import { type QueueEntry, QueueStore, queueRef } from '@tvc/experiments';
import type { Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type BullmqSettings, queuedRef, readSettings } from './settings';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a job carries: everything a worker needs, by value. */
export interface JobData {
  /** The queued (stash) commit, on the git remote under {@link queuedRef}. */
  readonly id: string;
  readonly name: string;
  readonly baseline: string;
  readonly ref: string;
  readonly repro: ExperimentReproOptions;
  readonly message?: string | undefined;
  readonly force?: boolean | undefined;
  readonly checkpoint?: ExperimentCheckpointStart | undefined;
  readonly retries: number;
  readonly created: string;
  /** Where it was queued from (`host:path`). */
  readonly submitter: string;
}

/** What a finished job returns: the experiment, as pushed to the git remote. */
export interface JobResult {
  readonly ref: string;
  readonly sha: string;
  readonly expHash?: string | undefined;
  readonly worker: string;
}

/** A worker's heartbeat in Redis (expires when the worker stops beating). */
export interface LiveWorker {
  readonly worker: string;
  readonly host: string;
  readonly pid: number;
  readonly jobs: number;
  readonly started: string;
  /** Names of the experiments it runs now. */
  readonly active: readonly string[];
}

export type JobState = 'queued' | 'running' | 'success' | 'failed';

/** One job as `queue status` shows it. */
export interface JobView {
  readonly id: string;
  readonly name: string;
  readonly created: string;
  readonly state: JobState;
  /** The worker (`host:pid`) running it or that ran it last. */
  readonly worker: string | undefined;
  readonly attempts: number;
  readonly error: string | undefined;
  readonly result: JobResult | undefined;
}

export interface WorkerOptions {
  /** Experiments at once (`-j`). */
  readonly jobs?: number;
  /** Aborting stops taking jobs and waits for the running ones (a second abort kills them). */
  readonly signal?: AbortSignal;
  /** Attaches a reporter to an experiment's Tvc, writing to its log. */
  readonly attach?: (tvc: Tvc, write: (text: string) => void) => void;
  /** One line per event (start, finish, retry, failure) for the worker's own output. */
  readonly onEvent?: (line: string) => void;
  /** Stop once the queue has nothing waiting, running or delayed (benchmarks, tests). */
  readonly untilEmpty?: boolean;
}

const HEARTBEAT_MS = 2_000;
const HEARTBEAT_TTL_MS = 10_000;
const POLL_MS = 250;

async function git(cwd: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run('git', [...args], { cwd, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** Pushes `refspecs` to `remote` over whatever it holds (queued commits and experiment refs are tvc's own). */
function forcePush(cwd: string, remote: string, refspecs: readonly string[]): Promise<string> {
  return git(cwd, ['push', '--quiet', '--no-verify', '--force', remote, ...refspecs]);
}

function gitMessage(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr;
  const text = (stderr?.trim() || (error instanceof Error ? error.message : String(error))).trim();
  return text.split('\n').filter(Boolean).slice(-3).join('; ');
}

function scmRootOf(tvc: Tvc): string {
  if (!tvc.scmRoot) {
    throw new TvcError('NOT_A_GIT_REPOSITORY', 'the distributed queue needs a git repository', {
      hint: 'run `git init`, commit the project and add the git remote the workers share',
    });
  }
  return tvc.scmRoot;
}

/**
 * The experiment queue on BullMQ: submitting (`exp run --queue`), a worker (`queue worker`), and the
 * views and controls of `queue status/logs/kill/stop/remove`, for every host sharing one Redis, one
 * git remote and one data remote. bullmq (and ioredis) are imported only here, when it is chosen.
 */
export class DistributedQueue {
  readonly settings: BullmqSettings;
  readonly #tvc: Tvc;
  readonly #queue: Queue;
  readonly #bullmq: typeof import('bullmq');
  /** tvc's own keys (workers' heartbeats, kill and stop requests), next to BullMQ's. */
  readonly #redis: Redis;

  private constructor(
    tvc: Tvc,
    settings: BullmqSettings,
    bullmq: typeof import('bullmq'),
    queue: Queue,
    redis: Redis,
  ) {
    this.#tvc = tvc;
    this.#redis = redis;
    this.settings = settings;
    this.#bullmq = bullmq;
    this.#queue = queue;
  }

  static async open(tvc: Tvc, env: Readonly<Record<string, string | undefined>> = process.env) {
    const settings = readSettings(tvc.config.queue, env, tvc.configFile);
    const [bullmq, { Redis }] = await Promise.all([import('bullmq'), import('ioredis')]);
    const queue = new bullmq.Queue(settings.name, {
      connection: { url: settings.redis, maxRetriesPerRequest: 3, connectTimeout: 5_000 },
    });
    queue.on('error', () => {}); // reported by the command that fails
    const redis = new Redis(settings.redis, { maxRetriesPerRequest: 3, connectTimeout: 5_000 });
    let connectionError: Error | undefined;
    redis.on('error', (error: Error) => {
      connectionError = error;
    });
    const opened = new DistributedQueue(tvc, settings, bullmq, queue, redis);
    try {
      await redis.ping();
    } catch (error) {
      await opened.close();
      throw new TvcError(
        'QUEUE_UNREACHABLE',
        `cannot reach Redis at ${settings.redis}: ${connectionError?.message ?? (error instanceof Error ? error.message : String(error))}`,
        { hint: 'start redis-server, or set queue.redis in the tvc config (TVC_QUEUE_REDIS on this host)' },
      );
    }
    return opened;
  }

  /** Redis's clock in ms: one clock for every host (a stop request is compared with workers' start). */
  async #now(): Promise<number> {
    const [seconds, micros] = await this.#redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  async close(): Promise<void> {
    await this.#queue.close().catch(() => {});
    this.#redis.disconnect();
  }

  #key(name: string): string {
    return `bull:${this.settings.name}:tvc-${name}`;
  }

  // ---------------------------------------------------------------- submitting

  /**
   * Sends locally queued entries to the distributed queue: their commits are pushed to the git
   * remote under `refs/tvc-queue/<id>` (one push), then one job each is added; the local entries
   * and their refs are dropped (the job is the entry now). Returns the entries sent.
   */
  async submit(entries: readonly QueueEntry[]): Promise<QueueEntry[]> {
    if (entries.length === 0) return [];
    const root = scmRootOf(this.#tvc);
    const remote = this.settings.gitRemote;
    try {
      await forcePush(
        root,
        remote,
        entries.map((entry) => `${entry.id}:${queuedRef(entry.id)}`),
      );
    } catch (error) {
      throw new TvcError(
        'QUEUE_SUBMIT_FAILED',
        `cannot push the queued commits to git remote '${remote}': ${gitMessage(error)}`,
        { hint: 'the distributed queue needs a git remote every worker can fetch (queue.gitRemote)' },
      );
    }
    const submitter = `${hostname()}:${this.#tvc.root}`;
    for (const entry of entries) {
      const data: JobData = {
        id: entry.id,
        name: entry.name,
        baseline: entry.baseline,
        ref: queuedRef(entry.id),
        repro: entry.repro,
        message: entry.message,
        force: entry.force,
        checkpoint: entry.checkpoint,
        retries: entry.retries,
        created: entry.created,
        submitter,
      };
      await this.#queue.add(entry.name, data, {
        jobId: entry.id,
        attempts: entry.retries + 1,
        removeOnComplete: false,
        removeOnFail: false,
      });
    }
    const store = new QueueStore(this.#tvc.root);
    await store.locked(() => {
      for (const entry of entries) store.delete(entry.id);
    });
    for (const entry of entries) await git(root, ['update-ref', '-d', queueRef(entry.id)]).catch(() => {});
    return [...entries];
  }

  // ---------------------------------------------------------------- views

  async #jobs(): Promise<Array<{ job: Job<JobData, JobResult>; state: JobState }>> {
    const groups: Array<
      [
        JobState,
        Array<
          | 'wait'
          | 'active'
          | 'completed'
          | 'failed'
          | 'delayed'
          | 'prioritized'
          | 'paused'
          | 'waiting-children'
        >,
      ]
    > = [
      ['running', ['active']],
      ['queued', ['wait', 'delayed', 'prioritized', 'paused', 'waiting-children']],
      ['failed', ['failed']],
      ['success', ['completed']],
    ];
    const seen = new Set<string>();
    const all: Array<{ job: Job<JobData, JobResult>; state: JobState }> = [];
    for (const [state, types] of groups) {
      const jobs = (await this.#queue.getJobs(types, 0, -1, true)) as Array<
        Job<JobData, JobResult> | undefined
      >;
      for (const job of jobs) {
        if (!job?.id || seen.has(job.id)) continue;
        seen.add(job.id);
        all.push({ job, state });
      }
    }
    return all;
  }

  #view(job: Job<JobData, JobResult>, state: JobState): JobView {
    const progress = job.progress as { worker?: string } | number | undefined;
    const result = state === 'success' ? (job.returnvalue ?? undefined) : undefined;
    return {
      id: job.data.id,
      name: job.data.name,
      created: job.data.created,
      state,
      worker: (typeof progress === 'object' ? progress?.worker : undefined) ?? result?.worker,
      attempts: job.attemptsStarted ?? job.attemptsMade,
      error: state === 'failed' || state === 'queued' ? job.failedReason || undefined : undefined,
      result,
    };
  }

  /** Every job, oldest first within its state. */
  async list(): Promise<JobView[]> {
    return (await this.#jobs()).map(({ job, state }) => this.#view(job, state));
  }

  /** The workers whose heartbeat is fresh. */
  async workers(): Promise<LiveWorker[]> {
    const client = this.#redis;
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await client.scan(cursor, 'MATCH', `${this.#key('worker')}:*`, 'COUNT', 200);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    const values = keys.length > 0 ? await client.mget(...keys) : [];
    return values
      .filter((value): value is string => typeof value === 'string')
      .map((value) => JSON.parse(value) as LiveWorker)
      .sort((a, b) => a.worker.localeCompare(b.worker));
  }

  async #find(query: string): Promise<{ job: Job<JobData, JobResult>; state: JobState }> {
    const jobs = await this.#jobs();
    const byName = jobs.filter(({ job }) => job.data.name === query);
    if (byName.length > 0) return byName[byName.length - 1]!;
    if (/^[0-9a-f]{4,40}$/.test(query)) {
      const byId = jobs.filter(({ job }) => job.data.id.startsWith(query));
      if (byId.length === 1) return byId[0]!;
      if (byId.length > 1) {
        throw new TvcError(
          'QUEUE_AMBIGUOUS',
          `'${query}' names several queued experiments: ${byId.map(({ job }) => job.data.name).join(', ')}`,
        );
      }
    }
    throw new TvcError('QUEUE_NOT_FOUND', `'${query}' is not a queued experiment`);
  }

  /**
   * Fetches the refs of finished experiments the submitting repository lacks (or has at another
   * commit) from the git remote. Returns their names.
   */
  async fetchResults(views?: readonly JobView[]): Promise<string[]> {
    const root = scmRootOf(this.#tvc);
    const finished = (views ?? (await this.list())).filter((view) => view.state === 'success' && view.result);
    if (finished.length === 0) return [];
    const local = new Map<string, string>();
    for (const line of (
      await git(root, ['for-each-ref', '--format=%(objectname) %(refname)', 'refs/exps/'])
    ).split('\n')) {
      const space = line.indexOf(' ');
      if (space > 0) local.set(line.slice(space + 1), line.slice(0, space));
    }
    const wanted = finished.filter((view) => local.get(view.result!.ref) !== view.result!.sha);
    if (wanted.length === 0) return [];
    try {
      await git(root, [
        'fetch',
        '--quiet',
        '--no-tags',
        this.settings.gitRemote,
        ...wanted.map((view) => `+${view.result!.ref}:${view.result!.ref}`),
      ]);
    } catch (error) {
      throw new TvcError(
        'QUEUE_FETCH_FAILED',
        `cannot fetch finished experiments from git remote '${this.settings.gitRemote}': ${gitMessage(error)}`,
      );
    }
    return wanted.map((view) => view.name);
  }

  /** A job's log so far (every attempt's) and its state. */
  async log(query: string, from = 0): Promise<{ view: JobView; lines: string[]; count: number }> {
    const { job, state } = await this.#find(query);
    const { logs, count } = await this.#queue.getJobLogs(job.id!, from, -1, true);
    return { view: this.#view(job, state), lines: logs, count };
  }

  /** Follows a job's log until it ends, writing each piece as it arrives. */
  async follow(query: string, write: (text: string) => void, pollMs = 200): Promise<JobView> {
    const { job } = await this.#find(query);
    const id = job.id!;
    let offset = 0;
    for (;;) {
      const { logs } = await this.#queue.getJobLogs(id, offset, -1, true);
      for (const line of logs) write(line);
      offset += logs.length;
      if (logs.length > 0) continue;
      const state = await this.#queue.getJobState(id);
      if (state === 'completed' || state === 'failed' || state === 'unknown') {
        const rest = await this.#queue.getJobLogs(id, offset, -1, true);
        for (const line of rest.logs) write(line);
        const final = await this.#find(query).catch(() => undefined);
        return final ? this.#view(final.job, final.state) : this.#view(job, 'failed');
      }
      await sleep(pollMs);
    }
  }

  // ---------------------------------------------------------------- controls

  /** `queue kill`: asks whichever worker runs them to kill them; waits until they are no longer running. */
  async kill(queries: readonly string[], timeoutMs = 15_000): Promise<JobView[]> {
    const found: Array<{ job: Job<JobData, JobResult>; state: JobState }> = [];
    for (const query of queries) {
      const entry = await this.#find(query);
      if (entry.state !== 'running') {
        throw new TvcError(
          'QUEUE_NOT_RUNNING',
          `experiment '${entry.job.data.name}' is not running (it is ${entry.state})`,
          { hint: 'remove a queued experiment with `tvc queue remove`' },
        );
      }
      found.push(entry);
    }
    const client = this.#redis;
    if (found.length > 0) await client.sadd(this.#key('kill'), ...found.map(({ job }) => job.id!));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const states = await Promise.all(found.map(({ job }) => this.#queue.getJobState(job.id!)));
      if (states.every((state) => state !== 'active')) break;
      await sleep(100);
    }
    return found.map(({ job }) => this.#view(job, 'failed'));
  }

  /** `queue stop [--kill]`: every worker started before now stops taking jobs (and kills what it runs). */
  async stop(kill = false): Promise<number> {
    const client = this.#redis;
    await client.set(this.#key('stop'), JSON.stringify({ at: await this.#now(), kill }));
    return (await this.workers()).length;
  }

  /**
   * `queue remove`: drops jobs (their logs, and their queued commits on the git remote). Running
   * ones are refused by name and skipped by the flags. Returns the names removed.
   */
  async remove(options: {
    readonly all?: boolean;
    readonly queued?: boolean;
    readonly success?: boolean;
    readonly failed?: boolean;
    readonly names?: readonly string[];
  }): Promise<string[]> {
    const jobs = await this.#jobs();
    const chosen = new Map<string, { job: Job<JobData, JobResult>; state: JobState }>();
    for (const entry of jobs) {
      const { state } = entry;
      if (
        (options.all && state !== 'running') ||
        (options.queued && state === 'queued') ||
        (options.success && state === 'success') ||
        (options.failed && state === 'failed')
      ) {
        chosen.set(entry.job.id!, entry);
      }
    }
    for (const query of options.names ?? []) {
      const entry = await this.#find(query);
      if (entry.state === 'running') {
        throw new TvcError('QUEUE_RUNNING', `experiment '${entry.job.data.name}' is running`, {
          hint: `kill it first: tvc queue kill ${entry.job.data.name}`,
        });
      }
      chosen.set(entry.job.id!, entry);
    }
    const removed: string[] = [];
    for (const { job } of chosen.values()) {
      try {
        await job.remove();
        removed.push(job.data.name);
      } catch {
        // taken by a worker meanwhile: it stays
      }
    }
    const refs = [...chosen.values()]
      .filter(({ job }) => removed.includes(job.data.name))
      .map(({ job }) => `:${job.data.ref}`);
    if (refs.length > 0) {
      await git(scmRootOf(this.#tvc), [
        'push',
        '--quiet',
        '--no-verify',
        this.settings.gitRemote,
        ...refs,
      ]).catch(() => {});
    }
    return removed;
  }

  // ---------------------------------------------------------------- the worker

  /**
   * `tvc queue worker`: takes jobs up to `jobs` at once until stopped (`queue stop`, SIGTERM). For
   * each: fetches the queued commit from the git remote, the inputs and the run-cache from the data
   * remote, runs the experiment in a temporary workspace (the temp executor), pushes the outputs
   * and the run-cache to the data remote, then the experiment's ref to the git remote — the job is
   * complete only after both. The log goes to the job (`queue logs -f` on any host). A worker
   * killed mid-job loses its lock, and BullMQ's stalled-job check hands the job to another.
   */
  async work(options: WorkerOptions = {}): Promise<number> {
    const tvc = this.#tvc;
    const root = scmRootOf(tvc);
    const jobs = Math.max(1, options.jobs ?? 1);
    const settings = this.settings;
    const host = hostname();
    const workerName = `${host}:${process.pid}`;
    const started = await this.#now();
    const cacheConfigured = configValue(readDvcConfig(tvc.root), 'cache', 'dir');
    const cacheDir = path.resolve(tvc.root, '.dvc', cacheConfigured ?? 'cache');
    const active = new Map<string, { name: string; controller: AbortController }>();
    const events = options.onEvent ?? (() => {});
    let finished = 0;
    let killingAll = false;

    const processor = async (job: Job<JobData, JobResult>): Promise<JobResult> => {
      const data = job.data;
      const controller = new AbortController();
      active.set(job.id!, { name: data.name, controller });
      if (killingAll) controller.abort();
      // the log, in order: each piece is sent as it comes; the job ends after the last is stored
      let pending: Promise<unknown> = Promise.resolve();
      const log = (text: string | Buffer) => {
        const piece = text.toString();
        if (piece === '') return;
        pending = pending.then(() => job.log(piece).catch(() => {}));
      };
      const attempt = job.attemptsStarted ?? job.attemptsMade + 1;
      const attempts = job.opts.attempts ?? 1;
      try {
        await job.updateProgress({ worker: workerName });
        log(`--- attempt ${attempt} of ${attempts} on ${workerName} ---\n`);
        events(`start ${data.name} ${data.id}`);
        const result = await this.#runJob(job, {
          root,
          cacheDir,
          workerName,
          log,
          signal: controller.signal,
          attach: options.attach,
        });
        log(
          `Experiment '${data.name}' is on git remote '${settings.gitRemote}' as ${result.ref} (${result.sha.slice(0, 7)})\n`,
        );
        await pending;
        finished++;
        events(`finish ${data.name} ${data.id} success`);
        return result;
      } catch (error) {
        const killed = controller.signal.aborted;
        const message = killed ? 'killed' : error instanceof Error ? error.message : String(error);
        const final = killed || error instanceof this.#bullmq.UnrecoverableError || attempt >= attempts;
        log(`ERROR: ${message}\n${final ? '' : `Retrying (${attempt} of ${attempts} attempts made)\n`}`);
        await pending;
        events(`${final ? 'finish' : 'retry'} ${data.name} ${data.id} failed: ${message}`);
        if (final) finished++;
        throw killed && !(error instanceof this.#bullmq.UnrecoverableError)
          ? new this.#bullmq.UnrecoverableError('killed')
          : error;
      } finally {
        active.delete(job.id!);
        await this.#redis.srem(this.#key('kill'), job.id!).catch(() => {});
      }
    };

    const worker: Worker<JobData, JobResult> = new this.#bullmq.Worker<JobData, JobResult>(
      settings.name,
      processor,
      {
        connection: { url: settings.redis, maxRetriesPerRequest: null },
        concurrency: jobs,
        lockDuration: settings.lockDuration,
        stalledInterval: settings.stalledInterval,
        maxStalledCount: settings.maxStalledCount,
        name: workerName,
        autorun: false,
      },
    );
    let lastError = '';
    worker.on('error', (error) => {
      // Redis away: ioredis reconnects by itself; say so once per kind of error
      if (error.message !== lastError) events(`redis: ${error.message}`);
      lastError = error.message;
    });

    const client = this.#redis;
    const heartbeatKey = `${this.#key('worker')}:${workerName}`;
    const beat = async () => {
      const record: LiveWorker = {
        worker: workerName,
        host,
        pid: process.pid,
        jobs,
        started: new Date(started).toISOString(),
        active: [...active.values()].map((entry) => entry.name),
      };
      await client.set(heartbeatKey, JSON.stringify(record), 'PX', HEARTBEAT_TTL_MS).catch(() => {});
    };
    await beat();

    let stopping: Promise<void> | undefined;
    const stop = (kill: boolean) => {
      if (kill) {
        killingAll = true;
        for (const entry of active.values()) entry.controller.abort();
      }
      stopping ??= worker.close().then(async () => {
        await client.del(heartbeatKey).catch(() => {});
      });
      return stopping;
    };
    let signals = 0;
    const onAbort = () => {
      signals++;
      void stop(false);
    };
    options.signal?.addEventListener('abort', onAbort);
    const beating = setInterval(() => void beat(), HEARTBEAT_MS);
    let polling = false;
    const poll = setInterval(async () => {
      if (polling) return;
      polling = true;
      try {
        if (active.size > 0) {
          const kills = new Set(await client.smembers(this.#key('kill')));
          for (const [id, entry] of active) if (kills.has(id)) entry.controller.abort();
        }
        const stopRequest = await client.get(this.#key('stop'));
        if (stopRequest) {
          const request = JSON.parse(stopRequest) as { at: number; kill: boolean };
          if (request.at >= started) void stop(request.kill);
        }
        if (options.untilEmpty && active.size === 0) {
          const counts = await this.#queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
          if (Object.values(counts).every((count) => count === 0)) void stop(false);
        }
      } catch {
        // Redis away: the next poll tries again
      } finally {
        polling = false;
      }
    }, POLL_MS);
    void signals;
    try {
      await worker.run();
      await stopping;
    } finally {
      clearInterval(beating);
      clearInterval(poll);
      options.signal?.removeEventListener('abort', onAbort);
      await client.del(heartbeatKey).catch(() => {});
    }
    return finished;
  }

  async #runJob(
    job: Job<JobData, JobResult>,
    context: {
      readonly root: string;
      readonly cacheDir: string;
      readonly workerName: string;
      readonly log: (text: string | Buffer) => void;
      readonly signal: AbortSignal;
      readonly attach: WorkerOptions['attach'];
    },
  ): Promise<JobResult> {
    const tvc = this.#tvc;
    const data = job.data;
    const { root, log } = context;
    const remote = this.settings.gitRemote;
    // 1. the queued commit (its parent is the baseline) from the git remote
    try {
      await git(root, ['fetch', '--quiet', '--no-tags', remote, `+${data.ref}:${data.ref}`]);
    } catch (error) {
      throw new this.#bullmq.UnrecoverableError(
        `cannot fetch the queued commit ${data.id.slice(0, 7)} (${data.ref}) from git remote '${remote}': ${gitMessage(error)}`,
      );
    }
    const sha = (await git(root, ['rev-parse', '--verify', `${data.ref}^{commit}`])).trim();
    if (sha !== data.id) {
      throw new this.#bullmq.UnrecoverableError(
        `${data.ref} on '${remote}' is ${sha.slice(0, 7)}, not the queued ${data.id.slice(0, 7)}`,
      );
    }
    // 2. its inputs and the run-cache from the data remote (what is missing is made by the run)
    const dataRemote = this.settings.dataRemote;
    const fetched = await fetchData(tvc, {
      remote: dataRemote,
      revs: [data.id],
      workspace: false,
      runCache: true,
      onWarning: (message) => log(`WARNING: ${message}\n`),
    });
    if (fetched.failed.length > 0) {
      throw new Error(`cannot fetch ${fetched.failed.length} object(s) from data remote '${fetched.remote}'`);
    }
    if (fetched.transferred > 0) log(`${fetched.transferred} file(s) fetched from '${fetched.remote}'\n`);
    // 3. the run, in a temporary workspace of this clone
    const executor = tvc.executor('temp');
    if (!executor.runExperiment)
      throw new TvcError('EXECUTOR_UNSUPPORTED', 'the temp executor cannot run experiments');
    const experimentContext: ExperimentContext = {
      scmRoot: root,
      dvcRoot: tvc.root,
      cacheDir: context.cacheDir,
      signal: context.signal,
      log: (text) => log(text),
      onTvc: (experimentTvc) => context.attach?.(experimentTvc, (text) => log(text)),
    };
    const outcome = await executor.runExperiment(
      {
        id: data.id,
        name: data.name,
        baseline: data.baseline,
        rev: data.id,
        repro: data.repro,
        message: data.message,
        force: true,
        checkpoint: data.checkpoint,
      },
      experimentContext,
    );
    if (outcome.workspace) {
      const { removeWorkspace } = await import('@tvc/experiments');
      removeWorkspace(outcome.workspace);
    }
    if (outcome.status !== 'success' || !outcome.ref || !outcome.sha) {
      const error = outcome.error;
      const exit =
        error?.exitCode !== undefined &&
        error.exitCode !== null &&
        !error.message?.includes(`code ${error.exitCode}`)
          ? ` (exit code ${error.exitCode})`
          : '';
      throw new Error(`${error?.message ?? 'the experiment failed'}${exit}`);
    }
    if (context.signal.aborted) throw new Error('killed');
    // 4. outputs and run-cache to the data remote, then the ref: a ref on the remote means its data is there
    const pushed = await pushData(tvc, {
      remote: dataRemote,
      revs: [outcome.sha],
      workspace: false,
      runCache: true,
      onWarning: (message) => log(`WARNING: ${message}\n`),
    });
    if (pushed.failed.length > 0 || pushed.missing.length > 0) {
      throw new Error(
        `cannot push the outputs to data remote '${pushed.remote}': ${pushed.failed.length} failed, ${pushed.missing.length} missing`,
      );
    }
    if (pushed.transferred > 0) log(`${pushed.transferred} file(s) pushed to '${pushed.remote}'\n`);
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await forcePush(root, remote, [`${outcome.sha}:${outcome.ref}`]);
        lastError = undefined;
        break;
      } catch (error) {
        lastError = error;
        await sleep(200 * (attempt + 1));
      }
    }
    if (lastError)
      throw new Error(`cannot push ${outcome.ref} to git remote '${remote}': ${gitMessage(lastError)}`);
    return { ref: outcome.ref, sha: outcome.sha, expHash: outcome.expHash, worker: context.workerName };
  }
}

/** Opens the distributed queue of the project (reads `queue` in the tvc config; connects to Redis). */
export function openDistributedQueue(tvc: Tvc, env?: Readonly<Record<string, string | undefined>>) {
  return DistributedQueue.open(tvc, env);
}
