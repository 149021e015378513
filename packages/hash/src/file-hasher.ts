import { lstatSync } from 'node:fs';
import { abortError, HashError, type ItemError, itemError } from './errors.js';
import { HashMemo, type MemoRecord } from './memo.js';
import { hashPool } from './pool.js';
import { HASHED_CACHEABLE, HASHED_EXECUTABLE, HASHED_FAILED, HASHED_KNOWN } from './protocol.js';
import type { FileHash, HashProgress } from './types.js';

/**
 * The error for a file that could not be hashed. A file removed, or replaced, between being
 * listed and being read is a race with whatever changes the workspace, not a broken file: it is
 * NOT_FOUND when it (or a directory above it) is gone, and a NOT_A_FILE saying so when a
 * directory stands in its place now, so that callers can tell both from a socket or a FIFO.
 */
export function fileError(error: ItemError, file: string): HashError {
  if (error.code === 'ENOENT' || error.code === 'ENOTDIR') {
    return new HashError('NOT_FOUND', `No such file: '${file}'`, { path: file });
  }
  if (error.code === 'NOT_A_FILE' || error.code === 'EISDIR') {
    let now: ReturnType<typeof lstatSync>;
    try {
      now = lstatSync(file, { throwIfNoEntry: false });
    } catch {
      now = undefined; // ENOTDIR: a directory above it became a file
    }
    if (now === undefined) return new HashError('NOT_FOUND', `No such file: '${file}'`, { path: file });
    if (now.isDirectory()) {
      return new HashError('NOT_A_FILE', `'${file}' is a directory, not a file`, {
        path: file,
        hint: 'it was replaced by a directory while it was being hashed, or a file was expected there',
      });
    }
  }
  return itemError(error, file);
}

/** Files per message to a worker: enough to make the round trip negligible, few enough to balance. */
const BATCH = 256;

export interface FileHasherOptions {
  /** when set, files are added as posix paths relative to it (cheaper than absolute ones) */
  root?: string | undefined;
  memo?: HashMemo | undefined;
  /**
   * the memo vouches only for files at least this large: smaller ones are read whatever it says
   * (checkout reads small cache objects, so that even bit rot no stat field shows is caught)
   */
  trustFrom?: number | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: HashProgress) => void) | undefined;
  dos2unix?: boolean | undefined;
  /** when given, a file that cannot be hashed is reported here instead of failing the whole job */
  onError?: ((file: string, error: HashError) => void) | undefined;
}

/**
 * Hashes files in the worker pool as they are added, in batches, consulting and updating the
 * memo. Each file carries a tag, handed back with its hash to `receive`. `finish()` resolves
 * when every file added has been hashed, or rejects with the first error (after which the
 * remaining batches are cancelled).
 */
export class FileHasher<Tag> {
  private readonly options: FileHasherOptions;
  private readonly receive: (tag: Tag, hash: FileHash) => void;
  private readonly cancel = new Int32Array(new SharedArrayBuffer(4));
  private readonly running: Promise<void>[] = [];
  private paths: string[] = [];
  private known: string[] = [];
  private records: (MemoRecord | undefined)[] = [];
  private tags: Tag[] = [];
  private failure: unknown;
  private readonly progress: HashProgress = { files: 0, bytes: 0 };
  private readonly onAbort: () => void;

  constructor(receive: (tag: Tag, hash: FileHash) => void, options: FileHasherOptions = {}) {
    this.receive = receive;
    this.options = options;
    this.onAbort = () => this.fail(abortError(options.signal!));
    if (options.signal?.aborted) this.onAbort();
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Queues a file: an absolute path, or a relpath under `root`. */
  add(file: string, tag: Tag): void {
    if (this.failure !== undefined) return;
    const { memo, dos2unix } = this.options;
    this.paths.push(file);
    // The memo holds plain MD5s: md5-dos2unix always reads.
    if (memo && !dos2unix) {
      let record = memo.lookup(this.absolute(file));
      const { trustFrom } = this.options;
      if (record && trustFrom !== undefined && HashMemo.keySize(record.key) < trustFrom) record = undefined;
      this.records.push(record);
      this.known.push(record?.key ?? '');
    }
    this.tags.push(tag);
    if (this.paths.length >= BATCH) this.submit();
  }

  /** Stops: queued and running batches are cancelled and finish() rejects with `error`. */
  fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    Atomics.store(this.cancel, 0, 1);
  }

  async finish(): Promise<void> {
    this.submit();
    try {
      await Promise.allSettled(this.running);
      if (this.failure !== undefined) throw this.failure;
    } finally {
      this.options.signal?.removeEventListener('abort', this.onAbort);
    }
  }

  private absolute(file: string): string {
    return this.options.root === undefined ? file : `${this.options.root}/${file}`;
  }

  private submit(): void {
    if (this.paths.length === 0 || this.failure !== undefined) return;
    const { paths, known, records, tags } = this;
    this.paths = [];
    this.known = [];
    this.records = [];
    this.tags = [];
    const { root, memo, onProgress, dos2unix, onError } = this.options;
    let reported = 0;
    const onBytes = onProgress
      ? (bytes: number) => {
          reported += bytes;
          this.progress.bytes += bytes;
          onProgress({ ...this.progress });
        }
      : undefined;
    const remember = memo !== undefined && !dos2unix;
    const batch = hashPool()
      .run('hash', paths, {
        cancel: this.cancel,
        onProgress: onBytes,
        root,
        keys: remember,
        known: remember ? known : undefined,
        dos2unix,
      })
      .then(({ sizes, flags, md5s, keys, bytesRead, errors }) => {
        let bytes = 0;
        for (let index = 0; index < paths.length; index++) {
          const flag = flags[index]!;
          if (flag & HASHED_FAILED) {
            const file = this.absolute(paths[index]!);
            const error = fileError(errors[index]!, file);
            if (!onError) throw error;
            onError(file, error);
            continue;
          }
          let md5: string | undefined;
          if (flag & HASHED_KNOWN) {
            // the worker saw the stat key sent from this record, so the record holds the md5
            md5 = memo!.hit(records[index]!);
          } else {
            md5 = md5s.slice(index * 32, index * 32 + 32);
            if (remember) {
              memo.remember(this.absolute(paths[index]!), keys[index]!, md5, (flag & HASHED_CACHEABLE) !== 0);
            }
          }
          const size = sizes[index]!;
          bytes += size;
          this.receive(tags[index]!, { md5, size, isexec: (flag & HASHED_EXECUTABLE) !== 0 });
        }
        if (memo && !dos2unix) memo.stats.bytesRead += bytesRead;
        this.progress.files += paths.length;
        this.progress.bytes += bytes - reported;
        onProgress?.({ ...this.progress });
      })
      .catch((error: unknown) => this.fail(error));
    this.running.push(batch);
  }
}

/** Hashes a list of absolute paths; results in the same order. */
export async function hashFiles(
  files: readonly string[],
  options: FileHasherOptions = {},
): Promise<FileHash[]> {
  const hashes: FileHash[] = new Array(files.length);
  const hasher = new FileHasher<number>((index, hash) => {
    hashes[index] = hash;
  }, options);
  files.forEach((file, index) => {
    hasher.add(file, index);
  });
  await hasher.finish();
  return hashes;
}
