import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import {
  processAlive as alive,
  type ExperimentCheckpointStart,
  type ExperimentOutcome,
  type ExperimentReproOptions,
  type ExperimentTask,
  TvcError,
  writeFileAtomic,
} from '@tvc/core';
import { sweepWorkspaces } from './temp-workspaces';

/** Where tvc's queue lives, under the DVC root (`.dvc/tmp` is git-ignored, as DVC's queue is). */
export const QUEUE_DIRECTORY = '.dvc/tmp/exps/tvc-queue';
/** Each queued commit is kept alive by a ref in a namespace DVC skips when it lists experiments. */
export const QUEUE_REF_NAMESPACE = 'refs/exps/celery/tvc';

export type QueueStatus = 'queued' | 'running' | 'success' | 'failed';

/** One experiment in the queue, as stored in `<id>.json`. */
export interface QueueEntry {
  /** The stash commit's sha. */
  readonly id: string;
  readonly name: string;
  readonly baseline: string;
  readonly created: string;
  readonly status: QueueStatus;
  readonly repro: ExperimentReproOptions;
  readonly message?: string | undefined;
  readonly force?: boolean | undefined;
  /** For a checkpoint pipeline: where its checkpoints continue from (`--rev`, a resumed experiment, `--reset`). */
  readonly checkpoint?: ExperimentCheckpointStart | undefined;
  /** How many more times a failed run is tried again (`--retries`). */
  readonly retries: number;
  /** Runs started so far. */
  readonly attempts: number;
  /** The worker process running it (its pid), while running. */
  readonly worker?: number | undefined;
  readonly started?: string | undefined;
  readonly finished?: string | undefined;
  /** The last run's outcome. */
  readonly outcome?: ExperimentOutcome | undefined;
}

/** A worker process, as stored in `workers/<pid>.json`. */
export interface WorkerRecord {
  readonly pid: number;
  readonly jobs: number;
  readonly started: string;
  /** Ids the worker is running now. */
  readonly active: readonly string[];
  /** Only these names or ids (`queue start NAMES…`), or every entry. */
  readonly only?: readonly string[] | undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The queue on disk: one JSON file per entry, one log per entry, one file per worker, and a lock
 * file (`O_EXCL`, holding the owner's pid; a dead owner's lock is taken over) around every change
 * of state, so that several processes (`exp run --queue` while a worker runs, two workers, `queue
 * kill`) never lose an update. Every file is replaced atomically.
 */
export class QueueStore {
  readonly directory: string;
  readonly #dvcRoot: string;

  constructor(dvcRoot: string) {
    this.#dvcRoot = dvcRoot;
    this.directory = path.join(dvcRoot, QUEUE_DIRECTORY);
  }

  get #entries(): string {
    return path.join(this.directory, 'entries');
  }

