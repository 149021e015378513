// A directory's hash, computed by the workers: they list the directories, hash the files in runs
// and write the manifest text of each run; the main thread only stitches the runs together in
// manifest order as they arrive (feeding the manifest's MD5 and building the entries), so that
// little is left to do once the last file is hashed.
//
// Two modes:
// - autonomous (no `ignore`, no memo): one tree job walks from the root; each worker enters the
//   subdirectories it finds itself and hands back the ones it has not started whenever another
//   worker runs out of work. The main thread does nothing per file but create its entry.
// - directed (`ignore` or a memo): `ignore` is a function of the caller's and the memo lives in
//   this thread, so workers only list each directory; the main thread filters the listing,
//   looks the files up in the memo and sends runs of files to hash.
import { createHash } from 'node:crypto';
import { abortError, HashError, NOT_A_FILE_HINT } from './errors.js';
import type { MemoRecord } from './memo.js';
import { hashPool, type RunOptions, type WorkerPool } from './pool.js';
import {
  type DirectoryListing,
  type DirectoryPlan,
  HASHED_CACHEABLE,
  HASHED_EXECUTABLE,
  HASHED_KNOWN,
  HASHED_STORED,
  type Operation,
  type Operations,
  type RunResult,
  type TreeRecord,
} from './protocol.js';
import type { DirEntry, DirHash, HashOptions, HashProgress } from './types.js';

const NO_MD5 = '0'.repeat(32);

/** Files per run in directed mode (the workers use the same in tree jobs). */
const RUN = 256;

interface TreeNode {
  plan: DirectoryPlan;
  /** each run's results so far (a run may come in parts), by plan index, until emitted */
  parts: (RunResult[] | undefined)[];
  /** files of each run still to come, by plan index */
  missing: number[];
}

function treeNode(plan: DirectoryPlan): TreeNode {
  return {
    plan,
    parts: new Array(plan.length),
    missing: plan.map((item) => (typeof item === 'number' ? item : 0)),
  };
}

interface Frame {
  dir: string;
  node: TreeNode;
  index: number;
}

const child = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);

/** Whether the main thread has work per file (see the top of this file). */
function directed(options: HashOptions): boolean {
  return options.ignore !== undefined || options.memo !== undefined;
}

/** Hashes the directory `root` (absolute, known to be a directory). */
export async function hashTree(root: string, options: HashOptions = {}): Promise<DirHash> {
  const pool = hashPool();
  // directed mode keeps the main thread for its per-file work: workers only
  pool.warm(directed(options));
  return new TreeHasher(pool, root, options).run();
}

class TreeHasher {
  private readonly pool: WorkerPool;
  private readonly root: string;
  private readonly options: HashOptions;
  private readonly cancel = new Int32Array(new SharedArrayBuffer(4));
  private readonly nodes = new Map<string, TreeNode>();
  /** the emission cursor: the directories being emitted, outermost first */
  private readonly stack: Frame[] = [];
  private started = false;
  /** the runs emitted, in manifest order */
  private readonly runs: RunResult[] = [];
  private nfiles = 0;
  private size = 0;
  private readonly manifest = createHash('md5').update('[');
  private first = true;
  private readonly progress: HashProgress = { files: 0, bytes: 0 };
  private outstanding = 0;
  private failure: unknown;
  private settle: () => void = () => {};

  private readonly directed: boolean;

  constructor(pool: WorkerPool, root: string, options: HashOptions) {
    this.pool = pool;
    this.root = root;
    this.options = options;
    this.directed = directed(options);
  }

