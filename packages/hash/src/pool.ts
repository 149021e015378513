// The hash workers: a process-wide pool of worker threads, one per core, each running
// worker.ts's loop with synchronous fs calls and MD5 in its own thread.
//
// Why worker threads rather than the libuv threadpool driven from the main thread, measured on
// this project's 2-core machine with Node 20 (bench/hash.mjs keeps both designs runnable):
// - 50,000 files of 64 B–4 KiB, each a fresh process: fs callbacks (open/fstat/read/close in the
//   threadpool, 64 files in flight, MD5 on the main thread) 1.34–1.51 s; these workers 0.43 s on
//   a quiet machine (0.65–0.71 s while other jobs loaded it). Every async fs call costs a
//   threadpool round trip plus a main-thread callback, more than the read and the MD5 of a small
//   file together, and all MD5 still runs on the one main thread; a worker's sync calls cost
//   ~7 µs per file (open, fstat, read, MD5, close) and the MD5s spread over the cores.
// - one 1 GiB file: the same within noise (1.51–1.57 s here, 1.56–1.63 s with double-buffered
//   async reads on the main thread; md5sum 1.46–1.53 s): one stream cannot use a second core,
//   and 1 MiB reads from the page cache cost ~7% of the MD5 time, so overlapping them gains
//   nothing measurable.
// So all file work goes through the workers; the main thread only walks directories, consults
// the memo and assembles results, and never blocks on a large file.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { HashError, type ItemError } from './errors.js';
import type { Operation, Operations, WorkerRequest, WorkerResponse } from './protocol.js';
import { runHashWorker } from './worker.js';

// process.getBuiltinModule works whether the eval'd source runs as a script or as a module
// (a worker inherits the parent's --input-type, under which `require` does not exist).
const WORKER_SOURCE = `(${runHashWorker.toString()})({
  fs: process.getBuiltinModule('node:fs'),
  crypto: process.getBuiltinModule('node:crypto'),
  path: process.getBuiltinModule('node:path'),
  port: process.getBuiltinModule('node:worker_threads').parentPort,
});`;

/** Batches each worker holds at once: one running, one queued behind it, so it never waits on us. */
const IN_FLIGHT = 2;

export interface RunOptions {
  cancel?: Int32Array | undefined;
  root?: string | undefined;
  keys?: boolean | undefined;
  known?: string[] | undefined;
  dos2unix?: boolean | undefined;
  /** bytes read so far inside this batch (large files report as they go) */
  onProgress?: ((bytes: number) => void) | undefined;
}

interface Task {
  request: WorkerRequest;
  resolve: (results: unknown) => void;
  reject: (error: unknown) => void;
  onProgress: ((bytes: number) => void) | undefined;
}

interface PoolWorker {
  worker: Worker;
  tasks: Map<number, Task>;
}

function readUmask(): number {
  // process.umask() only reads here; it cannot be called in a worker thread, so the main thread
  // passes it on.
  return process.umask();
}

export class WorkerPool {
  readonly size: number;
  private readonly workers: PoolWorker[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private readonly umask = readUmask();

  constructor(size: number) {
    this.size = Math.max(1, size);
  }

  run<K extends Operation>(
    op: K,
    items: Operations[K]['item'][],
    options: RunOptions = {},
  ): Promise<Operations[K]['results']> {
    return new Promise((resolve, reject) => {
      this.queue.push({
        request: {
          id: this.nextId++,
          op,
          items,
          umask: this.umask,
          root: options.root,
          keys: options.keys,
          known: options.known,
          dos2unix: options.dos2unix,
          cancel: options.cancel,
        },
        resolve: resolve as (results: unknown) => void,
        reject,
        onProgress: options.onProgress,
      });
      this.dispatch();
    });
  }

  /** Stops every worker; running tasks fail. The next run starts new ones. */
  async terminate(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((entry) => entry.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const target = this.idlest();
      if (!target) return;
      const task = this.queue.shift()!;
      target.tasks.set(task.request.id, task);
      target.worker.ref();
      target.worker.postMessage(task.request);
    }
  }

  private idlest(): PoolWorker | undefined {
    let best: PoolWorker | undefined;
    for (const entry of this.workers) {
      if (entry.tasks.size < IN_FLIGHT && (!best || entry.tasks.size < best.tasks.size)) best = entry;
    }
    if (best?.tasks.size === 0 || this.workers.length >= this.size) return best;
    return this.spawn();
  }

  private spawn(): PoolWorker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, name: 'tvc-hash' });
    const entry: PoolWorker = { worker, tasks: new Map() };
    worker.on('message', (response: WorkerResponse) => this.receive(entry, response));
    const fail = (error: unknown) => {
      const index = this.workers.indexOf(entry);
      if (index >= 0) this.workers.splice(index, 1);
      for (const task of entry.tasks.values()) {
        task.reject(
          new HashError('WORKER_FAILED', `A hash worker stopped: ${String(error)}`, { cause: error }),
        );
      }
      entry.tasks.clear();
      this.dispatch();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.workers.push(entry);
    return entry;
  }

  private receive(entry: PoolWorker, response: WorkerResponse): void {
    const task = entry.tasks.get(response.id);
    if (!task) return;
    if (response.type === 'progress') {
      task.onProgress?.(response.bytes);
      return;
    }
    entry.tasks.delete(response.id);
    if (entry.tasks.size === 0) entry.worker.unref();
    if (response.type === 'done') task.resolve(response.results);
    else task.reject(failure(response.error));
    this.dispatch();
  }
}

function failure(error: ItemError): HashError {
  return error.code === 'ABORTED'
    ? new HashError('ABORTED', 'The operation was aborted')
    : new HashError(error.code, error.message);
}

let shared: WorkerPool | undefined;

/** The process-wide pool; `TVC_HASH_THREADS` overrides its size (default: one per core). */
export function hashPool(): WorkerPool {
  if (!shared) {
    const fromEnvironment = Number.parseInt(process.env.TVC_HASH_THREADS ?? '', 10);
    shared = new WorkerPool(fromEnvironment > 0 ? fromEnvironment : availableParallelism());
  }
  return shared;
}

/** Stops the hash workers (they are unref'd when idle, so this is only needed to free them early). */
export async function terminateHashWorkers(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.terminate();
}
