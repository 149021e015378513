import type { Tvc } from '@tvc/core';
import { DVC3_LAYOUT, gcRemote, LEGACY_LAYOUT, oidsExist } from '@tvc/remote';
import { openRemote, remoteProblem } from './remote';
import type { UsedObjects } from './used';

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

/**
 * `gc --not-in-remote`: of the used objects, those the remote lacks (DVC's
 * `_used_obj_ids_not_in_remote`) — each object asked of the remote its output goes to (`remote:`,
 * else `-r`'s or the default one), in its layout; what the remote already holds may go from the
 * cache. A remote that cannot be reached stops the gc before anything is removed.
 */
export async function usedNotInRemote(
  tvc: Tvc,
  used: UsedObjects,
  options: { readonly remote?: string | undefined; readonly jobs?: number | undefined } = {},
): Promise<{ md5: Set<string>; legacy: Set<string> }> {
  const groups = new Map<string | undefined, { md5: Set<string>; legacy: Set<string> }>();
  for (const object of used.objects) {
    const name = object.remote ?? options.remote;
    let group = groups.get(name);
    if (!group) {
      group = { md5: new Set(), legacy: new Set() };
      groups.set(name, group);
    }
    (object.legacy ? group.legacy : group.md5).add(object.md5);
  }
  const keep = { md5: new Set<string>(), legacy: new Set<string>() };
  // the remote of `-r` (or the default) is opened even with nothing to ask, as DVC does
  if (!groups.has(options.remote)) groups.set(options.remote, { md5: new Set(), legacy: new Set() });
  for (const [name, group] of groups) {
    const remote = await openRemote(tvc, name, 'gc --not-in-remote');
    try {
      for (const [kind, layout] of [
        ['md5', DVC3_LAYOUT],
        ['legacy', LEGACY_LAYOUT],
      ] as const) {
        const present = await oidsExist(remote.storage, group[kind], {
          jobs: options.jobs ?? 16,
          layout,
        }).catch((error: unknown) => {
          throw remoteProblem(remote.name, error);
        });
        for (const oid of group[kind]) if (!present.has(oid)) keep[kind].add(oid);
      }
    } finally {
      await remote.close();
    }
  }
  return keep;
}
