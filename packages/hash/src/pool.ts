// The hash workers: a process-wide pool of hash threads, one per core, each running worker.ts's
// loop with synchronous fs calls and MD5 in its own thread. For directory work without a memo or
// an ignore function, the main thread is one of them (see LOCAL_OPS below).
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
// So file work runs on synchronous fs calls in worker threads, and in the main thread only in
// short slices that never include a large file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { type MessagePort, Worker } from 'node:worker_threads';
import { HashError, type ItemError, itemError } from './errors.js';
import type { Operation, Operations, TreeRecord, WorkerRequest, WorkerResponse } from './protocol.js';
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

/**
 * The main thread's lane: with N hash threads, directory work runs in N - 1 workers plus the main
 * thread itself, which starts at once (a worker takes ~20 ms to start, and its own copy of the
 * hashing code to compile) and passes its results without copying. It takes only directory work
 * (tree, list and run tasks), in slices: a task hands back what is left after LOCAL_BUDGET
 * files or LOCAL_MAX_BYTES bytes (a larger file goes to a worker), so that the event loop is
 * never held for more than a few milliseconds.
 */
const LOCAL_OPS: ReadonlySet<Operation> = new Set<Operation>(['tree', 'list', 'run']);
const LOCAL_BUDGET = 256;
const LOCAL_MAX_BYTES = 4 << 20;

export interface RunOptions {
  cancel?: Int32Array | undefined;
  root?: string | undefined;
  keys?: boolean | undefined;
  known?: string[] | undefined;
  dos2unix?: boolean | undefined;
  storeTo?: string | undefined;
  knownMd5s?: string[] | undefined;
  dir?: string | undefined;
  seg?: number | undefined;
  first?: number | undefined;
  /** run: see WorkerRequest.packed */
  packed?: boolean | undefined;
  /** not for the main thread's lane (files over its byte budget) */
  workersOnly?: boolean | undefined;
  /** ahead of the queue (work handed back, next in order) */
  next?: boolean | undefined;
  /** bytes read so far inside this batch (large files report as they go) */
  onProgress?: ((bytes: number) => void) | undefined;
  /** what a tree job reports before it is done */
  onPartial?: ((records: TreeRecord[]) => void) | undefined;
}

interface Task {
  request: WorkerRequest;
  /** the main thread's lane may run it */
  local: boolean;
  resolve: (results: unknown) => void;
  reject: (error: unknown) => void;
  onProgress: ((bytes: number) => void) | undefined;
  onPartial: ((records: TreeRecord[]) => void) | undefined;
}

interface Lane {
  /** undefined for the main thread's lane */
  worker: Worker | undefined;
  tasks: Map<number, Task>;
}

function readUmask(): number {
  // process.umask() only reads here; it cannot be called in a worker thread, so the main thread
  // passes it on.
  return process.umask();
}

export class WorkerPool {
  /** hash threads, the main thread's lane included when there is one */
  readonly size: number;
  private readonly workers: Lane[] = [];
  /** the main thread's lane, when size > 1 */
  private readonly local: Lane | undefined;
  private localHandler: ((request: WorkerRequest) => void) | undefined;
  private readonly queue: Task[] = [];
  /** queued tasks the main thread's lane may take */
  private localQueued = 0;
  private nextId = 1;
  private readonly umask = readUmask();
  /**
   * Element 0 is 1 while a lane could take another task and none is queued: tree jobs then
   * hand back work they have not started (see worker.ts runTree).
   */
  private readonly hungry = new Int32Array(new SharedArrayBuffer(4));

  constructor(size: number) {
    this.size = Math.max(1, size);
    this.local = this.size > 1 ? { worker: undefined, tasks: new Map() } : undefined;
  }

  run<K extends Operation>(
    op: K,
    items: Operations[K]['item'][],
    options: RunOptions = {},
  ): Promise<Operations[K]['results']> {
    return new Promise((resolve, reject) => {
      const task: Task = {
        request: {
          id: this.nextId++,
          op,
          items,
          umask: this.umask,
          root: options.root,
          keys: options.keys,
          known: options.known,
          dos2unix: options.dos2unix,
          storeTo: options.storeTo,
          knownMd5s: options.knownMd5s,
          dir: options.dir,
          seg: options.seg,
          first: options.first,
          packed: options.packed,
          hungry: op === 'tree' ? this.hungry : undefined,
          cancel: options.cancel,
        },
        local: this.local !== undefined && LOCAL_OPS.has(op) && options.workersOnly !== true,
        resolve: resolve as (results: unknown) => void,
        reject,
        onProgress: options.onProgress,
        onPartial: options.onPartial,
      };
      if (options.next) this.queue.unshift(task);
      else this.queue.push(task);
      if (task.local) this.localQueued++;
      this.dispatch();
    });
  }

