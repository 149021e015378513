import type { Tvc } from '@tvc/core';
import { pushObjects, type TransferFailure } from '@tvc/remote';
import {
  type CollectedObjects,
  collectObjects,
  missingWarning,
  openRemote,
  type RemoteDataOptions,
  remoteProblem,
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
 * `tvc push`: uploads the objects of the outputs in scope (`push: false` ones left out) that the
 * remote lacks, each directory's manifest after its files; what the remote holds is remembered in
 * its index under `.dvc/tmp/remote-index`.
 */
export async function pushData(tvc: Tvc, options: RemoteDataOptions = {}): Promise<TransferSummary> {
  const remote = await openRemote(tvc, options.remote, 'push');
  try {
    const collected = await collectObjects(tvc, options, 'push');
    const result = await pushObjects(
      remote.storage,
      collected.cacheRoot,
      { files: collected.files, dirs: collected.dirs },
      { jobs: options.jobs, index: remote.index, onProgress: options.onProgress, retry: options.retry },
    ).catch((error: unknown) => {
      throw remoteProblem(remote.name, error);
    });
    if (result.missing.length > 0) options.onWarning?.(missingWarning(collected, result.missing));
    return {
      remote: remote.name,
      transferred: result.transferred.length,
      failed: result.failed,
      missing: result.missing,
      collected,
    };
  } finally {
    await remote.close();
  }
}
