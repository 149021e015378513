import type { RemoteStorage } from './contract';
import { DVC3_LAYOUT, type ObjectLayout } from './keys';
import { defaultJobs, eachLimited, type RetryOptions, withRetry } from './pool';
import type { RemoteIndex } from './remote-index';

export interface RemoteGcOptions {
  readonly jobs?: number | undefined;
  readonly retry?: RetryOptions | undefined;
  readonly signal?: AbortSignal | undefined;
  /** List what would be removed, remove nothing. */
  readonly dry?: boolean | undefined;
  /** The remote's index: the removed objects leave it. */
  readonly index?: RemoteIndex | undefined;
  readonly layout?: ObjectLayout | undefined;
}

/** Every object id stored on a remote (DVC 3 layout), by listing `files/md5/`. */
export async function listRemoteOids(
  storage: RemoteStorage,
  options: RemoteGcOptions = {},
): Promise<string[]> {
  return withRetry(
    async () => {
      const oids: string[] = [];
      const layout = options.layout ?? DVC3_LAYOUT;
      for await (const key of storage.list(layout.listPrefix(), options.signal)) {
        const oid = layout.oid(key);
        if (oid) oids.push(oid);
      }
      return oids;
    },
    { ...options.retry, signal: options.signal },
  );
}

/**
 * The cloud side of `gc -c`: removes from the remote every object not in `keep`. Manifests go
 * first, so that a `.dir` never stays on the remote vouching for files already removed (if the
 * run is cut short, the files of a removed manifest are merely unused). Returns what was (or,
 * with `dry`, would be) removed.
 */
export async function gcRemote(
  storage: RemoteStorage,
  keep: ReadonlySet<string>,
  options: RemoteGcOptions = {},
): Promise<string[]> {
  const unused = (await listRemoteOids(storage, options)).filter((oid) => !keep.has(oid));
  if (options.dry) return unused;
  const jobs = options.jobs ?? defaultJobs();
  const remove = (oid: string) =>
    withRetry(() => storage.remove((options.layout ?? DVC3_LAYOUT).key(oid), options.signal), {
      ...options.retry,
      signal: options.signal,
    });
  const dirs = unused.filter((oid) => oid.endsWith('.dir'));
  const files = unused.filter((oid) => !oid.endsWith('.dir'));
  try {
    await eachLimited(dirs, jobs, remove);
    await eachLimited(files, jobs, remove);
  } finally {
    // whatever happened, the index may no longer be trusted for what was removed
    options.index?.delete(unused);
    await options.index?.save();
  }
  return unused;
}
