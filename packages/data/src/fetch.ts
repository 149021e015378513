import type { Tvc } from '@tvc/core';
import { fetchObjects, type TransferFailure } from '@tvc/remote';
import type { TransferSummary } from './push';
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
 * against its hash before it is renamed into place.
 */
export async function fetchData(
  tvc: Tvc,
  options: RemoteDataOptions = {},
  command = 'fetch',
): Promise<TransferSummary> {
  const remote = await openRemote(tvc, options.remote, command);
  try {
    const collected = await collectObjects(tvc, options, 'fetch');
    const engine = {
      jobs: options.jobs,
      index: remote.index,
      onProgress: options.onProgress,
      retry: options.retry,
    };
    const fail = (error: unknown) => {
      throw remoteProblem(remote.name, error);
    };
    const manifests = await fetchObjects(
      remote.storage,
      collected.cacheRoot,
      collected.unknownDirs,
      engine,
    ).catch(fail);
    for (const dir of manifests.transferred) await learnManifest(tvc, collected, dir);
    const objects = await fetchObjects(remote.storage, collected.cacheRoot, collected.files, engine).catch(
      fail,
    );
    const missing = [...manifests.missing, ...objects.missing];
    if (missing.length > 0) options.onWarning?.(missingWarning(collected, missing));
    const failed: TransferFailure[] = [...manifests.failed, ...objects.failed];
    return {
      remote: remote.name,
      transferred: manifests.transferred.length + objects.transferred.length,
      failed,
      missing,
      collected,
    };
  } finally {
    await remote.close();
  }
}
