import { statSync } from 'node:fs';
import path from 'node:path';
import {
  HashError,
  HashMemo,
  hashPath,
  type LinkType,
  md5Dos2Unix,
  ObjectCache,
  type PathHash,
} from '@tvc/hash';
import { configValue, type DvcConfig, readDvcConfig } from './dvc-config';
import { DvcIgnore } from './dvcignore';
import { TvcError } from './errors';
import { isWithin, toPosix } from './paths';

const LINK_TYPES: readonly LinkType[] = ['reflink', 'hardlink', 'symlink', 'copy'];

/** Where tvc keeps its hash memo (a memo, not a DVC format: see COMPAT §3). */
export const MEMO_FILE = path.join('.dvc', 'tmp', 'tvc-hash-memo.json');

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

  /** The hash of what is at `absolute` now (`undefined` when nothing is there); computed once per run. */
  hash(absolute: string): Promise<PathHash | undefined> {
    let pending = this.#hashes.get(absolute);
    if (!pending) {
      pending = this.#compute(absolute);
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

  async #compute(absolute: string): Promise<PathHash | undefined> {
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
  }
}