  async run(): Promise<DirHash> {
    const { signal } = this.options;
    const onAbort = () => this.fail(abortError(signal!));
    const done = new Promise<void>((resolve) => {
      this.settle = resolve;
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) throw abortError(signal);
      if (this.directed) this.list('');
      else this.tree('');
      await done;
      if (this.failure !== undefined) throw this.failure;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (!this.started || this.stack.length > 0) throw new Error('hashTree: the manifest is incomplete');
    const md5 = `${this.manifest.update(']').digest('hex')}.dir`;
    return directoryHash(md5, this.size, this.nfiles, this.runs);
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    Atomics.store(this.cancel, 0, 1);
  }

  /** Runs a job in the pool; `onDone` gets its results unless the hashing failed meanwhile. */
  private submit<K extends Operation>(
    op: K,
    items: Operations[K]['item'][],
    options: RunOptions,
    onDone: (results: Operations[K]['results'], reported: number) => void,
  ): void {
    this.outstanding++;
    let reported = 0;
    const { onProgress } = this.options;
    this.pool
      .run(op, items, {
        ...options,
        workersOnly: options.workersOnly || this.directed,
        root: this.root,
        cancel: this.cancel,
        onProgress: onProgress
          ? (bytes) => {
              // a large file, as it is read; its run's sizes count it again, minus this
              reported += bytes;
              this.progress.bytes += bytes;
              onProgress({ ...this.progress });
            }
          : undefined,
        onPartial: (records) => {
          try {
            if (this.failure === undefined) reported = this.receive(records, reported);
          } catch (error) {
            this.fail(error);
          }
        },
      })
      .then((results) => {
        if (this.failure === undefined) onDone(results, reported);
      })
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        if (--this.outstanding === 0) this.settle();
      });
  }

  /** Autonomous mode: a tree job from `dir`. */
  private tree(dir: string, next = false): void {
    this.submit('tree', [dir], { next }, () => {});
  }

  /** Records of a tree job; returns what is left of `reported` (progress bytes already counted). */
  private receive(records: TreeRecord[], reported: number): number {
    const runs: (TreeRecord & { kind: 'runs' })[] = [];
    for (const record of records) {
      switch (record.kind) {
        case 'plan':
          this.nodes.set(record.dir, treeNode(record.plan));
          break;
        case 'run':
          reported = this.accept(record, undefined, undefined, reported);
          break;
        case 'dirs':
          // handed back in order: each goes to the front, so the last first
          if (record.next)
            for (let index = record.dirs.length - 1; index >= 0; index--)
              this.tree(record.dirs[index]!, true);
          else for (const dir of record.dirs) this.tree(dir);
          break;
        case 'runs':
          runs.push(record);
          break;
      }
    }
    // each goes to the front of the queue: the last first
    for (let index = runs.length - 1; index >= 0; index--) {
      const run = runs[index]!;
      this.hashRun(run.dir, run.seg, run.first, run.names, run.large);
    }
    this.advance();
    return reported;
  }

  /** Directed mode: lists `dir`, then filters it and hashes what is kept. */
  private list(dir: string): void {
    this.submit('list', [dir], {}, (listings) => {
      for (const listing of listings) this.plan(listing);
      this.advance();
    });
  }

  private plan({ dir, names: joined, kinds }: DirectoryListing): void {
    const { ignore } = this.options;
    const names = joined === '' ? [] : joined.split('\0');
    const plan: DirectoryPlan = [];
    const runs: [number, string[]][] = [];
    let run: string[] = [];
    const close = () => {
      runs.push([plan.length, run]);
      plan.push(run.length);
      run = [];
    };
    for (let index = 0; index < names.length; index++) {
      const name = names[index]!;
      const relpath = child(dir, name);
      const kind = kinds.charCodeAt(index);
      if (kind === 100 /* d */) {
        if (ignore?.(relpath, true)) continue;
        if (run.length > 0) close();
        plan.push(name);
        this.list(relpath);
      } else if (!ignore?.(relpath, false)) {
        if (kind === 120 /* x */) {
          const absolute = `${this.root}/${relpath}`;
          throw new HashError('NOT_A_FILE', `Not a regular file: '${absolute}'`, {
            path: absolute,
            hint: NOT_A_FILE_HINT,
          });
        }
        run.push(name);
        if (run.length === RUN) close();
      }
    }
    if (run.length > 0) close();
    this.nodes.set(dir, treeNode(plan));
    // each goes to the front of the queue: the last first
    for (let index = runs.length - 1; index >= 0; index--)
      this.hashRun(dir, runs[index]![0], 0, runs[index]![1], false);
  }

  /** Hashes a run of files of `dir`, consulting the memo (directed mode). */
  private hashRun(dir: string, seg: number, first: number, names: string[], large: boolean): void {
    const { memo } = this.options;
    let records: (MemoRecord | undefined)[] | undefined;
    let known: string[] | undefined;
    let knownMd5s: string[] | undefined;
    if (memo) {
      const directory = dir === '' ? this.root : `${this.root}/${dir}`;
      records = names.map((name) => memo.lookup(`${directory}/${name}`));
      // packed into one string each (see WorkerRequest.packed): far cheaper to clone
      let keys = '';
      let md5s = '';
      for (let index = 0; index < records.length; index++) {
        const record = records[index];
        keys += index === 0 ? (record?.key ?? '') : `\n${record?.key ?? ''}`;
        md5s += record?.md5 ?? NO_MD5;
      }
      known = [keys];
      knownMd5s = [md5s];
    }
    const options = {
      dir,
      seg,
      first,
      keys: memo !== undefined,
      known,
      knownMd5s,
      packed: true,
      storeTo: memo ? this.options.store?.objects : undefined,
      workersOnly: large,
      // ahead of the directories still to list: depth first, so that the manifest is emitted
      // (and the results held freed) as the hashing goes
      next: true,
    };
    this.submit('run', [names.join('\0')], options, (result, reported) => {
      this.accept(result, names, records, reported);
      // the main thread's lane hands on the rest of a run from a file over its size limit
      if (result.rest.length > 0) this.hashRun(dir, seg, first + result.sizes.length, result.rest, true);
      this.advance();
    });
  }

  /** A run's hashes arrived: memo and progress now, the manifest when the cursor reaches it. */
  private accept(
    result: RunResult,
    names: string[] | undefined,
    records: (MemoRecord | undefined)[] | undefined,
    reported: number,
  ): number {
    const { memo, onProgress, store } = this.options;
    const { sizes, flags } = result;
    if (memo && names && records) {
      const directory = result.dir === '' ? this.root : `${this.root}/${result.dir}`;
      for (let index = 0; index < sizes.length; index++) {
        const flag = flags[index]!;
        if (flag & HASHED_KNOWN) memo.hit(records[index]!);
        else {
          const md5 = result.md5s.slice(index * 32, index * 32 + 32);
          memo.remember(
            `${directory}/${names[index]}`,
            result.keys[index]!,
            md5,
            (flag & HASHED_CACHEABLE) !== 0,
          );
          if (flag & HASHED_STORED) store?.onStored(md5, result.objectKeys[index]!);
        }
      }
      memo.stats.bytesRead += result.bytesRead;
    }
    const node = this.nodes.get(result.dir)!;
    const parts = node.parts[result.seg];
    if (parts) parts.push(result);
    else node.parts[result.seg] = [result];
    node.missing[result.seg]! -= sizes.length;
    if (onProgress) {
      let bytes = 0;
      for (let index = 0; index < sizes.length; index++) bytes += sizes[index]!;
      const already = Math.min(bytes, reported);
      reported -= already;
      this.progress.files += sizes.length;
      this.progress.bytes += bytes - already;
      onProgress({ ...this.progress });
    }
    return reported;
  }

  /** Emits, in manifest order, every run whose predecessors have all arrived. */
  private advance(): void {
    const { stack } = this;
    if (!this.started) {
      const root = this.nodes.get('');
      if (!root) return;
      this.started = true;
      stack.push({ dir: '', node: root, index: 0 });
    }
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const { node } = frame;
      if (frame.index === node.plan.length) {
        stack.pop();
        this.nodes.delete(frame.dir);
        continue;
      }
      const item = node.plan[frame.index]!;
      if (typeof item === 'string') {
        const dir = child(frame.dir, item);
        const next = this.nodes.get(dir);
        if (!next) return;
        frame.index++;
        stack.push({ dir, node: next, index: 0 });
        continue;
      }
      if (node.missing[frame.index]! > 0) return;
      const parts = node.parts[frame.index]!;
      node.parts[frame.index] = undefined;
      frame.index++;
      if (parts.length > 1) parts.sort((a, b) => a.first - b.first);
      for (const part of parts) this.emit(part);
    }
  }

  private emit(result: RunResult): void {
    const { sizes } = result;
    let size = 0;
    for (let index = 0; index < sizes.length; index++) size += sizes[index]!;
    this.size += size;
    this.nfiles += sizes.length;
    this.runs.push(result);
    this.manifest.update(this.first ? result.manifest.subarray(2) : result.manifest);
    this.first = false;
  }
}

