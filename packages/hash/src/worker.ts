// The body of a hash worker thread. pool.ts starts it from this function's source text
// (`new Worker(source, { eval: true })`), so it must stay self-contained: it may use its
// parameters, globals (Buffer, Atomics, Date) and types, and nothing else from this module.
//
// Each worker does its file work with synchronous fs calls and MD5 in its own thread, one item
// after another, reading in 1 MiB chunks into one reused buffer. See pool.ts for why this beats
// the libuv threadpool driven from the main thread.
import type { MessagePort } from 'node:worker_threads';
import type {
  DigestResult,
  DirectoryListing,
  HashBatch,
  ObjectDigestItem,
  PackedItems,
  PlaceItem,
  PlaceResult,
  RunResult,
  StoreItem,
  StoreResult,
  TreeRecord,
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
  const { fs, crypto, port } = environment;
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
  /** thrown (not an Error: no stack to capture) at a file larger than what is left of maxBytes */
  const TOO_LARGE = { tooLarge: true };
  class ItemFailure extends Error {
    constructor(
      readonly code: string,
      message: string,
      readonly path?: string,
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

  /**
   * The memo's key: `<inode>:<mtime ns>:<ctime ns>:<size>`. The ctime changes on every write,
   * chmod, link and rename and cannot be set (utimes sets only atime and mtime), so a file
   * rewritten in place with its mtime put back (`cp -p`, `rsync --inplace`) gets a new key.
   */
  function statKey(stats: import('node:fs').BigIntStats): string {
    return `${stats.ino}:${stats.mtimeNs}:${stats.ctimeNs}:${stats.size}`;
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
  function consume(fd: number, size: number, copyTo?: number): { bytesRead: number; md5: string } {
    let read = fs.readSync(fd, buffer, 0, CHUNK, null);
    if (read < CHUNK && read >= size) {
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
      if (read < CHUNK && total >= size) break;
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
      throw new ItemFailure('NOT_A_FILE', `Not a regular file: '${file}'`, file);
    }
    return { fd, stats };
  }

  // The flag bits of protocol.ts (HASHED_*), repeated here because this function cannot import.
  const EXECUTABLE = 1;
  const CACHEABLE = 2;
  const KNOWN = 4;
  const FAILED = 8;
  const STORED = 16;
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

  /** Where hashOne puts a file's size, flags, stat key and the bytes it read. */
  interface Columns {
    sizes: Float64Array;
    flags: Uint8Array;
    keys: string[];
    /** with `storeTo`: the stat key of the object written for each file ('' when none) */
    objectKeys?: string[];
    bytesRead: number;
  }

  /** Hashes one file into `batch` at `index`; returns its md5 (zeros when known). */
  function hashOne(
    file: string,
    known: string,
    dos2unixed: boolean,
    index: number,
    batch: Columns,
    wantKeys: boolean,
    maxBytes = Number.POSITIVE_INFINITY,
    storeTo?: string,
  ): string {
    if (known !== '') {
      const stats = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
      if (stats?.isFile() && statKey(stats) === known) {
        batch.sizes[index] = Number(stats.size);
        batch.flags[index] = KNOWN | CACHEABLE | ((Number(stats.mode) & 0o111) !== 0 ? EXECUTABLE : 0);
        if (wantKeys) batch.keys.push(known);
        if (storeTo !== undefined) batch.objectKeys?.push('');
        return NO_MD5;
      }
    }
    if (storeTo !== undefined && wantKeys && !dos2unixed)
      return hashStoring(file, index, batch, maxBytes, storeTo);
    if (!wantKeys) {
      // No memo: a plain fstat, cheaper than a BigInt one.
      const fd = fs.openSync(file, O_RDONLY | O_NONBLOCK);
      try {
        const stats = fs.fstatSync(fd);
        if (!stats.isFile()) throw new ItemFailure('NOT_A_FILE', `Not a regular file: '${file}'`, file);
        if (stats.size > maxBytes) throw TOO_LARGE;
        const { bytesRead, md5 } = dos2unixed ? consumeDos2Unix(fd) : consume(fd, stats.size);
        batch.bytesRead += bytesRead;
        batch.sizes[index] = stats.size;
        batch.flags[index] = (stats.mode & 0o111) !== 0 ? EXECUTABLE : 0;
        return md5;
      } finally {
        fs.closeSync(fd);
      }
    }
    const { fd, stats } = openRegular(file);
    try {
      if (Number(stats.size) > maxBytes) throw TOO_LARGE;
      const { bytesRead, md5 } = dos2unixed ? consumeDos2Unix(fd) : consume(fd, Number(stats.size));
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

  /**
   * hashOne for a file not known, with its bytes copied as they are read into a temporary file in
   * the cache (`<storeTo>/00/.ingest.<pid>-<hex>.tmp`: where gc finds what a killed process left),
   * which is renamed to the object's name once its md5 is known. The object then holds exactly
   * the bytes hashed: its name is its content's md5 whatever the file did meanwhile. An object
   * already there is replaced by one with the same bytes (atomically: readers see either).
   */
  function hashStoring(
    file: string,
    index: number,
    batch: Columns,
    maxBytes: number,
    storeTo: string,
  ): string {
    const { fd, stats } = openRegular(file);
    let temporary: string | undefined;
    try {
      const size = Number(stats.size);
      if (size > maxBytes) throw TOO_LARGE;
      const staging = `${storeTo}/00`;
      ensureDirectory(staging);
      temporary = temporaryName(`${staging}/ingest`);
      const out = fs.openSync(temporary, 'wx', 0o444);
      let consumed: { bytesRead: number; md5: string };
      try {
        consumed = consume(fd, size, out);
      } finally {
        fs.closeSync(out);
      }
      const { bytesRead, md5 } = consumed;
      // created 0444 unless the umask took read bits away
      if (((request?.umask ?? 0) & 0o444) !== 0) fs.chmodSync(temporary, 0o444);
      const directory = `${storeTo}/${md5.slice(0, 2)}`;
      ensureDirectory(directory);
      const object = `${directory}/${md5.slice(2)}`;
      fs.renameSync(temporary, object);
      temporary = undefined;
      // the key after the rename, which changes the ctime
      batch.objectKeys?.push(statKey(fs.lstatSync(object, { bigint: true })));
      batch.bytesRead += bytesRead;
      batch.sizes[index] = size;
      batch.flags[index] =
        STORED | (isCacheable(stats) ? CACHEABLE : 0) | ((Number(stats.mode) & 0o111) !== 0 ? EXECUTABLE : 0);
      batch.keys.push(statKey(stats));
      return md5;
    } finally {
      if (temporary !== undefined) removeQuietly(temporary);
      fs.closeSync(fd);
    }
  }

  /**
   * hashOne without a memo (no stat key, nothing known) and without md5-dos2unix: the path
   * every file of a cold directory takes, kept small so that it compiles small.
   */
  function hashPlain(file: string, index: number, into: Columns, maxBytes: number): string {
    const fd = fs.openSync(file, O_RDONLY | O_NONBLOCK);
    try {
      const stats = fs.fstatSync(fd);
      if (!stats.isFile()) throw notAFile(file);
      const size = stats.size;
      if (size > maxBytes) throw TOO_LARGE;
      into.sizes[index] = size;
      into.flags[index] = (stats.mode & 0o111) !== 0 ? EXECUTABLE : 0;
      const { bytesRead, md5 } = consume(fd, size);
      into.bytesRead += bytesRead;
      return md5;
    } finally {
      fs.closeSync(fd);
    }
  }

  // Directories: listing in manifest order, runs of files, and tree jobs (see protocol.ts).

  /** Files per run: the unit a directory's files are hashed, reported and handed around in. */
  const RUN = 256;
  /** A tree job reports after hashing this many files (and whenever it hands work back). */
  const FLUSH = 512;
  const SLASH = 47;
  const NUL = 0;
  /** a UTF-16 code unit at or above U+D800 (then code units and code points may order differently) */
  const HIGH = /[\ud800-\uffff]/;
  /** printable ASCII except `"` and `\`: written as is by json.dumps */
  const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
  const SHORT_ESCAPES: Record<number, string> = {
    34: '\\"',
    92: '\\\\',
    10: '\\n',
    13: '\\r',
    9: '\\t',
    8: '\\b',
    12: '\\f',
  };

  /** The inside of a JSON string literal as Python's json.dumps (ensure_ascii) writes it (manifest.ts has the same). */
  function jsonChars(text: string): string {
    if (PLAIN.test(text)) return text;
    let out = '';
    let start = 0;
    for (let index = 0; index < text.length; index++) {
      const unit = text.charCodeAt(index);
      if (unit >= 0x20 && unit <= 0x7e && unit !== 0x22 && unit !== 0x5c) continue;
      out += text.slice(start, index);
      out += SHORT_ESCAPES[unit] ?? `\\u${unit.toString(16).padStart(4, '0')}`;
      start = index + 1;
    }
    return out + text.slice(start);
  }

  /** Python's str order (by code point); manifest.ts's compareRelpaths. */
  function compareCodePoints(a: string, b: string): number {
    const length = Math.min(a.length, b.length);
    for (let index = 0; index < length; index++) {
      const x = a.charCodeAt(index);
      const y = b.charCodeAt(index);
      if (x === y) continue;
      if (x >= 0xd800 && y >= 0xd800) {
        const pointX = a.codePointAt(index) ?? x;
        const pointY = b.codePointAt(index) ?? y;
        return pointX < pointY ? -1 : 1;
      }
      return x < y ? -1 : 1;
    }
    return a.length - b.length;
  }

  /**
   * A directory's entries as DVC's walk (os.walk, symlinks to directories not followed) sees
   * them, in manifest order: a directory sorts as `name/` (where its files' relpaths fall). Types
   * come from readdir; only symlinks are stat'ed.
   */
  function listDirectory(directory: string): { names: string[]; kinds: string } {
    const dirents = fs.readdirSync(directory, { withFileTypes: true });
    // Sort keys: a file's name, `name/` for a directory, `name\0` for a special file (both suffixes
    // keep the name's place among its siblings, and no name holds `/` or NUL).
    const keys: string[] = [];
    let high = false;
    for (const dirent of dirents) {
      const name = dirent.name;
      if (!high && HIGH.test(name)) high = true;
      if (dirent.isFile()) keys.push(name);
      else if (dirent.isDirectory()) keys.push(`${name}/`);
      else if (dirent.isSymbolicLink()) {
        let target: import('node:fs').Stats | undefined;
        try {
          target = fs.statSync(`${directory}/${name}`);
        } catch {
          // broken: listed, so that hashing it fails as in DVC
        }
        if (!target?.isDirectory()) keys.push(name);
      } else keys.push(`${name}\0`);
    }
    if (high) keys.sort(compareCodePoints);
    else keys.sort();
    const names: string[] = new Array(keys.length);
    let kinds = '';
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index]!;
      const last = key.charCodeAt(key.length - 1);
      if (last === SLASH || last === NUL) {
        names[index] = key.slice(0, -1);
        kinds += last === SLASH ? 'd' : 'x';
      } else {
        names[index] = key;
        kinds += 'f';
      }
    }
    return { names, kinds };
  }

  function notAFile(file: string): ItemFailure {
    return new ItemFailure('NOT_A_FILE', `Not a regular file: '${file}'`, file);
  }

  /** A run hashed, its manifest still text (see pack). */
  interface TextRun {
    result: RunResult;
    text: string;
  }

  /**
   * Hashes the files `names` of the directory `dir` (a relpath under `root`), reading at most
   * `maxBytes`: from the first file larger than what is left, the names are handed back (`rest`).
   */
  function hashRun(
    root: string,
    dir: string,
    seg: number,
    first: number,
    names: string[],
    message: WorkerRequest,
    maxBytes: number,
  ): TextRun {
    const directory = dir === '' ? root : `${root}/${dir}`;
    const escapedPrefix = jsonChars(dir === '' ? '' : `${dir}/`);
    const wantKeys = message.keys === true;
    const { known, knownMd5s } = message;
    const count = names.length;
    const result: RunResult = {
      kind: 'run',
      dir,
      seg,
      first,
      rest: [],
      manifest: EMPTY,
      sizes: new Float64Array(count),
      flags: new Uint8Array(count),
      md5s: '',
      keys: [],
      objectKeys: [],
      bytesRead: 0,
    };
    const storeTo = wantKeys ? message.storeTo : undefined;
    let md5s = '';
    let text = '';
    const plain = !wantKeys && known === undefined;
    // one test for the whole run: names rarely need escaping
    const escaping = !PLAIN.test(names.join(''));
    for (let index = 0; index < count; index++) {
      checkCancelled();
      const name = names[index]!;
      const file = `${directory}/${name}`;
      let md5: string;
      try {
        const allowed = maxBytes - result.bytesRead;
        if (plain) md5 = hashPlain(file, index, result, allowed);
        else {
          md5 = hashOne(file, known?.[index] ?? '', false, index, result, wantKeys, allowed, storeTo);
          if ((result.flags[index]! & KNOWN) !== 0) md5 = knownMd5s![index]!;
          if (wantKeys) md5s += md5;
        }
      } catch (error) {
        if (error !== TOO_LARGE) throw error;
        result.rest = names.slice(index);
        result.sizes = result.sizes.slice(0, index);
        result.flags = result.flags.slice(0, index);
        break;
      }
      text += `, {"md5": "${md5}", "relpath": "${escapedPrefix}${escaping ? jsonChars(name) : name}"}`;
    }
    result.md5s = md5s;
    return { result, text };
  }

  const EMPTY = new Uint8Array(0);

  /**
   * Writes the runs' manifest text (ASCII) into one new buffer, each run getting its view: the
   * buffer is transferred to the main thread, neither copied nor left on either JS heap.
   */
  function pack(runs: TextRun[]): ArrayBuffer[] {
    let total = 0;
    for (const run of runs) total += run.text.length;
    if (total === 0) return [];
    const bytes = Buffer.allocUnsafeSlow(total);
    let offset = 0;
    for (const run of runs) {
      const length = bytes.write(run.text, offset, 'latin1');
      run.result.manifest = new Uint8Array(bytes.buffer, offset, length);
      offset += length;
    }
    return [bytes.buffer as ArrayBuffer];
  }

  /** A directory's plan (see protocol.ts): its files in runs, its subdirectories between them. */
  function planDirectory(directory: string): {
    plan: (number | string)[];
    runs: string[][];
    segs: number[];
    subdirs: string[];
  } {
    const { names, kinds } = listDirectory(directory);
    const plan: (number | string)[] = [];
    const runs: string[][] = [];
    const segs: number[] = [];
    const subdirs: string[] = [];
    let start = 0;
    for (let index = 0; index <= names.length; index++) {
      const kind = index < names.length ? kinds.charCodeAt(index) : 100;
      if (kind === 120 /* x */) throw notAFile(`${directory}/${names[index]}`);
      // a run ends at a subdirectory, at RUN files and at the end
      if (kind === 100 /* d */ || index - start === RUN) {
        if (index > start) {
          segs.push(plan.length);
          plan.push(index - start);
          runs.push(names.slice(start, index));
        }
        start = kind === 100 ? index + 1 : index;
        if (index < names.length && kind === 100) {
          plan.push(names[index]!);
          subdirs.push(names[index]!);
        }
      }
    }
    return { plan, runs, segs, subdirs };
  }

  /**
   * A tree job: lists each directory, reports its plan, hashes its files in runs and enters its
   * subdirectories depth first, reporting in batches. While `hungry` says another lane could take
   * work, it hands back the subdirectories and runs it has not started; with a `budget` (the main
   * thread's slices) it hands back everything left once it has hashed that many files.
   */
  function runTree(message: WorkerRequest): null {
    const root = message.root!;
    const hungry = message.hungry;
    const budget = message.budget ?? Number.POSITIVE_INFINITY;
    let bytesLeft = message.maxBytes ?? Number.POSITIVE_INFINITY;
    const stack = (message.items as string[]).slice().reverse();
    let outbox: TreeRecord[] = [];
    let texts: TextRun[] = [];
    let unsent = 0;
    let hashed = 0;
    const flush = (): void => {
      if (outbox.length === 0) return;
      const response: WorkerResponse = { id: message.id, type: 'partial', records: outbox };
      port.postMessage(response, pack(texts));
      outbox = [];
      texts = [];
      unsent = 0;
    };
    const starving = (): boolean => hungry !== undefined && Atomics.load(hungry, 0) !== 0;
    while (stack.length > 0) {
      checkCancelled();
      const dir = stack.pop()!;
      const directory = dir === '' ? root : `${root}/${dir}`;
      const { plan, runs, segs, subdirs } = planDirectory(directory);
      outbox.push({ kind: 'plan', dir, plan });
      const prefix = dir === '' ? '' : `${dir}/`;
      for (let index = subdirs.length - 1; index >= 0; index--) stack.push(prefix + subdirs[index]!);
      if (stack.length > 1 && starving()) {
        // the far end of the stack: the subdirectories this worker would reach last
        outbox.push({ kind: 'dirs', dirs: stack.splice(0, stack.length - 1).reverse(), next: false });
        flush();
      }
      for (let index = 0; index < runs.length; index++) {
        if (hashed >= budget || (index > 0 && starving())) {
          for (let rest = index; rest < runs.length; rest++) {
            outbox.push({ kind: 'runs', dir, seg: segs[rest]!, first: 0, names: runs[rest]!, large: false });
          }
          flush();
          break;
        }
        const run = hashRun(root, dir, segs[index]!, 0, runs[index]!, message, bytesLeft);
        const { result } = run;
        outbox.push(result);
        texts.push(run);
        bytesLeft -= result.bytesRead;
        hashed += result.sizes.length;
        if (result.rest.length > 0) {
          // out of bytes: a worker takes the rest of the run, and the slice ends
          const first = result.sizes.length;
          outbox.push({ kind: 'runs', dir, seg: result.seg, first, names: result.rest, large: true });
          result.rest = [];
          hashed = budget;
        }
        unsent += result.sizes.length;
        if (unsent >= FLUSH) flush();
      }
      if (hashed >= budget && stack.length > 0) {
        // a slice of the main thread's: the rest, in order, for whoever comes next
        outbox.push({ kind: 'dirs', dirs: stack.reverse(), next: true });
        break;
      }
    }
    flush();
    return null;
  }

  function runList(message: WorkerRequest): DirectoryListing[] {
    const root = message.root!;
    return (message.items as string[]).map((dir) => {
      checkCancelled();
      const { names, kinds } = listDirectory(dir === '' ? root : `${root}/${dir}`);
      return { dir, names: names.join('\0'), kinds };
    });
  }

  /**
   * Temporary names: `.<name>.<pid>-<12 hex>.tmp`, the hex a random 48-bit start (per thread)
   * counted up. One random draw per name cost ~25 µs in each worker (getrandom under contention),
   * more than the rest of placing a small file; uniqueness only needs distinct names, and the
   * files are created exclusively ('wx', or link/rename that fail on an existing name) anyway.
   */
  let temporaryCounter = crypto.randomBytes(6).readUIntBE(0, 6);
  function temporaryName(dest: string): string {
    temporaryCounter = (temporaryCounter + 1) % 0x1000000000000;
    const slash = dest.lastIndexOf('/');
    return `${dest.slice(0, slash)}/.${dest.slice(slash + 1)}.${process.pid}-${temporaryCounter.toString(16).padStart(12, '0')}.tmp`;
  }

  /**
   * Errors of a reflink that say the filesystems cannot clone at all (rather than this one file):
   * after one, this thread stops trying reflinks between the same two directory trees (as DVC
   * tests each link type once per cache), sparing a failed clone (open, create, ioctl, unlink)
   * on every file.
   */
  const NO_CLONE = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOTTY', 'ENOSYS', 'EINVAL']);
  /** `<src device>:<dest device>` of the pairs of filesystems reflinks failed between */
  const noClone = new Set<string>();
  /** device of each directory seen (stat'ed once per thread) */
  const devices = new Map<string, number>();
  function deviceOf(file: string): number {
    const directory = file.slice(0, file.lastIndexOf('/')) || '/';
    let device = devices.get(directory);
    if (device === undefined) {
      device = fs.statSync(directory, { throwIfNoEntry: false })?.dev ?? -1;
      devices.set(directory, device);
    }
    return device;
  }
  /** The pair of filesystems a clone from `src` to `dest` goes between. */
  function clonePair(src: string, dest: string): string {
    return `${deviceOf(src)}:${deviceOf(dest)}`;
  }
  function cloneFailed(pair: string, error: unknown): void {
    if (NO_CLONE.has((error as NodeJS.ErrnoException).code ?? '')) noClone.add(pair);
  }

  /** Cache directories (`files/md5/<2>`) known to exist: created once per thread, not per object. */
  const madeDirectories = new Set<string>();
  function ensureDirectory(directory: string): void {
    if (madeDirectories.has(directory)) return;
    fs.mkdirSync(directory, { recursive: true });
    madeDirectories.add(directory);
  }

  function removeQuietly(file: string): void {
    try {
      fs.unlinkSync(file);
    } catch {
      // already gone
    }
  }

  /**
   * The object at `item.dest` when it holds `item.md5`: its stat key (for the memo) and the bytes
   * read to know it, or undefined when it is missing, not a regular file of the right size, or
   * holds other bytes (then it is replaced).
   */
  function intactObject(item: StoreItem): { key: string; bytesRead: number } | undefined {
    const existing = fs.lstatSync(item.dest, { bigint: true, throwIfNoEntry: false });
    if (!existing?.isFile() || Number(existing.size) !== item.size) return undefined;
    let chmodded = false;
    if ((Number(existing.mode) & 0o777) !== 0o444) {
      try {
        fs.chmodSync(item.dest, 0o444);
        chmodded = true;
      } catch {
        // not ours to protect (a shared cache); DVC ignores this too
      }
    }
    if (item.known !== undefined) {
      // the lstat of a regular file is its stat; only a chmod (a new ctime) needs another
      const stats = chmodded ? fs.statSync(item.dest, { bigint: true, throwIfNoEntry: false }) : existing;
      if (stats && statKey(stats) === item.known) return { key: item.known, bytesRead: 0 };
    }
    let opened: { fd: number; stats: import('node:fs').BigIntStats };
    try {
      opened = openRegular(item.dest);
    } catch {
      return undefined;
    }
    try {
      const { md5, bytesRead } = consume(opened.fd, Number(opened.stats.size));
      return md5 === item.md5 ? { key: statKey(opened.stats), bytesRead } : undefined;
    } finally {
      fs.closeSync(opened.fd);
    }
  }

  function storeOne(item: StoreItem, umask: number): StoreResult {
    // An object already there is kept only if it holds its md5: one rewritten in place (same
    // size, other bytes) is replaced below, atomically (rename over a 0444 file works).
    const intact = intactObject(item);
    if (intact) return { stored: false, key: intact.key, bytesRead: intact.bytesRead };
    ensureDirectory(item.dest.slice(0, item.dest.lastIndexOf('/')));
    const temporary = temporaryName(item.dest);
    try {
      let consumed: { bytesRead: number; md5: string };
      let cloned = false;
      const pair = clonePair(item.src, item.dest);
      if (!noClone.has(pair)) {
        try {
          fs.copyFileSync(item.src, temporary, COPYFILE_FICLONE_FORCE);
          cloned = true;
        } catch (error) {
          removeQuietly(temporary);
          if (!FALLBACK.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
          cloneFailed(pair, error);
        }
      }
      if (cloned) {
        // The clone shares blocks with the source: hash the clone, which is what the cache keeps.
        const { fd, stats } = openRegular(temporary);
        try {
          consumed = consume(fd, Number(stats.size));
        } finally {
          fs.closeSync(fd);
        }
      } else {
        const source = openRegular(item.src);
        try {
          const out = fs.openSync(temporary, 'wx', 0o444);
          try {
            consumed = consume(source.fd, Number(source.stats.size), out);
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
      // created 0444 unless the umask took read bits away (a clone has the source's mode)
      if (cloned || (umask & 0o444) !== 0) fs.chmodSync(temporary, 0o444);
      fs.renameSync(temporary, item.dest);
      // the key after the rename, which changes the ctime
      const stats = fs.lstatSync(item.dest, { bigint: true });
      return { stored: true, key: statKey(stats), bytesRead };
    } catch (error) {
      removeQuietly(temporary);
      throw error;
    }
  }

  /** A plain copy of a regular file to a new file created with `mode` (the umask applies). */
  function copyPlain(src: string, dest: string, mode: number, size: number): void {
    const source = fs.openSync(src, O_RDONLY | O_NONBLOCK);
    try {
      const out = fs.openSync(dest, 'wx', mode);
      try {
        let total = 0;
        for (;;) {
          const read = fs.readSync(source, buffer, 0, CHUNK, null);
          if (read === 0) break;
          writeAll(out, buffer.subarray(0, read));
          total += read;
          checkCancelled();
          // a short read at the size expected is the end (saving the final empty read)
          if (read < CHUNK && total >= size) break;
        }
      } finally {
        fs.closeSync(out);
      }
    } finally {
      fs.closeSync(source);
    }
  }

  function placeOne(item: PlaceItem, umask: number): PlaceResult {
    const temporary = temporaryName(item.dest);
    const mode = (0o666 & ~umask) | (item.isexec ? 0o100 : 0);
    let lastError: unknown;
    for (const link of item.linkTypes) {
      let pair: string | undefined;
      try {
        if (link === 'reflink') {
          pair = clonePair(item.src, item.dest);
          if (noClone.has(pair)) continue;
          fs.copyFileSync(item.src, temporary, COPYFILE_FICLONE_FORCE);
          fs.chmodSync(temporary, mode);
        } else if (link === 'copy') {
          copyPlain(item.src, temporary, mode, item.size);
          // the umask applied at creation: only an execute bit it took away needs a chmod
          if ((mode & umask) !== 0) fs.chmodSync(temporary, mode);
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
        if (pair !== undefined) cloneFailed(pair, error);
        lastError = error;
        continue;
      }
      try {
        fs.renameSync(temporary, item.dest);
      } catch (error) {
        removeQuietly(temporary);
        throw error;
      }
      // A rename between two hard links of one inode does nothing and leaves the temporary name
      // (a relink of a file already hardlinked to its object). Only a hardlink can do that: the
      // other types spare the unlink (a failing syscall per file of a checkout).
      if (link === 'hardlink') removeQuietly(temporary);
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

  function asItemError(error: unknown): { code: string; message: string; path?: string } {
    const { code, path: file } = error as { code?: unknown; path?: unknown };
    return {
      code: typeof code === 'string' ? code : 'EIO',
      message: error instanceof Error ? error.message : String(error),
      ...(typeof file === 'string' ? { path: file } : {}),
    };
  }

  function runItem(item: unknown, current: WorkerRequest): unknown {
    try {
      switch (current.op) {
        case 'store':
          return storeOne(item as StoreItem, current.umask);
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

  // Digests (digest.ts): what a no-op status needs to know that nothing changed, from stats alone.

  /** names whose presence means an ignore rule or DVC's walk could leave something out */
  const UNTRUSTED_NAMES = new Set(['.dvcignore', '.git', '.hg', '.dvc']);
  const MD5_HEX = /^[0-9a-f]{32}$/;

  /** `<name>\0<key>\n` per file, `<name>/\0<digest>\n` per directory, in manifest order, MD5'd. */
  function digestDirectory(directory: string, into: DigestResult): string {
    checkCancelled();
    const { names, kinds } = listDirectory(directory);
    let text = '';
    for (let index = 0; index < names.length; index++) {
      const name = names[index]!;
      if (UNTRUSTED_NAMES.has(name)) into.trusted = false;
      const kind = kinds.charCodeAt(index);
      if (kind === 100 /* d */) {
        text += `${name}/\0${digestDirectory(`${directory}/${name}`, into)}\n`;
      } else if (kind === 102 /* f */) {
        text += `${name}\0${digestFile(`${directory}/${name}`, into)}\n`;
      } else into.trusted = false;
    }
    return crypto.hash('md5', text, 'hex');
  }

  /**
   * A digest's key of a file: the memo's fields, with the times in ms as doubles (sub-µs
   * resolution; the BigInt stats the memo's ns keys need cost ~3x more, Dates included). Files
   * changed in the last two seconds are not trusted, so that two writes within one timestamp
   * tick cannot go unseen.
   */
  function digestKey(stats: import('node:fs').Stats, into: DigestResult, now: number): string {
    if (now - stats.mtimeMs <= 2000 || now - stats.ctimeMs <= 2000) into.trusted = false;
    into.files++;
    into.size += stats.size;
    return `${stats.ino}:${stats.mtimeMs}:${stats.ctimeMs}:${stats.size}`;
  }

  /** A file's digest key (symlinks followed), counted into `into`; '' when it is not a regular file. */
  function digestFile(file: string, into: DigestResult): string {
    const stats = fs.statSync(file, { throwIfNoEntry: false });
    if (!stats?.isFile()) {
      into.trusted = false;
      return '';
    }
    return digestKey(stats, into, Date.now());
  }

  function runDigest(message: WorkerRequest): DigestResult {
    const root = message.root!;
    const result: DigestResult = { parts: [], files: 0, size: 0, trusted: true };
    for (const item of message.items as string[]) {
      const absolute = item === '' ? root : `${root}/${item}`;
      const link = fs.lstatSync(absolute, { throwIfNoEntry: false });
      if (link?.isDirectory()) result.parts.push(`d${digestDirectory(absolute, result)}`);
      else if (link?.isSymbolicLink() && fs.statSync(absolute, { throwIfNoEntry: false })?.isDirectory()) {
        // not followed by the walk
        result.trusted = false;
        result.parts.push('');
      } else result.parts.push(`f${digestFile(absolute, result)}`);
    }
    return result;
  }

  /** `<key>\n` per object a manifest lists (from..to), MD5'd; a missing object is untrusted. */
  function runObjectDigest(message: WorkerRequest): DigestResult {
    const result: DigestResult = { parts: [], files: 0, size: 0, trusted: true };
    const now = Date.now();
    for (const item of message.items as ObjectDigestItem[]) {
      const entries = JSON.parse(fs.readFileSync(item.manifest, 'utf8')) as { md5?: unknown }[];
      const to = item.to < 0 ? entries.length : Math.min(item.to, entries.length);
      let text = '';
      for (let index = item.from; index < to; index++) {
        if (index % 256 === 0) checkCancelled();
        const md5 = entries[index]?.md5;
        if (typeof md5 !== 'string' || !MD5_HEX.test(md5)) {
          result.trusted = false;
          continue;
        }
        const stats = fs.statSync(`${item.objects}${md5.slice(0, 2)}/${md5.slice(2)}`, {
          throwIfNoEntry: false,
        });
        if (stats?.isFile()) text += `${digestKey(stats, result, now)}\n`;
        else result.trusted = false;
      }
      result.parts.push(`d${crypto.hash('md5', text, 'hex')}`);
    }
    return result;
  }

  function runRequest(message: WorkerRequest): unknown {
    if (message.op === 'digest') return runDigest(message);
    if (message.op === 'objdigest') return runObjectDigest(message);
    if (message.op === 'hash') return hashBatch(message);
    if (message.op === 'tree') return runTree(message);
    if (message.op === 'list') return runList(message);
    if (message.op === 'run') {
      let items = message.items as string[];
      if (message.packed) {
        items = items[0]!.split('\0');
        if (message.known) message.known = message.known[0]!.split('\n');
        if (message.knownMd5s) {
          const md5s = message.knownMd5s[0]!;
          message.knownMd5s = items.map((_, index) => md5s.slice(index * 32, index * 32 + 32));
        }
      }
      const maxBytes = message.maxBytes ?? Number.POSITIVE_INFINITY;
      const hashed = hashRun(
        message.root!,
        message.dir!,
        message.seg!,
        message.first ?? 0,
        items,
        message,
        maxBytes,
      );
      transfer = pack([hashed]);
      return hashed.result;
    }
    const results: unknown[] = [];
    for (const item of message.items) {
      checkCancelled();
      results.push(runItem(item, message));
    }
    return message.op === 'stat' ? results : packItems(results as (StoreResult & PlaceResult)[]);
  }

  function packItems(results: (StoreResult & PlaceResult)[]): PackedItems {
    const packed: PackedItems = {
      stored: new Uint8Array(results.length),
      texts: '',
      bytesRead: new Float64Array(results.length),
      errors: {},
    };
    const texts: string[] = new Array(results.length);
    for (let index = 0; index < results.length; index++) {
      const result = results[index]!;
      if (result.stored) packed.stored[index] = 1;
      texts[index] = result.key ?? result.link ?? '';
      packed.bytesRead[index] = result.bytesRead ?? 0;
      if (result.error) packed.errors[index] = result.error;
    }
    packed.texts = texts.join('\n');
    return packed;
  }

  /** buffers the response of the current request transfers (see pack) */
  let transfer: ArrayBuffer[] = [];

  port.on('message', (message: WorkerRequest) => {
    request = message;
    unreported = 0;
    transfer = [];
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
    port.postMessage(response, response.type === 'done' ? transfer : []);
  });
}
