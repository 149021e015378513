import type { Tvc } from '@tvc/core';
import { gcRemote } from '@tvc/remote';
import { openRemote, remoteProblem } from './remote';

export interface RemoteGcDataOptions {
  /** The remote (`-r`); default `core.remote`. */
  readonly remote?: string | undefined;
  readonly jobs?: number | undefined;
  /** Say what would be removed, remove nothing. */
  readonly dry?: boolean | undefined;
}

/**
 * The cloud part of `tvc gc -c`: removes from the remote every DVC 3 object not in `used` (the
 * md5s `collectUsedObjects` found for gc's scope); manifests first. Returns the removed ids.
 * The caller asks the user first, as DVC does.
 */
export async function remoteGc(
  tvc: Tvc,
  used: ReadonlySet<string>,
  options: RemoteGcDataOptions = {},
): Promise<{ remote: string; removed: string[] }> {
  const remote = await openRemote(tvc, options.remote, 'gc');
  try {
    const removed = await gcRemote(remote.storage, used, {
      jobs: options.jobs,
      dry: options.dry,
      index: remote.index,
    }).catch((error: unknown) => {
      throw remoteProblem(remote.name, error);
    });
    return { remote: remote.name, removed };
  } finally {
    await remote.close();
  }
}
