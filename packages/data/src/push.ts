import type { Tvc } from '@tvc/core';
import { pushFiles, pushObjects, type TransferFailure, type TransferProgress } from '@tvc/remote';
import {
  type CollectedObjects,
  collectObjects,
  missingWarning,
  openRemote,
  type RemoteDataOptions,
  remoteProblem,
  runCacheFiles,
} from './remote';

export interface TransferSummary {
  /** The remote used. */
  readonly remote: string;
  /** Objects moved (DVC's "N files pushed/fetched"). */
  readonly transferred: number;
  readonly failed: readonly TransferFailure[];
  /** Objects neither in the cache nor on the remote. */
  readonly missing: readonly string[];
  readonly collected: CollectedObjects;
}

/**
 * Progress of several transfers one after another (DVC 3 objects, then DVC 2 ones) as one:
 * the files and bytes of the finished ones are added to the current one's.
 */
export function chainedProgress(report: RemoteDataOptions['onProgress']) {
  let files = 0;
  let bytes = 0;
  let last: TransferProgress | undefined;
  return {
    onProgress: report
      ? (progress: TransferProgress) => {
          last = progress;
          report({ ...progress, files: files + progress.files, bytes: bytes + progress.bytes });
        }
      : undefined,
    next() {
      if (last) {
        files += last.files;
        bytes += last.bytes;
      }
      last = undefined;
    },
  };
}

/**
 * `tvc push`: uploads the objects of the outputs in scope (`push: false` ones left out) that the
 * remote lacks, each directory's manifest after its files, DVC 3 objects under `files/md5` and
 * DVC 2 ones (md5-dos2unix) in the legacy layout; what the remote holds is remembered in its
 * index under `.dvc/tmp/remote-index`. With `runCache`, the run cache's entries too.
 */
export async function pushData(tvc: Tvc, options: RemoteDataOptions = {}): Promise<TransferSummary> {
  const remote = await openRemote(tvc, options.remote, 'push');
  const fail = (error: unknown): never => {
    throw remoteProblem(remote.name, error);
  };
  try {
    const collected = await collectObjects(tvc, options, 'push');
    const runs = options.runCache
      ? await pushFiles(remote.storage, await runCacheFiles(collected.cacheRoot), {
          jobs: options.jobs,
          retry: options.retry,
        }).catch(fail)
      : { transferred: [], failed: [] };
    let transferred = runs.transferred.length;
    const failed: TransferFailure[] = [...runs.failed];
    const missing: string[] = [];
    const progress = chainedProgress(options.onProgress);
    for (const set of collected.sets) {
      if (set.files.size === 0 && set.dirs.size === 0) continue;
      const result = await pushObjects(
        remote.storage,
        collected.cacheRoot,
        { files: set.files, dirs: set.dirs },
        {
          jobs: options.jobs,
          index: remote.indexFor(set.layout),
          onProgress: progress.onProgress,
          retry: options.retry,
          layout: set.layout,
        },
      ).catch(fail);
      progress.next();
      transferred += result.transferred.length;
      failed.push(...result.failed);
      missing.push(...result.missing);
    }
    if (missing.length > 0) options.onWarning?.(missingWarning(collected, missing));
    return { remote: remote.name, transferred, failed, missing, collected };
  } finally {
    await remote.close();
  }
}
