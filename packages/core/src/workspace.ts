import { lstatSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  digestDirectory,
  digestObjects,
  HashError,
  HashMemo,
  hashPath,
  type LinkType,
  md5Dos2Unix,
  ObjectCache,
  type PathHash,
  TreeMemo,
} from '@tvc/hash';
import { configValue, type DvcConfig, readDvcConfig } from './dvc-config';
import { ALWAYS_IGNORED, DvcIgnore } from './dvcignore';
import { TvcError } from './errors';
import { isWithin, toPosix } from './paths';

const LINK_TYPES: readonly LinkType[] = ['reflink', 'hardlink', 'symlink', 'copy'];

/** Where tvc keeps its hash memo (a memo, not a DVC format: see COMPAT §3). */
export const MEMO_FILE = path.join('.dvc', 'tmp', 'tvc-hash-memo.json');
/** Stat digests of directories and of `.dir` objects (see @tvc/hash's digest.ts), beside it. */
export const TREE_MEMO_FILE = path.join('.dvc', 'tmp', 'tvc-tree-memo.json');

export interface HashProgress {
  readonly path: string;
  readonly files: number;
  readonly bytes: number;
}

/**
 * The repository's data: hashes of workspace paths (memoised across runs, so an unchanged file is
 * never read twice, and shared within a run), the object cache and the link types to check out with.
 */
export class Workspace {
  readonly root: string;
  readonly cache: ObjectCache;
  readonly config: DvcConfig;
  readonly ignore: DvcIgnore;
  readonly #hashes = new Map<string, Promise<PathHash | undefined>>();
  #memo: Promise<HashMemo> | undefined;
  #trees: Promise<TreeMemo> | undefined;
  #onProgress: ((progress: HashProgress) => void) | undefined;

  constructor(root: string, options: { onProgress?: (progress: HashProgress) => void } = {}) {
    this.root = root;
    this.config = readDvcConfig(root);
    const cacheDir = configValue(this.config, 'cache', 'dir');
    this.cache = new ObjectCache(
      cacheDir ? path.resolve(root, '.dvc', cacheDir) : path.join(root, '.dvc', 'cache'),
    );
    this.ignore = new DvcIgnore(root);
    this.#onProgress = options.onProgress;
  }

  /** The memo of file hashes, loaded on first use. */
  memo(): Promise<HashMemo> {
    this.#memo ??= HashMemo.open(path.join(this.root, MEMO_FILE));
    return this.#memo;
  }

  /** The stat digests of directories and `.dir` objects, loaded on first use. */
  trees(): Promise<TreeMemo> {
    this.#trees ??= TreeMemo.open(path.join(this.root, TREE_MEMO_FILE));
    return this.#trees;
  }

  /**
   * The kind and md5 of what is at `absolute` now, for comparing with a recorded hash (status):
   * an unchanged directory is answered from its stat digest (a stat per file in the hashing
   * threads; no file read, no memo lookup per file here), anything else as {@link hash} does.
   */
  async currentHash(absolute: string): Promise<{ kind: 'file' | 'directory'; md5: string } | undefined> {
    const brief = (hash: PathHash | undefined) => hash && { kind: hash.kind, md5: hash.md5 };
    if (!this.#digestible(absolute)) return brief(await this.hash(absolute));
    const before = await digestDirectory(absolute).catch(() => undefined);
    if (before?.digest === undefined) return brief(await this.hash(absolute));
    const trees = await this.trees();
    const known = trees.get(absolute, before.digest);
    if (known !== undefined) return { kind: 'directory', md5: known };
    const hash = await this.hash(absolute);
    if (hash?.kind === 'directory') {
      // recorded only if nothing changed while it was hashed
      const after = await digestDirectory(absolute).catch(() => undefined);
      if (after?.digest === before.digest) trees.set(absolute, before.digest, hash.md5);
    }
    return brief(hash);
  }

  /**
   * Whether a stat digest can stand for the hash of `absolute`: a real directory (not a
   * symlink), and no `.dvcignore` above it in the repository (the digest itself refuses one
   * inside), since ignore rules decide what its hash covers.
   */
  #digestible(absolute: string): boolean {
    if (!lstatSync(absolute, { throwIfNoEntry: false })?.isDirectory()) return false;
    if (!isWithin(this.root, absolute)) return true;
    const parts = toPosix(path.relative(this.root, absolute)).split('/');
    if (parts.some((part) => ALWAYS_IGNORED.has(part))) return false;
    for (let depth = 0; depth < parts.length; depth++) {
      if (this.ignore.hasRules(parts.slice(0, depth).join('/'))) return false;
    }
    return true;
  }

