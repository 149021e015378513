import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, type Stats } from 'node:fs';
import {
  chmod,
  copyFile,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { HashError, itemError } from './errors.js';
import { FileHasher } from './file-hasher.js';
import { isMd5, isSafeRelpath, manifestMd5, parseManifest, serializeManifest } from './manifest.js';
import type { HashMemo } from './memo.js';
import { hashPool } from './pool.js';
import type { Operations, PackedItems, PlaceItem, PlaceResult, StoreItem, StoreResult } from './protocol.js';
import type { DirEntry, LinkType, ObjectStatus, PathHash, StoreWhileHashing } from './types.js';
import { type Ignore, listTree } from './walk.js';

const HEX_ID = /^[0-9a-fA-F]{32}(\.dir)?$/;
const LINK_TYPES: readonly LinkType[] = ['reflink', 'hardlink', 'symlink', 'copy'];
const DEFAULT_LINK_TYPES: readonly LinkType[] = ['reflink', 'copy'];
/** Items per worker message for store and place. */
const BATCH = 128;
/**
 * Objects smaller than this are read before they are checked out, whatever the memo says: the
 * memo's key catches in-place rewrites (its ctime), but only reading catches bit rot, and for
 * small objects reading costs little next to placing them. Larger ones are trusted on the memo.
 */
export const VERIFY_BY_CONTENT_BELOW = 1 << 20;

export interface ObjectCacheOptions {
  /** memo used by verify/checkout to avoid re-reading unchanged cache and workspace files */
  memo?: HashMemo | undefined;
}

export interface CheckoutOptions {
  /** link types to try in order; default ['reflink', 'copy'] (DVC's default `cache.type`) */
  linkTypes?: readonly LinkType[] | undefined;
  memo?: HashMemo | undefined;
  /** for a file object: set the owner's execute bit, as DVC does for `isexec: true` outputs */
  isexec?: boolean | undefined;
  /** for a directory object: paths in dest (posix, relative) to leave alone rather than remove */
  ignore?: Ignore | undefined;
  /**
   * Re-link files that already hold the right content, as DVC's relink: `'always'` re-places
   * them all; `'needed'` only those not linked as `linkTypes` asks ({@link needsRelink}).
   */
  relink?: 'always' | 'needed' | undefined;
}

/**
 * DVC's `_needs_relink`: whether a file that holds its object's content must be linked anew for
 * `linkTypes`. The types are tried in order: a copy is fine when copy or reflink is among them, a
 * hardlink when it is the object's inode, a symlink when it points at the object.
 */
export async function needsRelink(
  file: string,
  objectPath: string,
  linkTypes: readonly LinkType[],
): Promise<boolean> {
  const stats = await lstat(file).catch(() => undefined);
  if (!stats) return true;
  const isSymlink = stats.isSymbolicLink();
  const isHardlink = !isSymlink && stats.nlink > 1;
  for (const link of linkTypes) {
    if ((link === 'copy' || link === 'reflink') && !isSymlink && !isHardlink) return false;
    if (link === 'hardlink' && isHardlink) {
      const object = await stat(objectPath).catch(() => undefined);
      return object === undefined || object.ino !== stats.ino || object.dev !== stats.dev;
    }
    if (link === 'symlink' && isSymlink) {
      return (await readlink(file).catch(() => '')) !== objectPath;
    }
  }
  return true;
}

export interface VerifyOptions {
  memo?: HashMemo | undefined;
  /**
   * verify as checkout does, before it places anything: objects smaller than
   * {@link VERIFY_BY_CONTENT_BELOW} are read whatever the memo says
   */
  beforeCheckout?: boolean | undefined;
}

interface Inspection {
  status: ObjectStatus;
  entries?: { relpath: string; md5: string }[];
  /** the size of each object checked, by its path (when they were all there) */
  sizes?: Map<string, number>;
  /** why the object is missing or corrupt, naming the file concerned */
  error?: HashError;
}

/** Runs `op` over `items` in batches spread over the workers; `check` sees each item's result. */
async function inBatches<K extends 'store' | 'place'>(
  op: K,
  items: Operations[K]['item'][],
  check: (item: Operations[K]['item'], result: StoreResult & PlaceResult) => void,
): Promise<void> {
  const pool = hashPool();
  const batches: Operations[K]['item'][][] = [];
  for (let index = 0; index < items.length; index += BATCH) batches.push(items.slice(index, index + BATCH));
  await Promise.all(
    batches.map(async (batch) => {
      const { stored, texts, bytesRead, errors } = (await pool.run(op, batch)) as PackedItems;
      const text = texts.split('\n');
      batch.forEach((item, index) => {
        const error = errors[index];
        const value = text[index] || undefined;
        check(item, {
          stored: stored[index] === 1,
          bytesRead: bytesRead[index]!,
          ...(error ? { error } : {}),
          ...(op === 'store' ? { key: value } : { link: value as LinkType | undefined }),
        });
      });
    }),
  );
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/**
 * DVC's local object store, `<repo>/.dvc/cache/files/md5/<2>/<30>` (a directory's `.dir` manifest
 * is stored the same way, with its suffix). Objects are written atomically (a temporary file in
 * the cache, its MD5 checked against the expected one, then renamed) and made read-only (0444).
 * An object already there is kept when it holds its md5 (known from the memo, or read), and
 * replaced when it does not; concurrent saves of the same object by several processes all succeed.
 */
export class ObjectCache {
  readonly root: string;
  private readonly memo: HashMemo | undefined;
  /**
   * Objects just verified as strictly as checkout verifies them (small ones read), by md5: the
   * checkout that follows such a verify (the caller plans, then places) uses that inspection
   * rather than reading every object a second time. Taken once.
   */
  private readonly vouched = new Map<string, Inspection>();
  /** Objects this process wrote while hashing (see {@link storeWhileHashing}): save skips them. */
  private readonly written = new Set<string>();

  constructor(root: string, options: ObjectCacheOptions = {}) {
    this.root = path.resolve(root);
    this.memo = options.memo;
  }

  /**
   * `.dvc/cache/files/md5/<2>/<rest>`. Throws HashError INVALID_HASH for anything that is not
   * 32 hex digits with an optional `.dir` (upper-case digits are accepted and lower-cased), so a
   * hostile `md5: ../../x` from a lock file never becomes a path.
   */
  objectPath(md5: string): string {
    if (typeof md5 !== 'string' || !HEX_ID.test(md5)) {
      throw new HashError('INVALID_HASH', `Not an md5 hash: ${JSON.stringify(md5)}`, {
        hint: 'A hash is 32 hexadecimal digits, followed by .dir for a directory.',
      });
    }
    const id = md5.toLowerCase();
    return path.join(this.root, 'files', 'md5', id.slice(0, 2), id.slice(2));
  }

  /**
   * The `store` option of a directory's hashing: each file read is written into this cache as it
   * is hashed, so that saving the directory afterwards reads none of them again (its objects are
   * named by the md5 of the bytes written, atomically: temporary file, then rename). The memo
   * learns each object's stat key, as a save would teach it.
   */
  storeWhileHashing(memo?: HashMemo): StoreWhileHashing {
    const objects = path.join(this.root, 'files', 'md5');
    return {
      objects,
      onStored: (md5, objectKey) => {
        this.written.add(md5);
        (memo ?? this.memo)?.learn(
          `${objects}${path.sep}${md5.slice(0, 2)}${path.sep}${md5.slice(2)}`,
          objectKey,
          md5,
        );
      },
    };
  }

  async has(md5: string): Promise<boolean> {
    const stats = await stat(this.objectPath(md5)).catch(() => undefined);
    return stats?.isFile() ?? false;
  }

  /** Stores a file, or a directory's files and then its `.dir` manifest. */
  async save(source: string, hash: PathHash, options: { memo?: HashMemo | undefined } = {}): Promise<void> {
    const memo = options.memo ?? this.memo;
    const absolute = path.resolve(source);
    if (hash.kind === 'file') {
      const md5 = hash.md5.toLowerCase();
      if (!isMd5(md5, false))
        throw new HashError('INVALID_HASH', `Not a file md5: ${JSON.stringify(hash.md5)}`);
      await this.storeAll([{ src: absolute, dest: this.objectPath(md5), md5, size: hash.size }], memo);
      return;
    }
    const manifestPath = this.objectPath(hash.md5);
    if (!hash.md5.endsWith('.dir')) {
      throw new HashError('INVALID_HASH', `A directory hash ends with .dir: ${hash.md5}`);
    }
    for (const entry of hash.entries) {
      if (!isSafeRelpath(entry.relpath)) {
        throw new HashError(
          'INVALID_HASH',
          `Unsafe relpath in directory hash: ${JSON.stringify(entry.relpath)}`,
        );
      }
      if (!isMd5(entry.md5, false)) {
        throw new HashError('INVALID_HASH', `Not an md5 hash: ${JSON.stringify(entry.md5)}`);
      }
    }
    const text = serializeManifest(hash.entries);
    if (manifestMd5(hash.entries) !== hash.md5.toLowerCase()) {
      throw new HashError('INVALID_HASH', `The entries given do not hash to ${hash.md5}`);
    }
    const unique = new Map<string, StoreItem>();
    // the md5s and relpaths were checked above: the paths are put together directly (a regex
    // and a path.join per file showed in profiles of 50,000 files)
    const objects = path.join(this.root, 'files', 'md5');
    const posix = path.sep === '/';
    for (const entry of hash.entries) {
      if (!unique.has(entry.md5) && !this.written.has(entry.md5)) {
        unique.set(entry.md5, {
          src: posix ? `${absolute}/${entry.relpath}` : path.join(absolute, ...entry.relpath.split('/')),
          dest: `${objects}${path.sep}${entry.md5.slice(0, 2)}${path.sep}${entry.md5.slice(2)}`,
          md5: entry.md5,
          size: entry.size,
        });
      }
    }
    await this.storeAll([...unique.values()], memo);
    // The manifest last: its presence means every object it lists is there.
    await writeObject(manifestPath, text);
  }

  /** 'ok' | 'missing' | 'corrupt'; for a `.dir`, of the manifest and of every object it lists. */
  async verify(md5: string, options: VerifyOptions = {}): Promise<ObjectStatus> {
    return (await this.diagnose(md5, options)).status;
  }

  /**
   * As {@link verify}, with the first problem found when the object is not 'ok': which object
   * file is missing or corrupt, and why (a manifest that does not match its name, a relpath
   * leading outside its directory…), for messages that name it.
   */
  async diagnose(
    md5: string,
    options: VerifyOptions = {},
  ): Promise<{ status: ObjectStatus; problem?: HashError }> {
    const trustFrom = options.beforeCheckout ? VERIFY_BY_CONTENT_BELOW : undefined;
    const inspection = await this.inspect(md5, options.memo ?? this.memo, trustFrom);
    const { status, error } = inspection;
    if (options.beforeCheckout && status === 'ok') this.vouched.set(md5.toLowerCase(), inspection);
    return status === 'ok' || !error ? { status } : { status, problem: error };
  }

  /**
   * Makes the files at `target` (a file, or the files of a directory) that are links into the
   * cache, symlinks or hardlinks, private writable copies, as DVC's `unprotect` does before a
   * command may modify a persistent output: writing through a link would rewrite the cache
   * object, which other commits and experiments share. Each copy is written beside the file and
   * renamed over it. Plain files, missing paths and broken symlinks are left alone.
   */
  async unprotect(target: string): Promise<void> {
    const absolute = path.resolve(target);
    const stats = await lstat(absolute).catch(() => undefined);
    if (!stats) return;
    if (stats.isDirectory()) {
      const files: string[] = [];
      for (const dirent of await readdir(absolute, { withFileTypes: true, recursive: true })) {
        if (dirent.isFile() || dirent.isSymbolicLink()) files.push(path.join(dirent.parentPath, dirent.name));
      }
      for (let index = 0; index < files.length; index += BATCH) {
        await Promise.all(files.slice(index, index + BATCH).map((file) => unprotectFile(file)));
      }
      return;
    }
    await unprotectFile(absolute, stats);
  }

  /**
   * A directory manifest's relpaths and md5s, as recorded (the manifest checked against its
   * name), without looking at the objects it lists.
   */
  async manifestEntries(md5dir: string): Promise<{ relpath: string; md5: string }[]> {
    return this.loadManifest(md5dir);
  }

  /**
   * A directory manifest's entries. Manifests record only relpath and md5: size is that of the
   * cached object (0 when it is missing) and isexec is always false.
   */
  async readManifest(md5dir: string): Promise<DirEntry[]> {
    const entries = await this.loadManifest(md5dir);
    const sizes = await hashPool().run(
      'stat',
      entries.map((entry) => this.objectPath(entry.md5)),
    );
    return entries.map((entry, index) => ({ ...entry, size: Math.max(0, sizes[index] ?? 0), isexec: false }));
  }

  /**
   * Puts the object at `dest` (a file, or a directory tree) with the first link type that works.
   * The object is verified first; a missing or corrupt one throws CACHE_MISSING / CACHE_CORRUPT
   * without touching dest. Files already holding the right content are kept; for a directory,
   * whatever in dest is not in the manifest is removed.
   */
  async checkout(md5: string, dest: string, options: CheckoutOptions = {}): Promise<void> {
    const target = path.resolve(dest);
    const memo = options.memo ?? this.memo;
    const linkTypes = options.linkTypes ?? DEFAULT_LINK_TYPES;
    if (linkTypes.length === 0 || linkTypes.some((link) => !LINK_TYPES.includes(link))) {
      throw new HashError('INVALID_LINK_TYPE', `Unknown link types: ${linkTypes.join(', ')}`, {
        hint: `Use some of ${LINK_TYPES.join(', ')}.`,
      });
    }
    const vouched = this.vouched.get(md5.toLowerCase());
    this.vouched.delete(md5.toLowerCase());
    const { status, entries, sizes, error } =
      vouched ?? (await this.inspect(md5, memo, VERIFY_BY_CONTENT_BELOW));
    if (status === 'missing') {
      throw new HashError('CACHE_MISSING', `Object ${md5} is not in the cache '${this.root}'`, {
        path: error?.path ?? this.objectPath(md5),
        hint: 'Fetch it from a remote, or reproduce the stage that makes it.',
      });
    }
    if (status === 'corrupt') {
      const file = error?.path ?? this.objectPath(md5);
      const why = error ? `: ${error.message}` : ` ('${file}')`;
      throw new HashError('CACHE_CORRUPT', `cache object ${md5} is corrupt${why}`, {
        path: file,
        hint: 'Reproduce the stage that makes it (a wrong object is then replaced), or remove it and fetch it again.',
      });
    }
    if (entries) {
      await this.checkoutDirectory(entries, sizes, target, linkTypes, memo, options.ignore, options.relink);
    } else {
      await this.checkoutFile(md5, target, linkTypes, memo, options.isexec ?? false, options.relink);
    }
  }

  private async storeAll(items: StoreItem[], memo: HashMemo | undefined): Promise<void> {
    if (memo) {
      for (const item of items) {
        const record = memo.lookup(item.dest);
        if (record?.md5 === item.md5) item.known = record.key;
      }
    }
    await inBatches('store', items, (item, result) => {
      if (result.error) throw itemError(result.error, item.src);
      if (memo) {
        memo.stats.bytesRead += result.bytesRead;
        if (result.key) memo.learn(item.dest, result.key, item.md5);
      }
    });
  }

  private async loadManifest(md5dir: string): Promise<{ relpath: string; md5: string }[]> {
    const file = this.objectPath(md5dir);
    if (!md5dir.endsWith('.dir')) {
      throw new HashError('INVALID_HASH', `Not a directory hash: ${JSON.stringify(md5dir)}`);
    }
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      if (code(error) === 'ENOENT') {
        throw new HashError('CACHE_MISSING', `Directory manifest ${md5dir} is not in the cache`, {
          path: file,
        });
      }
      throw error;
    }
    if (`${createHash('md5').update(bytes).digest('hex')}.dir` !== md5dir.toLowerCase()) {
      throw new HashError('CACHE_CORRUPT', `Directory manifest '${file}' does not match its hash`, {
        path: file,
      });
    }
    return parseManifest(bytes.toString('utf8'), file);
  }

  private async inspect(
    md5: string,
    memo: HashMemo | undefined,
    trustFrom: number | undefined,
  ): Promise<Inspection> {
    const objectPath = this.objectPath(md5);
    if (!md5.endsWith('.dir')) {
      return this.checkObjects([[objectPath, md5.toLowerCase()]], memo, trustFrom);
    }
    let entries: { relpath: string; md5: string }[];
    try {
      entries = await this.loadManifest(md5);
    } catch (error) {
      if (error instanceof HashError && error.code === 'CACHE_MISSING') return { status: 'missing', error };
      if (error instanceof HashError && error.code === 'CACHE_CORRUPT') return { status: 'corrupt', error };
      throw error;
    }
    const unique = new Map<string, string>();
    for (const entry of entries) unique.set(this.objectPath(entry.md5), entry.md5);
    return { ...(await this.checkObjects([...unique], memo, trustFrom)), entries };
  }

  /** Hashes cache objects (through the memo) and compares them with their names. */
  private async checkObjects(
    objects: [string, string][],
    memo: HashMemo | undefined,
    trustFrom: number | undefined,
  ): Promise<Inspection> {
    let missing: HashError | undefined;
    let corrupt: HashError | undefined;
    let failure: unknown;
    const sizes = new Map<string, number>();
    const hasher = new FileHasher<[string, string]>(
      ([objectPath, md5], hash) => {
        sizes.set(objectPath, hash.size);
        if (hash.md5 !== md5) {
          corrupt ??= new HashError('CACHE_CORRUPT', `'${objectPath}' holds md5 ${hash.md5}`, {
            path: objectPath,
          });
        }
      },
      {
        memo,
        trustFrom,
        onError: (_file, error) => {
          if (error.code === 'NOT_FOUND') missing ??= error;
          else if (error.code === 'NOT_A_FILE') corrupt ??= error;
          else failure ??= error;
        },
      },
    );
    for (const object of objects) hasher.add(object[0], object);
    await hasher.finish();
    if (failure !== undefined) throw failure;
    if (corrupt) return { status: 'corrupt', error: corrupt };
    if (missing) return { status: 'missing', error: missing };
    return { status: 'ok', sizes };
  }

  /** Whether each target already holds its md5 (symlinks followed); unreadable counts as no. */
  private async holds(targets: string[], md5s: string[], memo: HashMemo | undefined): Promise<boolean[]> {
    const same = new Array<boolean>(targets.length).fill(false);
    const hasher = new FileHasher<number>(
      (index, hash) => {
        same[index] = hash.md5 === md5s[index];
      },
      { memo, onError: () => {} },
    );
    targets.forEach((target, index) => {
      hasher.add(target, index);
    });
    await hasher.finish();
    return same;
  }

  private async place(items: PlaceItem[]): Promise<void> {
    await inBatches('place', items, (item, result) => {
      if (result.error) throw itemError(result.error, item.dest);
    });
  }

  private async checkoutFile(
    md5: string,
    target: string,
    linkTypes: readonly LinkType[],
    memo: HashMemo | undefined,
    isexec: boolean,
    relink: CheckoutOptions['relink'],
  ): Promise<void> {
    const existing = await lstat(target).catch(() => undefined);
    if (existing?.isDirectory()) {
      await rm(target, { recursive: true, force: true });
    } else if (existing && relink !== 'always') {
      const [same] = await this.holds([target], [md5.toLowerCase()], memo);
      if (same && !(relink === 'needed' && (await needsRelink(target, this.objectPath(md5), linkTypes)))) {
        if (isexec) {
          const mode = (await stat(target)).mode;
          if ((mode & 0o100) === 0) await chmod(target, mode | 0o100);
        }
        return;
      }
    }
    const objectPath = this.objectPath(md5);
    const size = (await stat(objectPath)).size;
    await mkdir(path.dirname(target), { recursive: true });
    await this.place([{ src: objectPath, dest: target, linkTypes, isexec, size }]);
  }

  private async checkoutDirectory(
    entries: { relpath: string; md5: string }[],
    knownSizes: Map<string, number> | undefined,
    target: string,
    linkTypes: readonly LinkType[],
    memo: HashMemo | undefined,
    ignore: Ignore | undefined,
    relink: CheckoutOptions['relink'],
  ): Promise<void> {
    // dest may be a symlink to a directory (followed, as os.walk follows its top); anything else
    // that is not a directory (a file, a broken or file symlink) makes way for one
    const linkStats = await lstat(target).catch(() => undefined);
    const rootStats = linkStats?.isSymbolicLink() ? await stat(target).catch(() => undefined) : linkStats;
    if (linkStats && !rootStats?.isDirectory()) await rm(target, { force: true });
    if (!rootStats?.isDirectory()) await mkdir(target, { recursive: true });

    const wanted = new Map(entries.map((entry) => [entry.relpath, entry.md5]));
    const wantedDirectories = new Set<string>();
    for (const { relpath } of entries) {
      for (let slash = relpath.indexOf('/'); slash >= 0; slash = relpath.indexOf('/', slash + 1)) {
        wantedDirectories.add(relpath.slice(0, slash));
      }
    }
    const local = (relpath: string) => path.join(target, ...relpath.split('/'));

    // 1. Remove what the manifest does not have (and anything in the way of what it has).
    const listing = await listTree(target);
    const removals: Promise<void>[] = [];
    const present: string[] = [];
    for (const relpath of listing.files.keys()) {
      if (wanted.has(relpath)) present.push(relpath);
      else if (!ignore?.(relpath, false)) removals.push(rm(local(relpath), { force: true }));
    }
    for (const relpath of listing.directories) {
      if (wantedDirectories.has(relpath) || ignore?.(relpath, true)) continue;
      const parent = relpath.includes('/') ? relpath.slice(0, relpath.lastIndexOf('/')) : '';
      if (parent && !wantedDirectories.has(parent)) continue; // removed with its parent
      removals.push(rm(local(relpath), { recursive: true, force: true }));
    }
    await Promise.all(removals);

    // 2. Keep files that already hold the right content.
    const same = await this.holds(
      present.map(local),
      present.map((relpath) => wanted.get(relpath)!),
      memo,
    );
    const keep = new Set(present.filter((_, index) => same[index] && relink !== 'always'));
    if (relink === 'needed') {
      const relinked = await Promise.all(
        [...keep].map(async (relpath) =>
          (await needsRelink(local(relpath), this.objectPath(wanted.get(relpath)!), linkTypes))
            ? relpath
            : '',
        ),
      );
      for (const relpath of relinked) if (relpath) keep.delete(relpath);
    }

    // 3. Create the directories, then place every other file.
    const parents = new Set(
      [...wantedDirectories].map((relpath) => relpath.slice(0, relpath.lastIndexOf('/'))),
    );
    const leaves = [...wantedDirectories].filter((relpath) => !parents.has(relpath));
    await Promise.all(leaves.map((relpath) => mkdir(local(relpath), { recursive: true })));
    const missing = entries.filter((entry) => !keep.has(entry.relpath));
    // the sizes the verification saw (else a stat of each object)
    let sizes = knownSizes;
    if (!sizes) {
      const unique = [...new Set(missing.map((entry) => this.objectPath(entry.md5)))];
      const objectSizes = await hashPool().run('stat', unique);
      sizes = new Map(unique.map((objectPath, index) => [objectPath, objectSizes[index] ?? 0]));
    }
    await this.place(
      missing.map((entry) => {
        const src = this.objectPath(entry.md5);
        return { src, dest: local(entry.relpath), linkTypes, isexec: false, size: sizes.get(src) ?? 0 };
      }),
    );
  }
}

/**
 * Writes a small object (a manifest) atomically and read-only, unless it is already there with
 * these bytes (one holding other bytes is replaced).
 */
async function writeObject(file: string, text: string): Promise<void> {
  const existing = await lstat(file).catch(() => undefined);
  if (existing?.isFile() && existing.size === Buffer.byteLength(text)) {
    const bytes = await readFile(file).catch(() => undefined);
    if (bytes?.equals(Buffer.from(text))) return;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    await writeFile(temporary, text, { flag: 'wx', mode: 0o444 });
    await chmod(temporary, 0o444);
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
}

/** A private copy of one file, if it is a link (a symlink to a file, or a hardlink). */
async function unprotectFile(file: string, known?: Stats): Promise<void> {
  const stats = known ?? (await lstat(file).catch(() => undefined));
  if (!stats) return;
  let source: Stats | undefined = stats;
  if (stats.isSymbolicLink()) source = await stat(file).catch(() => undefined);
  else if (!stats.isFile() || stats.nlink <= 1) return;
  if (!source?.isFile()) return; // a broken link, or one to a directory: nothing to copy
  const temporary = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    await copyFile(file, temporary, fsConstants.COPYFILE_EXCL);
    await chmod(temporary, (0o666 & ~process.umask()) | (source.mode & 0o100));
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
}
