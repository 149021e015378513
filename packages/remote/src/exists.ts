import type { RemoteStorage } from './contract';
import { DVC3_LAYOUT, type ObjectLayout } from './keys';
import { eachLimited, type RetryOptions, withRetry } from './pool';
import type { RemoteIndex } from './remote-index';

/** dvc-objects' constants (`dvc_objects/fs/base.py`). */
const LIST_OBJECT_PAGE_SIZE = 1000;
const TRAVERSE_WEIGHT_MULTIPLIER = 5;
const TRAVERSE_THRESHOLD_SIZE = 500_000;
/** Storages DVC lists by 3-hex-digit prefixes (`files/md5/00/0`); all others by 2 (`files/md5/00/`). */
const OBJECT_STORES = new Set(['s3', 'gs', 'gcs', 'azure', 'oss']);

export interface ExistsOptions {
  readonly jobs: number;
  readonly retry?: RetryOptions | undefined;
  readonly signal?: AbortSignal | undefined;
  /** How the remote was queried, for tests and `-v` (`exists`, `estimate+exists`, `traverse`). */
  readonly onMethod?: ((method: 'exists' | 'estimate+exists' | 'traverse') => void) | undefined;
  /** Objects checked so far. */
  readonly onQueried?: ((count: number) => void) | undefined;
  /** DVC 3's `files/md5` (default), or DVC 2's legacy layout. */
  readonly layout?: ObjectLayout | undefined;
}

async function listOids(
  storage: RemoteStorage,
  prefix: string | undefined,
  options: ExistsOptions,
  limit = Number.POSITIVE_INFINITY,
): Promise<string[]> {
  return withRetry(
    async () => {
      const found: string[] = [];
      const layout = options.layout ?? DVC3_LAYOUT;
      for await (const key of storage.list(layout.listPrefix(prefix), options.signal)) {
        const oid = layout.oid(key);
        if (oid === undefined) continue;
        found.push(oid);
        if (found.length > limit) break;
      }
      return found;
    },
    { ...options.retry, signal: options.signal },
  );
}

async function existsEach(
  storage: RemoteStorage,
  oids: Iterable<string>,
  options: ExistsOptions,
): Promise<Set<string>> {
  const present = new Set<string>();
  let queried = 0;
  await eachLimited(oids, options.jobs, async (oid) => {
    const key = (options.layout ?? DVC3_LAYOUT).key(oid);
    const exists = await withRetry(() => storage.exists(key, options.signal), {
      ...options.retry,
      signal: options.signal,
    });
    if (exists) present.add(oid);
    options.onQueried?.(++queried);
  });
  return present;
}

/**
 * Which of `oids` the remote holds, decided as dvc-objects' `oids_exist`: one object, or a
 * storage that cannot list, is asked with `exists` per object. Otherwise the remote's size is
 * estimated by listing one prefix (`00`, or `000` on object stores) and multiplying; when fewer
 * objects are wanted than listing everything would cost in pages (weighted ×5 above 500,000
 * objects), the rest are asked with `exists`; else every prefix is listed, in parallel.
 */
export async function oidsExist(
  storage: RemoteStorage,
  wanted: Iterable<string>,
  options: ExistsOptions,
): Promise<Set<string>> {
  const oids = new Set(wanted);
  if (oids.size === 0) return new Set();
  if (oids.size === 1 || !storage.canList) {
    options.onMethod?.('exists');
    return existsEach(storage, oids, options);
  }
  const prefixLength = OBJECT_STORES.has(storage.kind) ? 3 : 2;
  const totalPrefixes = 16 ** prefixLength;
  const maxOids = Math.max(
    TRAVERSE_THRESHOLD_SIZE,
    (oids.size / TRAVERSE_WEIGHT_MULTIPLIER) * LIST_OBJECT_PAGE_SIZE,
  );
  const sample = new Set(await listOids(storage, '0'.repeat(prefixLength), options, maxOids / totalPrefixes));
  const remoteSize = totalPrefixes * Math.max(1, sample.size);
  const pages = remoteSize / LIST_OBJECT_PAGE_SIZE;
  const weight = remoteSize > TRAVERSE_THRESHOLD_SIZE ? pages * TRAVERSE_WEIGHT_MULTIPLIER : pages;
  if (oids.size < weight) {
    options.onMethod?.('estimate+exists');
    const present = new Set([...oids].filter((oid) => sample.has(oid)));
    const rest = [...oids].filter((oid) => !sample.has(oid));
    for (const oid of await existsEach(storage, rest, options)) present.add(oid);
    return present;
  }
  options.onMethod?.('traverse');
  const present = new Set<string>();
  const take = (found: Iterable<string>) => {
    for (const oid of found) if (oids.has(oid)) present.add(oid);
  };
  if (pages < 256 / options.jobs) {
    take(await listOids(storage, undefined, options));
  } else {
    take(sample);
    const prefixes = Array.from({ length: 255 }, (_, index) => (index + 1).toString(16).padStart(2, '0'));
    if (prefixLength > 2) {
      for (let index = 1; index < 16 ** (prefixLength - 2); index++) {
        prefixes.push(index.toString(16).padStart(prefixLength, '0'));
      }
    }
    await eachLimited(prefixes, options.jobs, async (prefix) => {
      take(await listOids(storage, prefix, options));
    });
  }
  options.onQueried?.(oids.size);
  return present;
}

/** What to move: file objects, and directory manifests with the file objects each lists. */
export interface ObjectPlan {
  readonly files: Iterable<string>;
  readonly dirs: ReadonlyMap<string, readonly string[]>;
}

/** Every object id of a plan: its files, its manifests and what they list. */
export function planOids(plan: ObjectPlan): Set<string> {
  const all = new Set(plan.files);
  for (const [dir, files] of plan.dirs) {
    all.add(dir);
    for (const file of files) all.add(file);
  }
  return all;
}

/**
 * Which objects of `plan` the remote holds, through `index` when given (dvc-data's
 * `compare_status` with a `dest_index`): an indexed manifest still on the remote vouches for its
 * files; if one has disappeared the whole index is dropped. What the remote is then found to hold
 * is added to the index (the caller saves it).
 */
export async function remoteHas(
  storage: RemoteStorage,
  plan: ObjectPlan,
  options: ExistsOptions & { readonly index?: RemoteIndex | undefined },
): Promise<Set<string>> {
  const all = planOids(plan);
  const present = new Set<string>();
  const index = options.index;
  if (index && index.size > 0) {
    const indexedDirs = index.dirsAmong(plan.dirs.keys());
    const still =
      indexedDirs.length > 0 ? await existsEach(storage, indexedDirs, options) : new Set<string>();
    if (still.size < indexedDirs.length) {
      index.clear();
    } else {
      for (const dir of indexedDirs) {
        present.add(dir);
        for (const file of plan.dirs.get(dir) ?? []) present.add(file);
      }
      for (const oid of all) if (index.has(oid)) present.add(oid);
    }
  }
  const rest = [...all].filter((oid) => !present.has(oid));
  for (const oid of await oidsExist(storage, rest, options)) present.add(oid);
  index?.add(present);
  return present;
}