  /**
   * The hash of what is at `absolute` now (`undefined` when nothing is there); computed once per
   * run. With `forSave`, a directory's files read to hash them are written into the cache at the
   * same time (a {@link save} that follows then reads none of them again): for add and commit.
   */
  hash(absolute: string, options: { forSave?: boolean } = {}): Promise<PathHash | undefined> {
    let pending = this.#hashes.get(absolute);
    if (!pending) {
      pending = this.#compute(absolute, options.forSave === true);
      this.#hashes.set(absolute, pending);
      pending.catch(() => this.#hashes.delete(absolute));
    }
    return pending;
  }

  /**
   * A file whose (inode, mtime, ctime, size) the memo already knows, answered on this thread: a
   * no-op status then never wakes the hashing workers. The key is the one @tvc/hash records
   * (`<ino>:<mtime ns>:<ctime ns>:<size>`); a test checks that the two agree.
   */
  async #remembered(absolute: string): Promise<{ md5: string; size: number; isexec: boolean } | undefined> {
    const memo = await this.memo();
    const record = memo.lookup(absolute);
    if (!record) return undefined;
    // Synchronous: a no-op status makes one of these per dependency, output and cache object,
    // and a promise per stat cost several times the stat itself.
    const stats = statSync(absolute, { bigint: true, throwIfNoEntry: false });
    if (!stats?.isFile() || record.key !== `${stats.ino}:${stats.mtimeNs}:${stats.ctimeNs}:${stats.size}`)
      return undefined;
    return { md5: memo.hit(record), size: Number(stats.size), isexec: (Number(stats.mode) & 0o111) !== 0 };
  }

