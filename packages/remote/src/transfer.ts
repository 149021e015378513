import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { md5Dos2Unix } from '@tvc/hash';
import type { RemoteStorage } from './contract';
import { copyHashing, DirectoryMaker } from './direct-fetch';
import { RemoteError } from './errors';
import { type ExistsOptions, type ObjectPlan, planOids, remoteHas } from './exists';
import { DVC3_LAYOUT, type ObjectLayout } from './keys';
import { defaultJobs, eachLimited, type RetryOptions, withRetry } from './pool';
import type { RemoteIndex } from './remote-index';

/** Files and bytes moved so far, and how many there are to move. */
export interface TransferProgress {
  readonly phase: 'querying' | 'transferring';
  readonly files: number;
  readonly totalFiles: number;
  readonly bytes: number;
  readonly totalBytes: number;
}

export interface EngineOptions {
  /** Concurrent transfers (default: 4 × CPUs, as DVC). */
  readonly jobs?: number | undefined;
  readonly retry?: RetryOptions | undefined;
  readonly signal?: AbortSignal | undefined;
  /** What the remote is known to hold; updated with what is found and moved, and saved. */
  readonly index?: RemoteIndex | undefined;
  readonly onProgress?: ((progress: TransferProgress) => void) | undefined;
  /** How the remote was queried (see {@link ExistsOptions.onMethod}). */
  readonly onMethod?: ExistsOptions['onMethod'];
  /** DVC 3's `files/md5` (default), or DVC 2's legacy layout (`md5-dos2unix` objects). */
  readonly layout?: ObjectLayout | undefined;
}

/** One object that could not be moved, with the key and local path concerned. */
export interface TransferFailure {
  readonly oid: string;
  readonly key: string;
  readonly path: string;
  readonly error: Error;
}

export interface TransferResult {
  /** Objects moved. */
  readonly transferred: string[];
  readonly failed: TransferFailure[];
  /** Objects neither in the local cache nor on the remote. */
  readonly missing: string[];
}

/** `<cache>/files/md5/ab/cdef…` (`<cache>/ab/cdef…` in the legacy layout), an object's local path. */
export function cachePath(cacheRoot: string, oid: string, layout: ObjectLayout = DVC3_LAYOUT): string {
  return path.join(cacheRoot, ...layout.key(oid).split('/'));
}

/**
 * Failures that are the remote's, not one object's (credentials, configuration, no plugin):
 * the transfer stops at the first and throws it, rather than reporting every object.
 */
const SYSTEMIC = new Set(['AUTH', 'CONFIG', 'UNSUPPORTED']);

