import type { Tvc } from '@tvc/core';
import { DVC3_LAYOUT, gcRemote, LEGACY_LAYOUT } from '@tvc/remote';
import { openRemote, remoteProblem } from './remote';

export interface RemoteGcDataOptions {
  /** The remote (`-r`); default `core.remote`. */
  readonly remote?: string | undefined;
  readonly jobs?: number | undefined;
  /** Say what would be removed, remove nothing. */
  readonly dry?: boolean | undefined;
}

export interface RemoteGcResult {
  readonly remote: string;
  /** The remote's URL, for `--dry`'s `Removing <url>/<key>` lines. */
  readonly url: string;
  /** The keys removed (or, with `dry`, to be removed): DVC 3 objects, then DVC 2 (legacy) ones. */
  readonly removed: { readonly md5: string[]; readonly legacy: string[] };
}

/**
 * The cloud part of `tvc gc -c`: removes from the remote every object not in `used` (the md5s
 * `collectUsedObjects` found for gc's scope, DVC 3's and DVC 2's), manifests first, in each of
 * the two layouts as DVC's two object databases of a remote. The caller asks the user first.
 */
export async function remoteGc(
  tvc: Tvc,
  used: { readonly md5: ReadonlySet<string>; readonly legacy: ReadonlySet<string> },
  options: RemoteGcDataOptions = {},
): Promise<RemoteGcResult> {
  const remote = await openRemote(tvc, options.remote, 'gc');
  try {
    const removed = { md5: [] as string[], legacy: [] as string[] };
    for (const [name, layout, keep] of [
      ['md5', DVC3_LAYOUT, used.md5],
      ['legacy', LEGACY_LAYOUT, used.legacy],
    ] as const) {
      const oids = await gcRemote(remote.storage, keep, {
        jobs: options.jobs,
        dry: options.dry,
        index: remote.indexFor(layout),
        layout,
      }).catch((error: unknown) => {
        throw remoteProblem(remote.name, error);
      });
      removed[name] = oids.map((oid) => layout.key(oid));
    }
    return { remote: remote.name, url: remote.storage.url, removed };
  } finally {
    await remote.close();
  }
}