/**
 * The DirHash of a tree: `entries` is built on first use, by parsing the manifest text back
 * (JSON.parse undoes json.dumps' escapes exactly), so that a caller who needs only the md5 (a
 * status check) pays nothing per file on this thread.
 */
function directoryHash(md5: string, size: number, nfiles: number, runs: RunResult[]): DirHash {
  const hash = { md5, size, nfiles } as DirHash;
  Object.defineProperty(hash, 'entries', {
    enumerable: true,
    configurable: true,
    get(this: DirHash): DirEntry[] {
      const entries = parseEntries(runs);
      Object.defineProperty(this, 'entries', { ...DATA, value: entries });
      return entries;
    },
    set(this: DirHash, entries: DirEntry[]) {
      Object.defineProperty(this, 'entries', { ...DATA, value: entries });
    },
  });
  return hash;
}

const DATA = { writable: true, enumerable: true, configurable: true };

function parseEntries(runs: readonly RunResult[]): DirEntry[] {
  const entries: DirEntry[] = [];
  for (const { manifest, sizes, flags } of runs) {
    const text = Buffer.from(manifest.buffer, manifest.byteOffset, manifest.byteLength).toString('latin1');
    const parsed = JSON.parse(`[${text.slice(2)}]`) as { md5: string; relpath: string }[];
    for (let index = 0; index < parsed.length; index++) {
      const { relpath, md5 } = parsed[index]!;
      entries.push({ relpath, md5, size: sizes[index]!, isexec: (flags[index]! & HASHED_EXECUTABLE) !== 0 });
    }
  }
  return entries;
}
