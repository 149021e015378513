import { stat } from 'node:fs/promises';
import type { Tvc } from '@tvc/core';
import { cachePath, fetchObjects, remoteHas } from '@tvc/remote';
import { collectObjects, learnManifest, openRemote, type RemoteDataOptions, remoteProblem } from './remote';

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
  const remote = await openRemote(tvc, options.remote, 'status');
  try {
    const collected = await collectObjects(tvc, options, 'push');
    const engine = { jobs: options.jobs, index: remote.index, retry: options.retry };
    try {
      if (collected.unknownDirs.size > 0) {
        const manifests = await fetchObjects(
          remote.storage,
          collected.cacheRoot,
          collected.unknownDirs,
          engine,
        );
        for (const dir of manifests.transferred) await learnManifest(tvc, collected, dir);
      }
      const onRemote = await remoteHas(
        remote.storage,
        { files: collected.files, dirs: collected.dirs },
        { jobs: options.jobs ?? 16, index: remote.index, retry: options.retry },
      );
      await remote.index.save();
      const all = [...collected.dirs.keys(), ...collected.files];
      const local = new Set<string>();
      await Promise.all(
        all.map(async (oid) => {
          const stats = await stat(cachePath(collected.cacheRoot, oid)).catch(() => undefined);
          if (stats?.isFile()) local.add(oid);
        }),
      );
      const groups: Record<CloudStatus, string[]> = { deleted: [], new: [], missing: [] };
      for (const oid of new Set(all)) {
        const here = local.has(oid);
        const there = onRemote.has(oid);
        if (here && there) continue;
        groups[here ? 'new' : there ? 'deleted' : 'missing'].push(oid);
      }
      const entries: Record<string, CloudStatus> = {};
      for (const state of ['deleted', 'new', 'missing'] as const) {
        for (const oid of groups[state]) entries[collected.names.get(oid) ?? oid] = state;
      }
      return { remote: remote.name, entries };
    } catch (error) {
      throw remoteProblem(remote.name, error);
    }
  } finally {
    await remote.close();
  }
}
