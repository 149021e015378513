import path from 'node:path';
import { type Tvc, TvcError } from '@tvc/core';
import { pushFiles, pushObjects, type TransferFailure, type TransferProgress } from '@tvc/remote';
import { expandGlob } from './add';
import {
  type CollectedObjects,
  collectObjects,
  isEmptyGroup,
  missingWarning,
  type OpenedRemote,
  openRemote,
  type RemoteDataOptions,
  type RemoteGroup,
  remoteProblem,
  runCacheFiles,
} from './remote';

export interface TransferSummary {
  /** The remote used. */
  readonly remote: string;
  /** Objects moved (DVC's "N files pushed/fetched"). */
  readonly transferred: number;
  /** Failures; `remote` is set on those of another remote than {@link remote} (outputs' `remote:`). */
  readonly failed: readonly (TransferFailure & { readonly remote?: string })[];
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
 * Runs `move` on each remote group of the objects in scope ({@link collectObjects}: outputs with
 * `remote:` on theirs, the rest on `-r`'s or the default remote; an empty group of another remote
 * is not opened) and adds the results up; each failure names its remote.
 */
export async function eachRemoteGroup(
  tvc: Tvc,
  options: RemoteDataOptions,
  purpose: 'push' | 'fetch',
  command: string,
  move: (remote: OpenedRemote, collected: CollectedObjects, first: boolean) => Promise<GroupResult>,
): Promise<TransferSummary> {
  // the default remote is opened first: no remote configured is an error before anything is read
  const main = await openRemote(tvc, options.remote, command);
  let groups: RemoteGroup[];
  try {
    groups = await collectObjects(tvc, options, purpose);
  } catch (error) {
    await main.close();
    throw error;
  }
  let transferred = 0;
  const failed: TransferFailure[] = [];
  const missing: string[] = [];
  const names = new Map<string, string>();
  for (const [position, group] of groups.entries()) {
    if (group.remote !== undefined && isEmptyGroup(group.collected)) continue;
    const remote = group.remote === undefined ? main : await openRemote(tvc, group.remote, command);
    try {
      const result = await move(remote, group.collected, position === 0).catch((error: unknown) => {
        throw remoteProblem(remote.name, error);
      });
      transferred += result.transferred;
      failed.push(
        ...result.failed.map((failure) => (remote === main ? failure : { ...failure, remote: remote.name })),
      );
      missing.push(...result.missing);
      for (const [oid, name] of group.collected.names) if (!names.has(oid)) names.set(oid, name);
    } finally {
      if (remote !== main) await remote.close();
    }
  }
  await main.close();
  const collected = { cacheRoot: groups[0]!.collected.cacheRoot, sets: groups[0]!.collected.sets, names };
  if (missing.length > 0) options.onWarning?.(missingWarning(collected, missing));
  return { remote: main.name, transferred, failed, missing, collected };
}

/** What one remote group's transfer did. */
export interface GroupResult {
  readonly transferred: number;
  readonly failed: readonly TransferFailure[];
  readonly missing: readonly string[];
}

export interface PushOptions extends RemoteDataOptions {
  /** Targets are shell-style patterns (`push --glob`), matched from the current directory. */
  readonly glob?: boolean | undefined;
}

/** DVC's `glob_targets`: every pattern expanded; none matching at all is an error. */
async function globTargets(tvc: Tvc, patterns: readonly string[]): Promise<string[]> {
  const matched: string[] = [];
  for (const pattern of patterns) {
    for (const found of await expandGlob(tvc.cwd, pattern))
      matched.push(path.relative(tvc.cwd, found) || '.');
  }
  if (matched.length === 0) {
    const shown = `[${patterns.map((pattern) => `'${pattern}'`).join(', ')}]`;
    throw new TvcError('TARGET_NOT_FOUND', `Glob ${shown} has no matches.`, {
      hint: 'check the patterns (they are matched from the current directory)',
    });
  }
  return matched;
}

/**
 * `tvc push`: uploads the objects of the outputs in scope (`push: false` ones left out) that the
 * remote lacks, each directory's manifest after its files, DVC 3 objects under `files/md5` and
 * DVC 2 ones (md5-dos2unix) in the legacy layout; what the remote holds is remembered in its
 * index under `.dvc/tmp/remote-index`. An output with `remote: NAME` goes to that remote, as in
 * DVC 3. With `runCache`, the run cache's entries too (to `-r`'s or the default remote).
 */
export async function pushData(tvc: Tvc, options: PushOptions = {}): Promise<TransferSummary> {
  const progress = chainedProgress(options.onProgress);
  const targets = options.glob ? await globTargets(tvc, options.targets ?? []) : options.targets;
  return eachRemoteGroup(tvc, { ...options, targets }, 'push', 'push', async (remote, collected, first) => {
    const runs =
      first && options.runCache
        ? await pushFiles(remote.storage, await runCacheFiles(collected.cacheRoot), {
            jobs: options.jobs,
            retry: options.retry,
          })
        : { transferred: [], failed: [] };
    let transferred = runs.transferred.length;
    const failed: TransferFailure[] = [...runs.failed];
    const missing: string[] = [];
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
      );
      progress.next();
      transferred += result.transferred.length;
      failed.push(...result.failed);
      missing.push(...result.missing);
    }
    return { transferred, failed, missing };
  });
}
