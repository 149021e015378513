// The body of a hash worker thread. pool.ts starts it from this function's source text
// (`new Worker(source, { eval: true })`), so it must stay self-contained: it may use its
// parameters, globals (Buffer, Atomics, Date) and types, and nothing else from this module.
//
// Each worker does its file work with synchronous fs calls and MD5 in its own thread, one item
// after another, reading in 1 MiB chunks into one reused buffer. See pool.ts for why this beats
// the libuv threadpool driven from the main thread.
import type { MessagePort } from 'node:worker_threads';
import type {
  HashBatch,
  PlaceItem,
  PlaceResult,
  StoreItem,
  StoreResult,
  WorkerRequest,
  WorkerResponse,
} from './protocol.js';

export interface WorkerEnvironment {
  fs: typeof import('node:fs');
  crypto: typeof import('node:crypto');
  path: typeof import('node:path');
  port: MessagePort;
}

export function runHashWorker(environment: WorkerEnvironment): void {
  const { fs, crypto, path, port } = environment;
  /** DVC reads 2**20 bytes at a time; md5-dos2unix depends on that chunking. */
  const CHUNK = 1 << 20;
  /** istextblock looks at the first 512 bytes of each chunk. */
  const TEXT_BLOCK = 512;
  /**
   * A file whose mtime is this close to now is hashed but not memoised: a second write within
   * the same timestamp tick (up to 2 s on FAT, 1 s on ext3/HFS+) would leave its key unchanged.
   */
  const RACY_NS = 2_000_000_000n;
  const PROGRESS_EVERY = 64 << 20;
  /** errors after which the next link type is tried (as dvc-objects does, plus EMLINK) */
  const FALLBACK = new Set([
    'EPERM',
    'ENOTSUP',
    'EOPNOTSUPP',
    'EXDEV',
    'ENOTTY',
    'ENOSYS',
    'EINVAL',
    'EAGAIN',
    'EMLINK',
  ]);
  const { O_RDONLY, O_NONBLOCK, COPYFILE_FICLONE_FORCE } = fs.constants;
  const buffer = Buffer.allocUnsafe(CHUNK);
  const converted = Buffer.allocUnsafe(CHUNK);

  class Cancelled extends Error {}
  class ItemFailure extends Error {
    constructor(
      readonly code: string,
      message: string,
    ) {
      super(message);
    }
  }

  let request: WorkerRequest | undefined;
  let unreported = 0;

  function checkCancelled(): void {
    const cancel = request?.cancel;
    if (cancel && Atomics.load(cancel, 0) !== 0) throw new Cancelled('cancelled');
  }

  function advance(bytes: number): void {
    unreported += bytes;
    if (unreported >= PROGRESS_EVERY && request) {
      const message: WorkerResponse = { id: request.id, type: 'progress', bytes: unreported };
      port.postMessage(message);
      unreported = 0;
    }
    checkCancelled();
  }

  function statKey(stats: import('node:fs').BigIntStats): string {
    return `${stats.ino}:${stats.mtimeNs}:${stats.size}`;
  }

  function isCacheable(stats: import('node:fs').BigIntStats): boolean {
    return BigInt(Date.now()) * 1_000_000n - stats.mtimeNs > RACY_NS;
  }

  function isText(block: Buffer): boolean {
    if (block.length === 0) return true;
    let nonText = 0;
    for (const byte of block) {
      if (byte === 0) return false;
      if (
        (byte < 32 || byte > 126) &&
        byte !== 10 &&
        byte !== 13 &&
        byte !== 9 &&
        byte !== 12 &&
        byte !== 8
      ) {
        nonText++;
      }
    }
    return nonText / block.length <= 0.3;
  }

  /** `\r\n` → `\n` within one chunk (a pair split across chunks stays, as in DVC). */
  function dos2unix(chunk: Buffer): Buffer {
    let length = 0;
    for (let index = 0; index < chunk.length; index++) {
      const byte = chunk[index] as number;
      if (byte === 13 && chunk[index + 1] === 10) continue;
      converted[length++] = byte;
    }
    return converted.subarray(0, length);
  }

  function writeAll(fd: number, chunk: Buffer): void {
    for (let written = 0; written < chunk.length; ) written += fs.writeSync(fd, chunk, written);
  }

  /**
   * Reads an open file to its end, optionally copying it to `copyTo`; returns its MD5. A short
   * read at or past the size fstat gave ends the file (saving the final empty read), and a file
   * that fits one read is hashed in one call.
   */
  function consume(fd: number, size: bigint, copyTo?: number): { bytesRead: number; md5: string } {
    let read = fs.readSync(fd, buffer, 0, CHUNK, null);
    if (read < CHUNK && BigInt(read) >= size) {
      const chunk = buffer.subarray(0, read);
      if (copyTo !== undefined) writeAll(copyTo, chunk);
      advance(read);
      return { bytesRead: read, md5: crypto.hash('md5', chunk, 'hex') };
    }
    const hash = crypto.createHash('md5');
    let total = 0;
    while (read > 0) {
      const chunk = buffer.subarray(0, read);
      hash.update(chunk);
      if (copyTo !== undefined) writeAll(copyTo, chunk);
      total += read;
      advance(read);
      if (read < CHUNK && BigInt(total) >= size) break;
      read = fs.readSync(fd, buffer, 0, CHUNK, null);
    }
    return { bytesRead: total, md5: hash.digest('hex') };
  }

  /** DVC's Dos2UnixHashStreamFile: exact 1 MiB chunks, each converted if its first 512 bytes look like text. */
  function consumeDos2Unix(fd: number): { bytesRead: number; md5: string } {
    const hash = crypto.createHash('md5');
    let total = 0;
    for (;;) {
      let filled = 0;
      while (filled < CHUNK) {
        const read = fs.readSync(fd, buffer, filled, CHUNK - filled, null);
        if (read === 0) break;
        filled += read;
      }
      if (filled === 0) break;
      const chunk = buffer.subarray(0, filled);
      hash.update(isText(chunk.subarray(0, TEXT_BLOCK)) ? dos2unix(chunk) : chunk);
      total += filled;
      advance(filled);
      if (filled < CHUNK) break;
    }
    return { bytesRead: total, md5: hash.digest('hex') };
  }

  function openRegular(file: string): { fd: number; stats: import('node:fs').BigIntStats } {
    // O_NONBLOCK so that a FIFO reached through a symlink cannot hang the worker.
    const fd = fs.openSync(file, O_RDONLY | O_NONBLOCK);
    const stats = fs.fstatSync(fd, { bigint: true });
    if (!stats.isFile()) {
      fs.closeSync(fd);
      throw new ItemFailure('NOT_A_FILE', `Not a regular file: '${file}'`);
    }
    return { fd, stats };
  }

  // The flag bits of protocol.ts (HASHED_*), repeated here because this function cannot import.
  const EXECUTABLE = 1;
  const CACHEABLE = 2;
  const KNOWN = 4;
  const FAILED = 8;
  const NO_MD5 = '0'.repeat(32);

  function hashBatch(message: WorkerRequest): HashBatch {
    const paths = message.items as string[];
    const prefix = message.root === undefined ? '' : `${message.root}/`;
    const wantKeys = message.keys === true;
    const dos2unix = message.dos2unix === true;
    const count = paths.length;
    const batch: HashBatch = {
      sizes: new Float64Array(count),
      flags: new Uint8Array(count),
      md5s: '',
      keys: [],
      bytesRead: 0,
      errors: {},
    };
    for (let index = 0; index < count; index++) {
      checkCancelled();
      try {
        const file = prefix + paths[index]!;
        batch.md5s += hashOne(file, message.known?.[index] ?? '', dos2unix, index, batch, wantKeys);
      } catch (error) {
        if (error instanceof Cancelled) throw error;
        batch.flags[index] = FAILED;
        batch.errors[index] = asItemError(error);
        batch.md5s += NO_MD5;
        if (wantKeys) batch.keys.push('');
      }
    }
    return batch;
  }

  /** Hashes one file into `batch` at `index`; returns its md5 (zeros when known). */
  function hashOne(
    file: string,
    known: string,
    dos2unixed: boolean,
    index: number,
    batch: HashBatch,
    wantKeys: boolean,
  ): string {
    if (known !== '') {
      const stats = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
      if (stats?.isFile() && statKey(stats) === known) {
        batch.sizes[index] = Number(stats.size);
        batch.flags[index] = KNOWN | CACHEABLE | ((Number(stats.mode) & 0o111) !== 0 ? EXECUTABLE : 0);
        if (wantKeys) batch.keys.push(known);
        return NO_MD5;
      }
    }
    const { fd, stats } = openRegular(file);
    try {
      const { bytesRead, md5 } = dos2unixed ? consumeDos2Unix(fd) : consume(fd, stats.size);
      batch.bytesRead += bytesRead;
      batch.sizes[index] = Number(stats.size);
      batch.flags[index] =
        (isCacheable(stats) ? CACHEABLE : 0) | ((Number(stats.mode) & 0o111) !== 0 ? EXECUTABLE : 0);
      if (wantKeys) batch.keys.push(statKey(stats));
      return md5;
    } finally {
      fs.closeSync(fd);
    }
  }

  function temporaryName(dest: string): string {
    return path.join(
      path.dirname(dest),
      `.${path.basename(dest)}.${process.pid}-${crypto.randomBytes(6).toString('hex')}.tmp`,
    );
  }

  function removeQuietly(file: string): void {
    try {
      fs.unlinkSync(file);
    } catch {
      // already gone
    }
  }

  function storeOne(item: StoreItem): StoreResult {
    const existing = fs.lstatSync(item.dest, { throwIfNoEntry: false });
    if (existing?.isFile() && existing.size === item.size) {
      if ((existing.mode & 0o777) !== 0o444) {
        try {
          fs.chmodSync(item.dest, 0o444);
        } catch {
          // not ours to protect (a shared cache); DVC ignores this too
        }
      }
      return { stored: false, bytesRead: 0 };
    }
    fs.mkdirSync(path.dirname(item.dest), { recursive: true });
    const temporary = temporaryName(item.dest);
    try {
      let consumed: { bytesRead: number; md5: string };
      let key: string;
      let cloned = false;
      try {
        fs.copyFileSync(item.src, temporary, COPYFILE_FICLONE_FORCE);
        cloned = true;
      } catch (error) {
        removeQuietly(temporary);
        if (!FALLBACK.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
      }
      if (cloned) {
        // The clone shares blocks with the source: hash the clone, which is what the cache keeps.
        const { fd, stats } = openRegular(temporary);
        try {
          consumed = consume(fd, stats.size);
          key = statKey(stats);
        } finally {
          fs.closeSync(fd);
        }
      } else {
        const source = openRegular(item.src);
        try {
          const out = fs.openSync(temporary, 'wx', 0o444);
          try {
            consumed = consume(source.fd, source.stats.size, out);
            key = statKey(fs.fstatSync(out, { bigint: true }));
          } finally {
            fs.closeSync(out);
          }
        } finally {
          fs.closeSync(source.fd);
        }
      }
      const { md5, bytesRead } = consumed;
      if (md5 !== item.md5) {
        throw new ItemFailure(
          'HASH_MISMATCH',
          `'${item.src}' changed while it was being saved (expected md5 ${item.md5}, read ${md5})`,
        );
      }
      fs.chmodSync(temporary, 0o444);
      fs.renameSync(temporary, item.dest);
      return { stored: true, key, bytesRead };
    } catch (error) {
      removeQuietly(temporary);
      throw error;
    }
  }

  function placeOne(item: PlaceItem, umask: number): PlaceResult {
    const temporary = temporaryName(item.dest);
    const mode = (0o666 & ~umask) | (item.isexec ? 0o100 : 0);
    let lastError: unknown;
    for (const link of item.linkTypes) {
      try {
        if (link === 'reflink') {
          fs.copyFileSync(item.src, temporary, COPYFILE_FICLONE_FORCE);
          fs.chmodSync(temporary, mode);
        } else if (link === 'copy') {
          fs.copyFileSync(item.src, temporary);
          fs.chmodSync(temporary, mode);
        } else if (link === 'symlink') {
          fs.symlinkSync(item.src, temporary);
        } else if (item.size === 0) {
          // DVC writes empty files instead of hardlinking them: they would all share one inode
          // and reach the filesystem's link limit.
          fs.writeFileSync(temporary, '', { flag: 'wx', mode: 0o666 });
        } else {
          fs.linkSync(item.src, temporary);
        }
      } catch (error) {
        removeQuietly(temporary);
        if (!FALLBACK.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
        lastError = error;
        continue;
      }
      try {
        fs.renameSync(temporary, item.dest);
      } catch (error) {
        removeQuietly(temporary);
        throw error;
      }
      if (item.isexec && (link === 'hardlink' || link === 'symlink')) {
        // As DVC: S_IXUSR on the path, which for a link is the cache object itself.
        fs.chmodSync(item.dest, fs.statSync(item.dest).mode | 0o100);
      }
      return { link };
    }
    const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
    throw new ItemFailure(
      'LINK_FAILED',
      `No link type of ${item.linkTypes.join(', ')} worked for '${item.dest}'${reason}`,
    );
  }

  function asItemError(error: unknown): { code: string; message: string } {
    const code = (error as { code?: unknown }).code;
    return {
      code: typeof code === 'string' ? code : 'EIO',
      message: error instanceof Error ? error.message : String(error),
    };
  }

  function runItem(item: unknown, current: WorkerRequest): unknown {
    try {
      switch (current.op) {
        case 'store':
          return storeOne(item as StoreItem);
        case 'place':
          return placeOne(item as PlaceItem, current.umask);
        default: {
          const stats = fs.statSync(item as string, { throwIfNoEntry: false });
          return stats?.isFile() ? stats.size : -1;
        }
      }
    } catch (error) {
      if (error instanceof Cancelled) throw error;
      return { error: asItemError(error), bytesRead: 0 };
    }
  }

  function runRequest(message: WorkerRequest): unknown {
    if (message.op === 'hash') return hashBatch(message);
    const results: unknown[] = [];
    for (const item of message.items) {
      checkCancelled();
      results.push(runItem(item, message));
    }
    return results;
  }

  port.on('message', (message: WorkerRequest) => {
    request = message;
    unreported = 0;
    let response: WorkerResponse;
    try {
      response = { id: message.id, type: 'done', results: runRequest(message) };
    } catch (error) {
      response = {
        id: message.id,
        type: 'failed',
        error: error instanceof Cancelled ? { code: 'ABORTED', message: 'cancelled' } : asItemError(error),
      };
    }
    request = undefined;
    port.postMessage(response);
  });
}