  async #compute(absolute: string, forSave: boolean): Promise<PathHash | undefined> {
    const known = await this.#remembered(absolute);
    if (known) return { kind: 'file', ...known };
    const memo = await this.memo();
    const inRepo = isWithin(this.root, absolute);
    const prefix = inRepo ? toPosix(path.relative(this.root, absolute)) : undefined;
    const onProgress = this.#onProgress;
    return hashPath(absolute, {
      memo,
      ignore:
        prefix === undefined
          ? undefined
          : (relpath, isDirectory) =>
              this.ignore.ignores(prefix ? `${prefix}/${relpath}` : relpath, isDirectory),
      onProgress: onProgress ? (progress) => onProgress({ path: absolute, ...progress }) : undefined,
      store: forSave ? this.cache.storeWhileHashing(memo) : undefined,
    });
  }

  /**
   * Whether the cache holds the object intact ('ok'), lacks it, or holds a corrupt copy. Objects
   * are trusted on the memo (whose key catches in-place rewrites); with `beforeCheckout`, as
   * strictly as {@link checkout} will check them (small objects read), so that a checkout it
   * approves does not fail.
   */
  async verify(
    md5: string,
    options: { beforeCheckout?: boolean } = {},
  ): Promise<'ok' | 'missing' | 'corrupt'> {
    try {
      if (md5.endsWith('.dir') && !options.beforeCheckout) return await this.#verifyTree(md5);
      if (!md5.endsWith('.dir') && !options.beforeCheckout) {
        // An object the memo saw intact, unchanged since: no need to read it again.
        const known = await this.#remembered(this.cache.objectPath(md5));
        if (known?.md5 === md5.toLowerCase()) return 'ok';
      }
      return await this.cache.verify(md5, {
        memo: await this.memo(),
        beforeCheckout: options.beforeCheckout,
      });
    } catch {
      return 'corrupt';
    }
  }

  /**
   * A `.dir` object trusted on the memo: its manifest and objects unchanged since a verification
   * found them intact (their stat digest) is 'ok' without a memo lookup per object.
   */
  async #verifyTree(md5: string): Promise<'ok' | 'missing' | 'corrupt'> {
    this.cache.objectPath(md5); // refuses what is not a hash
    const name = `objects\0${this.cache.root}\0${md5.toLowerCase()}`;
    const before = await digestObjects(this.cache.root, md5).catch(() => undefined);
    const trees = await this.trees();
    if (trees.get(name, before?.digest) === 'ok') return 'ok';
    const status = await this.cache.verify(md5, { memo: await this.memo() });
    if (status === 'ok' && before?.digest !== undefined) {
      const after = await digestObjects(this.cache.root, md5).catch(() => undefined);
      if (after?.digest === before.digest) trees.set(name, before.digest, 'ok');
    }
    return status;
  }

  /**
   * As {@link verify} with `beforeCheckout`, and the reason when the object is not intact: the
   * object file concerned and what is wrong with it, for a message that names them.
   */
  async diagnose(md5: string): Promise<{ status: 'ok' | 'missing' | 'corrupt'; problem?: string }> {
    try {
      const { status, problem } = await this.cache.diagnose(md5, {
        memo: await this.memo(),
        beforeCheckout: true,
      });
      return problem ? { status, problem: problem.message } : { status };
    } catch (error) {
      return { status: 'corrupt', problem: error instanceof Error ? error.message : String(error) };
    }
  }

  /**
   * Checks an object out to `dest` with the configured link types (verified first; never links a
   * corrupt object). A missing or corrupt object (a hostile manifest included) is a TvcError
   * naming the object's file.
   */
  async checkout(md5: string, dest: string): Promise<void> {
    try {
      await this.cache.checkout(md5, dest, { linkTypes: this.linkTypes(), memo: await this.memo() });
    } catch (error) {
      if (error instanceof HashError && (error.code === 'CACHE_CORRUPT' || error.code === 'CACHE_MISSING')) {
        throw new TvcError(
          error.code,
          `cannot check out '${toPosix(path.relative(this.root, dest))}': ${error.message}`,
          {
            hint: error.hint,
            cause: error,
          },
        );
      }
      throw error;
    } finally {
      this.forget(dest);
    }
  }

  /**
   * Saves what is at `absolute` (hashed as `hash`) into the cache, through the memo: an object
   * already there is kept without reading it when the memo vouches for it, read otherwise, and
   * replaced when it holds other bytes.
   */
  async save(absolute: string, hash: PathHash): Promise<void> {
    await this.cache.save(absolute, hash, { memo: await this.memo() });
  }

  /**
   * Before a command runs with a persistent output in place: the output's files that are links
   * into the cache (cache.type hardlink or symlink) become private copies, so that a command
   * appending to them does not rewrite the cache objects (DVC's `unprotect`).
   */
  async unprotect(absolute: string): Promise<void> {
    await this.cache.unprotect(absolute);
    this.forget(absolute);
  }

  /** DVC 2's md5-dos2unix hash of a file, for lock entries written without `hash: md5`. */
  legacyHash(absolute: string): Promise<string> {
    return md5Dos2Unix(absolute);
  }

  /** Forgets hashes of `absolute` and of everything inside or around it (after a stage wrote there). */
  forget(absolute: string): void {
    for (const key of [...this.#hashes.keys()]) {
      if (isWithin(absolute, key) || isWithin(key, absolute)) this.#hashes.delete(key);
    }
  }

  /** The link types to check out with, from `cache.type` (default: reflink, then copy). */
  linkTypes(): LinkType[] {
    const value = configValue(this.config, 'cache', 'type');
    if (!value) return ['reflink', 'copy'];
    const types = value
      .split(',')
      .map((type) => type.trim())
      .filter((type): type is LinkType => (LINK_TYPES as readonly string[]).includes(type));
    return types.length > 0 ? types : ['reflink', 'copy'];
  }

  /** Saves the memo. */
  async close(): Promise<void> {
    if (this.#memo) await (await this.#memo).save();
    if (this.#trees) await (await this.#trees).save();
  }
}
