import type { Tvc } from '@tvc/core';
import { fetchFiles, fetchObjects, type TransferFailure } from '@tvc/remote';
import { chainedProgress, eachRemoteGroup, type TransferSummary } from './push';
import { learnManifest, type RemoteDataOptions } from './remote';

/**
 * `tvc fetch`: downloads into the cache the objects of the outputs in scope that it lacks —
 * first the manifests of directories it does not know, then every file object — each checked
 * against its hash before it is renamed into place (DVC 2 objects against their md5-dos2unix).
 */
export async function fetchData(
  tvc: Tvc,
  options: RemoteDataOptions = {},
  command = 'fetch',
): Promise<TransferSummary> {
  const progress = chainedProgress(options.onProgress);
  return eachRemoteGroup(tvc, options, 'fetch', command, async (remote, collected, first) => {
    const engine = { jobs: options.jobs, onProgress: progress.onProgress, retry: options.retry };
    // as DVC, the run cache's entries are counted in the failures but not in the files fetched
    const runs =
      first && options.runCache
        ? await fetchFiles(remote.storage, 'runs/', collected.cacheRoot, engine)
        : { transferred: [], failed: [] };
    let transferred = 0;
    const failed: TransferFailure[] = [...runs.failed];
    const missing: string[] = [];
    for (const set of collected.sets) {
      const layoutEngine = { ...engine, layout: set.layout, index: remote.indexFor(set.layout) };
      if (set.unknownDirs.size > 0) {
        const manifests = await fetchObjects(
          remote.storage,
          collected.cacheRoot,
          set.unknownDirs,
          layoutEngine,
        );
        progress.next();
        for (const dir of manifests.transferred) await learnManifest(collected, set, dir);
        transferred += manifests.transferred.length;
        failed.push(...manifests.failed);
        missing.push(...manifests.missing);
      }
      if (set.files.size === 0) continue;
      const objects = await fetchObjects(remote.storage, collected.cacheRoot, set.files, layoutEngine);
      progress.next();
      transferred += objects.transferred.length;
      failed.push(...objects.failed);
      missing.push(...objects.missing);
    }
    return { transferred, failed, missing };
  });
}