  get #workers(): string {
    return path.join(this.directory, 'workers');
  }

  logPath(id: string): string {
    return path.join(this.directory, 'logs', `${id}.log`);
  }

  #entryPath(id: string): string {
    return path.join(this.#entries, `${id}.json`);
  }

  /** Runs `work` holding the queue's lock (waits for it up to `timeoutMs`). */
  async locked<T>(work: () => Promise<T> | T, timeoutMs = 30_000): Promise<T> {
    mkdirSync(this.directory, { recursive: true });
    const lock = path.join(this.directory, 'lock');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const fd = openSync(lock, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        let owner = Number.NaN;
        try {
          owner = Number(readFileSync(lock, 'utf8'));
        } catch {
          continue; // released meanwhile
        }
        if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && !alive(owner)) {
          rmSync(lock, { force: true });
          continue;
        }
        if (Date.now() > deadline) {
          throw new TvcError('QUEUE_LOCKED', `the experiment queue is locked by process ${owner}`, {
            hint: `if no tvc process is running, remove ${path.relative(process.cwd(), lock)}`,
          });
        }
        await sleep(5 + Math.random() * 20);
      }
    }
    try {
      return await work();
    } finally {
      rmSync(lock, { force: true });
    }
  }

  /** Every entry, oldest first (by creation time, then id). */
  list(): QueueEntry[] {
    if (!existsSync(this.#entries)) return [];
    const entries: QueueEntry[] = [];
    for (const file of readdirSync(this.#entries)) {
      if (!file.endsWith('.json')) continue;
      try {
        entries.push(JSON.parse(readFileSync(path.join(this.#entries, file), 'utf8')) as QueueEntry);
      } catch {
        // a file being replaced is read again next time; a corrupt one is skipped
      }
    }
    return entries.sort((a, b) => a.created.localeCompare(b.created) || a.id.localeCompare(b.id));
  }

  get(id: string): QueueEntry | undefined {
    try {
      return JSON.parse(readFileSync(this.#entryPath(id), 'utf8')) as QueueEntry;
    } catch {
      return undefined;
    }
  }

  async put(entry: QueueEntry): Promise<void> {
    mkdirSync(this.#entries, { recursive: true });
    await writeFileAtomic(this.#entryPath(entry.id), `${JSON.stringify(entry, null, 2)}\n`);
  }

  /** Removes an entry's record and its log. */
  delete(id: string): void {
    rmSync(this.#entryPath(id), { force: true });
    rmSync(this.logPath(id), { force: true });
    rmSync(this.killPath(id), { force: true });
  }

  /**
   * Entries whose worker died while they ran are failed now (their logs stay), and the temporary
   * workspaces of dead tvc processes (not kept on request) are removed. Returns the entries.
   */
  async recover(): Promise<QueueEntry[]> {
    const recovered: QueueEntry[] = [];
    for (const entry of this.list()) {
      if (entry.status !== 'running' || entry.worker === undefined || alive(entry.worker)) continue;
      const failed: QueueEntry = {
        ...entry,
        status: 'failed',
        worker: undefined,
        finished: new Date().toISOString(),
        outcome: {
          status: 'failed',
          error: {
            code: 'WORKER_DIED',
            message: `the queue worker (pid ${entry.worker}) stopped while the experiment ran`,
          },
        },
      };
      await this.put(failed);
      recovered.push(failed);
    }
    for (const worker of this.workers(false)) {
      if (!alive(worker.pid)) rmSync(path.join(this.#workers, `${worker.pid}.json`), { force: true });
    }
    sweepWorkspaces(this.#dvcRoot);
    return recovered;
  }

  /** The workers on record (only live ones unless `all` is false… then every record). */
  workers(liveOnly = true): WorkerRecord[] {
    if (!existsSync(this.#workers)) return [];
    const workers: WorkerRecord[] = [];
    for (const file of readdirSync(this.#workers)) {
      if (!file.endsWith('.json')) continue;
      try {
        const record = JSON.parse(readFileSync(path.join(this.#workers, file), 'utf8')) as WorkerRecord;
        if (!liveOnly || alive(record.pid)) workers.push(record);
      } catch {
        // being replaced
      }
    }
    return workers;
  }

  async putWorker(record: WorkerRecord): Promise<void> {
    mkdirSync(this.#workers, { recursive: true });
    await writeFileAtomic(path.join(this.#workers, `${record.pid}.json`), `${JSON.stringify(record)}\n`);
  }

  deleteWorker(pid: number): void {
    rmSync(path.join(this.#workers, `${pid}.json`), { force: true });
  }

  /** The file whose existence asks the worker running `id` to kill it. */
  killPath(id: string): string {
    return path.join(this.directory, 'kill', id);
  }

  requestKill(id: string): void {
    mkdirSync(path.dirname(this.killPath(id)), { recursive: true });
    closeSync(openSync(this.killPath(id), 'w'));
  }

  /** The file whose existence asks every worker to stop taking entries (`kill` inside: and kill). */
  get stopPath(): string {
    return path.join(this.directory, 'stop');
  }
}

/** An entry as the task an executor runs. */
export function taskOf(entry: QueueEntry): ExperimentTask {
  return {
    id: entry.id,
    name: entry.name,
    baseline: entry.baseline,
    rev: entry.id,
    repro: entry.repro,
    message: entry.message,
    force: entry.force,
    checkpoint: entry.checkpoint,
  };
}

/** The ref that keeps a queued commit alive. */
export function queueRef(id: string): string {
  return `${QUEUE_REF_NAMESPACE}/${id}`;
}
