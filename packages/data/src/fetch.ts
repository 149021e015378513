import type { Tvc } from '@tvc/core';
import { fetchFiles, fetchObjects, type TransferFailure } from '@tvc/remote';
import { chainedProgress, type TransferSummary } from './push';
import {
  collectObjects,
  learnManifest,
  missingWarning,
  openRemote,
  type RemoteDataOptions,
  remoteProblem,
} from './remote';

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
  const remote = await openRemote(tvc, options.remote, command);
  const fail = (error: unknown): never => {
    throw remoteProblem(remote.name, error);
  };
  try {
    const collected = await collectObjects(tvc, options, 'fetch');
    const progress = chainedProgress(options.onProgress);
    const engine = { jobs: options.jobs, onProgress: progress.onProgress, retry: options.retry };
    // as DVC, the run cache's entries are counted in the failures but not in the files fetched
    const runs = options.runCache
      ? await fetchFiles(remote.storage, 'runs/', collected.cacheRoot, engine).catch(fail)
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
        ).catch(fail);
        progress.next();
        for (const dir of manifests.transferred) await learnManifest(collected, set, dir);
        transferred += manifests.transferred.length;
        failed.push(...manifests.failed);
        missing.push(...manifests.missing);
      }
      if (set.files.size === 0) continue;
      const objects = await fetchObjects(remote.storage, collected.cacheRoot, set.files, layoutEngine).catch(
        fail,
      );
      progress.next();
      transferred += objects.transferred.length;
      failed.push(...objects.failed);
      missing.push(...objects.missing);
    }
    if (missing.length > 0) options.onWarning?.(missingWarning(collected, missing));
    return { remote: remote.name, transferred, failed, missing, collected };
  } finally {
    await remote.close();
  }
}
