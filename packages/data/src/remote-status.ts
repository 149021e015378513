import { stat } from 'node:fs/promises';
import type { Tvc } from '@tvc/core';
import { cachePath, fetchObjects, remoteHas } from '@tvc/remote';
import {
  type CollectedObjects,
  collectObjects,
  isEmptyGroup,
  learnManifest,
  type OpenedRemote,
  openRemote,
  type RemoteDataOptions,
  remoteProblem,
} from './remote';

export type CloudStatus = 'new' | 'deleted' | 'missing';

export interface RemoteStatus {
  readonly remote: string;
  /** Each object not in sync, by its name (`out`, `dir/relpath`), in DVC's order: deleted, new, missing. */
  readonly entries: Record<string, CloudStatus>;
}

/**
 * `tvc status -c`: compares the cache with the remote for the objects in scope: `new` (only in
 * the cache), `deleted` (only on the remote), `missing` (in neither). As DVC, the manifests of
 * directories the cache lacks are fetched from the remote first so that their files are known.
 */
export async function remoteStatus(tvc: Tvc, options: RemoteDataOptions = {}): Promise<RemoteStatus> {
  const main = await openRemote(tvc, options.remote, 'status');
  const groups: Record<CloudStatus, string[]> = { deleted: [], new: [], missing: [] };
  const names = new Map<string, string>();
  try {
    // outputs with `remote: NAME` are compared with that remote, as DVC 3 does
    for (const group of await collectObjects(tvc, options, 'push')) {
      if (group.remote !== undefined && isEmptyGroup(group.collected)) continue;
      const remote = group.remote === undefined ? main : await openRemote(tvc, group.remote, 'status');
      try {
        await compare(remote, group.collected, options, groups);
      } catch (error) {
        throw remoteProblem(remote.name, error);
      } finally {
        if (remote !== main) await remote.close();
      }
      for (const [oid, name] of group.collected.names) if (!names.has(oid)) names.set(oid, name);
    }
    const entries: Record<string, CloudStatus> = {};
    for (const state of ['deleted', 'new', 'missing'] as const) {
      for (const oid of groups[state]) entries[names.get(oid) ?? oid] = state;
    }
    return { remote: main.name, entries };
  } finally {
    await main.close();
  }
}

/** Adds the objects of `collected` that are not both in the cache and on `remote` to `groups`. */
async function compare(
  remote: OpenedRemote,
  collected: CollectedObjects,
  options: RemoteDataOptions,
  groups: Record<CloudStatus, string[]>,
): Promise<void> {
  for (const set of collected.sets) {
    const index = remote.indexFor(set.layout);
    const engine = { jobs: options.jobs, index, retry: options.retry, layout: set.layout };
    if (set.unknownDirs.size > 0) {
      const manifests = await fetchObjects(remote.storage, collected.cacheRoot, set.unknownDirs, engine);
      for (const dir of manifests.transferred) await learnManifest(collected, set, dir);
    }
    const all = new Set([...set.dirs.keys(), ...set.files]);
    if (all.size === 0) continue;
    const onRemote = await remoteHas(
      remote.storage,
      { files: set.files, dirs: set.dirs },
      { jobs: options.jobs ?? 16, index, retry: options.retry, layout: set.layout },
    );
    await index.save();
    const local = new Set<string>();
    await Promise.all(
      [...all].map(async (oid) => {
        const stats = await stat(cachePath(collected.cacheRoot, oid, set.layout)).catch(() => undefined);
        if (stats?.isFile()) local.add(oid);
      }),
    );
    for (const oid of all) {
      const here = local.has(oid);
      const there = onRemote.has(oid);
      if (here && there) continue;
      groups[here ? 'new' : there ? 'deleted' : 'missing'].push(oid);
    }
  }
}