function isSystemic(error: unknown): error is RemoteError {
  return error instanceof RemoteError && SYSTEMIC.has(error.code);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

class Progress {
  files = 0;
  bytes = 0;
  totalFiles = 0;
  totalBytes = 0;
  readonly #report: EngineOptions['onProgress'];
  #last = 0;

  constructor(report: EngineOptions['onProgress']) {
    this.#report = report;
  }

  /** Runs one object's transfer, counting its bytes; a failed attempt's bytes are taken back (a retry counts them again). */
  async counting(transfer: (onProgress: (bytes: number) => void) => Promise<void>): Promise<void> {
    let moved = 0;
    try {
      await transfer((bytes) => {
        moved += bytes;
        this.bytes += bytes;
        this.emit();
      });
    } catch (error) {
      this.bytes -= moved;
      throw error;
    }
  }

  emit(force = false): void {
    if (!this.#report) return;
    const now = Date.now();
    if (!force && now - this.#last < 50 && this.files < this.totalFiles) return;
    this.#last = now;
    this.#report({
      phase: 'transferring',
      files: this.files,
      totalFiles: this.totalFiles,
      bytes: this.bytes,
      totalBytes: this.totalBytes,
    });
  }
}

async function sizeOf(file: string): Promise<number | undefined> {
  const stats = await stat(file).catch(() => undefined);
  return stats?.isFile() ? stats.size : undefined;
}

/**
 * Uploads what the remote lacks of `plan` from the local cache at `cacheRoot`: file objects
 * first, then each `.dir` manifest once every file it lists is on the remote (a manifest whose
 * files did not all make it is not uploaded, so its presence always means a whole directory).
 * Objects the cache lacks are reported in `missing`; failures (after retries) in `failed`. A
 * failure of the remote itself (`AUTH`, `CONFIG`, `UNSUPPORTED`) stops the push and is thrown.
 */
export async function pushObjects(
  storage: RemoteStorage,
  cacheRoot: string,
  plan: ObjectPlan,
  options: EngineOptions = {},
): Promise<TransferResult> {
  const jobs = options.jobs ?? defaultJobs();
  const layout = options.layout ?? DVC3_LAYOUT;
  options.onProgress?.({ phase: 'querying', files: 0, totalFiles: 0, bytes: 0, totalBytes: 0 });
  const present = await remoteHas(storage, plan, {
    jobs,
    retry: options.retry,
    signal: options.signal,
    index: options.index,
    onMethod: options.onMethod,
    layout,
  });
  const all = planOids(plan);
  const wanted = [...all].filter((oid) => !present.has(oid));
  const transferred: string[] = [];
  const failed: TransferFailure[] = [];
  const missing: string[] = [];
  const sizes = new Map<string, number>();
  await eachLimited(wanted, 64, async (oid) => {
    const size = await sizeOf(cachePath(cacheRoot, oid, layout));
    if (size === undefined) missing.push(oid);
    else sizes.set(oid, size);
  });
  const progress = new Progress(options.onProgress);
  for (const size of sizes.values()) progress.totalBytes += size;
  progress.totalFiles = sizes.size;
  progress.emit(true);
  const upload = async (oid: string): Promise<void> => {
    const key = layout.key(oid);
    const local = cachePath(cacheRoot, oid, layout);
    try {
      await withRetry(
        async () => {
          await progress.counting((onProgress) =>
            storage.upload(local, key, { size: sizes.get(oid), signal: options.signal, onProgress }),
          );
        },
        { ...options.retry, signal: options.signal },
      );
      transferred.push(oid);
      progress.files++;
      progress.emit();
    } catch (error) {
      if (isSystemic(error)) throw error;
      failed.push({ oid, key, path: local, error: asError(error) });
    }
  };
  const files = wanted.filter((oid) => !oid.endsWith('.dir') && sizes.has(oid));
  await eachLimited(files, jobs, upload);
  const done = new Set([...present, ...transferred]);
  const dirs = wanted.filter((oid) => oid.endsWith('.dir') && sizes.has(oid));
  const ready: string[] = [];
  const failedOids = new Set(failed.map((failure) => failure.oid));
  for (const dir of dirs) {
    const lacking = (plan.dirs.get(dir) ?? []).filter((file) => !done.has(file));
    if (lacking.length === 0) {
      ready.push(dir);
    } else if (lacking.some((file) => failedOids.has(file))) {
      failed.push({
        oid: dir,
        key: layout.key(dir),
        path: cachePath(cacheRoot, dir, layout),
        error: new RemoteError('OTHER', `not uploaded: ${lacking.length} of the files it lists failed`, {
          path: layout.key(dir),
        }),
      });
    } else {
      // files the cache lacks: the manifest would vouch for a directory the remote does not have
      missing.push(dir);
    }
  }
  await eachLimited(ready, jobs, upload);
  progress.emit(true);
  options.index?.add(transferred);
  await options.index?.save();
  return { transferred, failed, missing };
}

/** Streams a file's MD5. */
async function md5File(file: string): Promise<string> {
  const hash = createHash('md5');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * Downloads `oids` into the local cache at `cacheRoot`: each to a temporary file beside its
 * place, its MD5 checked against its name (a `.dir` manifest's too), made read-only and renamed
 * into place, so the cache never holds a partial or wrong object. An object whose content does
 * not match its name fails with `CORRUPT` and is not kept. Objects already in the cache are
 * skipped (not counted).
 */
export async function fetchObjects(
  storage: RemoteStorage,
  cacheRoot: string,
  oids: Iterable<string>,
  options: EngineOptions = {},
): Promise<TransferResult> {
  const jobs = options.jobs ?? defaultJobs();
  const layout = options.layout ?? DVC3_LAYOUT;
  const transferred: string[] = [];
  const failed: TransferFailure[] = [];
  const missing: string[] = [];
  const wanted = await absentFromCache(cacheRoot, new Set(oids), layout);
  const progress = new Progress(options.onProgress);
  progress.totalFiles = wanted.length;
  progress.emit(true);
  // a storage whose objects are local files is read directly, in one pass (see copyHashing)
  const direct = storage.filePath && layout.name === 'md5' ? storage.filePath.bind(storage) : undefined;
  const directories = new DirectoryMaker();
  await eachLimited(wanted, jobs, async (oid) => {
    const key = layout.key(oid);
    const destination = cachePath(cacheRoot, oid, layout);
    const temporary = path.join(
      path.dirname(destination),
      `.${path.basename(destination)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`,
    );
    try {
      directories.make(path.dirname(destination));
      let md5: string;
      if (direct) {
        let moved = 0;
        md5 = await withRetry(
          async () => {
            try {
              return await copyHashing(
                direct(key),
                key,
                temporary,
                (bytes) => {
                  moved += bytes;
                  progress.bytes += bytes;
                  progress.emit();
                },
                options.signal,
              );
            } catch (error) {
              progress.bytes -= moved;
              moved = 0;
              await rm(temporary, { force: true });
              throw error;
            }
          },
          { ...options.retry, signal: options.signal },
        );
      } else {
        await withRetry(
          async () => {
            try {
              await progress.counting((onProgress) =>
                storage.download(key, temporary, { signal: options.signal, onProgress }),
              );
            } catch (error) {
              await rm(temporary, { force: true });
              throw error;
            }
          },
          { ...options.retry, signal: options.signal },
        );
        md5 = layout.name === 'md5-dos2unix' ? await md5Dos2Unix(temporary) : await md5File(temporary);
        await chmod(temporary, 0o444);
      }
      if (md5 !== oid.replace(/\.dir$/, '')) {
        throw new RemoteError('CORRUPT', `the object on the remote holds md5 ${md5}, not ${oid}`, {
          path: key,
          hint: 'the remote copy is damaged: push it again from a cache that has it',
        });
      }
      await rename(temporary, destination);
      transferred.push(oid);
      progress.files++;
      progress.emit();
    } catch (error) {
      await rm(temporary, { force: true });
      if (isSystemic(error)) throw error;
      if (error instanceof RemoteError && error.code === 'NOT_FOUND') missing.push(oid);
      else failed.push({ oid, key, path: destination, error: asError(error) });
    }
  });
  progress.emit(true);
  if (options.index) {
    options.index.add(transferred);
    await options.index.save();
  }
  return { transferred, failed, missing };
}

/** Above this many objects, the cache's prefix directories are listed rather than each object stat'ed. */
const LIST_CACHE_ABOVE = 256;

/** The objects of `oids` the local cache lacks (a file at an object's place counts as present). */
async function absentFromCache(
  cacheRoot: string,
  oids: Set<string>,
  layout: ObjectLayout,
): Promise<string[]> {
  const absent: string[] = [];
  if (oids.size <= LIST_CACHE_ABOVE) {
    await eachLimited(oids, 64, async (oid) => {
      if ((await sizeOf(cachePath(cacheRoot, oid, layout))) === undefined) absent.push(oid);
    });
    return absent;
  }
  const byDirectory = new Map<string, string[]>();
  for (const oid of oids) {
    const directory = path.dirname(cachePath(cacheRoot, oid, layout));
    const group = byDirectory.get(directory);
    if (group) group.push(oid);
    else byDirectory.set(directory, [oid]);
  }
  await eachLimited(byDirectory, 16, async ([directory, group]) => {
    const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
    const files = new Set(entries.filter((entry) => entry.isFile()).map((entry) => entry.name));
    for (const oid of group) {
      if (!files.has(path.basename(cachePath(cacheRoot, oid, layout)))) absent.push(oid);
    }
  });
  return absent;
}

/** One file moved as is (no hash in its name): the run cache's entries. */
export interface PlainFile {
  readonly local: string;
  readonly key: string;
}

/**
 * Uploads plain files (DVC's run cache, `runs/…`): every one, as DVC's `stage_cache.push` does,
 * each atomic on the storage's side, retried; failures are returned with their paths.
 */
export async function pushFiles(
  storage: RemoteStorage,
  files: readonly PlainFile[],
  options: EngineOptions = {},
): Promise<{ transferred: string[]; failed: TransferFailure[] }> {
  const transferred: string[] = [];
  const failed: TransferFailure[] = [];
  await eachLimited(files, options.jobs ?? defaultJobs(), async ({ local, key }) => {
    try {
      await withRetry(() => storage.upload(local, key, { signal: options.signal }), {
        ...options.retry,
        signal: options.signal,
      });
      transferred.push(key);
    } catch (error) {
      if (isSystemic(error)) throw error;
      failed.push({ oid: key, key, path: local, error: asError(error) });
    }
  });
  return { transferred, failed };
}

/**
 * Downloads every file under `prefix` (`runs/`) to `localRoot`/<the key's path below the
 * prefix's parent>, each through a temporary file renamed into place.
 */
export async function fetchFiles(
  storage: RemoteStorage,
  prefix: string,
  localRoot: string,
  options: EngineOptions = {},
): Promise<{ transferred: string[]; failed: TransferFailure[] }> {
  const keys: string[] = [];
  if (storage.canList) {
    await withRetry(
      async () => {
        keys.length = 0;
        for await (const key of storage.list(prefix, options.signal)) keys.push(key);
      },
      { ...options.retry, signal: options.signal },
    );
  }
  const transferred: string[] = [];
  const failed: TransferFailure[] = [];
  await eachLimited(keys, options.jobs ?? defaultJobs(), async (key) => {
    const parts = key.split('/');
    if (parts.some((part) => part === '' || part === '.' || part === '..')) return;
    const destination = path.join(localRoot, ...parts);
    const temporary = path.join(
      path.dirname(destination),
      `.${path.basename(destination)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`,
    );
    try {
      await mkdir(path.dirname(destination), { recursive: true });
      await withRetry(() => storage.download(key, temporary, { signal: options.signal }), {
        ...options.retry,
        signal: options.signal,
      });
      await rename(temporary, destination);
      transferred.push(key);
    } catch (error) {
      await rm(temporary, { force: true });
      if (isSystemic(error)) throw error;
      failed.push({ oid: key, key, path: destination, error: asError(error) });
    }
  });
  return { transferred, failed };
}