  /**
   * Starts the workers a directory job will use now (a worker takes ~20 ms to start): all of
   * them for `workersOnly` work, else all but the main thread's lane. Idle, they do not keep the
   * process alive.
   */
  warm(workersOnly = false): void {
    const wanted = this.local && !workersOnly ? this.size - 1 : this.size;
    while (this.workers.length < wanted) this.spawn().worker!.unref();
  }

  /** Stops every worker; running tasks fail. The next run starts new ones. */
  async terminate(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((entry) => entry.worker!.terminate()));
  }

  private dispatch(): void {
    const { local, queue } = this;
    if (local && local.tasks.size === 0 && this.localQueued > 0) {
      const index = queue.findIndex((task) => task.local);
      if (index >= 0) this.start(local, queue.splice(index, 1)[0]!);
      else this.localQueued = 0;
    }
    while (queue.length > 0) {
      const target = this.idlest(queue[0]!);
      if (!target) break;
      this.start(target, queue.shift()!);
    }
    let free = queue.length === 0 && (this.workers.length < this.size || local?.tasks.size === 0);
    if (queue.length === 0) {
      for (const entry of this.workers) if (entry.tasks.size < IN_FLIGHT) free = true;
    }
    Atomics.store(this.hungry, 0, free ? 1 : 0);
  }

  private start(lane: Lane, task: Task): void {
    if (task.local) this.localQueued--;
    lane.tasks.set(task.request.id, task);
    if (lane.worker) {
      lane.worker.ref();
      lane.worker.postMessage(task.request);
      return;
    }
    const request: WorkerRequest = {
      ...task.request,
      budget: task.request.op === 'tree' ? LOCAL_BUDGET : undefined,
      maxBytes: LOCAL_MAX_BYTES,
    };
    // a macrotask of its own: messages and I/O get their turn between slices
    setImmediate(() => this.runLocal(request));
  }

  /** Runs a request on the main thread, with the workers' code; its responses arrive synchronously. */
  private runLocal(request: WorkerRequest): void {
    if (!this.localHandler) {
      const lane = this.local!;
      const port = {
        on: (_event: 'message', handler: (request: WorkerRequest) => void) => {
          this.localHandler = handler;
        },
        postMessage: (response: WorkerResponse) => this.receive(lane, response),
      };
      runHashWorker({ fs, crypto, path, port: port as unknown as MessagePort });
    }
    try {
      this.localHandler!(request);
    } catch (error) {
      // the handler reports its own failures; this would be a bug in a callback it reached
      const lane = this.local!;
      const task = lane.tasks.get(request.id);
      if (!task) return;
      lane.tasks.delete(request.id);
      task.reject(error);
      this.dispatch();
    }
  }

  private idlest(task: Task): Lane | undefined {
    let best: Lane | undefined;
    for (const entry of this.workers) {
      if (entry.tasks.size < IN_FLIGHT && (!best || entry.tasks.size < best.tasks.size)) best = entry;
    }
    // directory work leaves one thread to the main thread's lane
    const limit = task.local ? this.size - 1 : this.size;
    if (best?.tasks.size === 0 || this.workers.length >= limit) return best;
    return this.spawn();
  }

  private spawn(): Lane {
    // Every fd a worker opens it also closes (in `finally`): Node need not track them, which it
    // does by default at a cost on each open and close.
    const worker = new Worker(WORKER_SOURCE, { eval: true, name: 'tvc-hash', trackUnmanagedFds: false });
    const entry: Lane = { worker, tasks: new Map() };
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

  private receive(entry: Lane, response: WorkerResponse): void {
    const task = entry.tasks.get(response.id);
    if (!task) return;
    if (response.type === 'progress') {
      task.onProgress?.(response.bytes);
      return;
    }
    if (response.type === 'partial') {
      task.onPartial?.(response.records);
      return;
    }
    entry.tasks.delete(response.id);
    if (entry.tasks.size === 0) entry.worker?.unref();
    if (response.type === 'done') task.resolve(response.results);
    else task.reject(failure(response.error));
    this.dispatch();
  }
}

function failure(error: ItemError): HashError {
  if (error.code === 'ABORTED') return new HashError('ABORTED', 'The operation was aborted');
  return error.path === undefined ? new HashError(error.code, error.message) : itemError(error, error.path);
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
