import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { remoteScheme } from '@tvc/config';
import { PluginError, readDvcConfig, type Tvc, TvcError, toPosix, Workspace } from '@tvc/core';
import {
  cachePath,
  DVC3_LAYOUT,
  type EngineOptions,
  LEGACY_LAYOUT,
  type ObjectLayout,
  RemoteError,
  RemoteIndex,
  type RemoteStorage,
  type TransferFailure,
  type TransferProgress,
} from '@tvc/remote';
import type { RecordedOutput } from './recorded';
import { collectUsedObjects, type UsedScope } from './used';

/** What push, pull, fetch and `status -c` share: which remote, which objects, how many jobs. */
export interface RemoteDataOptions {
  /** The remote's name (`-r`); default `core.remote`. */
  readonly remote?: string | undefined;
  /** Concurrent transfers (`-j`); default 4 × CPUs. */
  readonly jobs?: number | undefined;
  readonly targets?: readonly string[] | undefined;
  readonly allBranches?: boolean | undefined;
  readonly allTags?: boolean | undefined;
  readonly allCommits?: boolean | undefined;
  readonly allExperiments?: boolean | undefined;
  /** Git revisions whose data is wanted too (exp push/pull: an experiment's commits). */
  readonly revs?: readonly string[] | undefined;
  /** Include the workspace's data (default true). */
  readonly workspace?: boolean | undefined;
  readonly withDeps?: boolean | undefined;
  readonly recursive?: boolean | undefined;
  /** Move the run cache (`.dvc/cache/runs` ↔ the remote's `runs/`) too, as DVC's `--run-cache`. */
  readonly runCache?: boolean | undefined;
  readonly onProgress?: ((progress: TransferProgress) => void) | undefined;
  /** Warnings for the user (objects missing everywhere, DVC 2 objects skipped). */
  readonly onWarning?: ((message: string) => void) | undefined;
  /** Retry settings of the engine (tests shorten them). */
  readonly retry?: EngineOptions['retry'];
  /** Only outputs whose recorded size is below this many bytes (`fetch --max-size`). */
  readonly maxSize?: number | undefined;
  /** Only outputs of these kinds (`fetch --type metrics|plots`). */
  readonly types?: readonly ('metrics' | 'plots')[] | undefined;
}

/** One opened remote of the config, with its index. */
export interface OpenedRemote {
  readonly name: string;
  readonly storage: RemoteStorage;
  /** What the remote holds of DVC 3 objects. */
  readonly index: RemoteIndex;
  /** What the remote holds of DVC 2 (legacy layout) objects. */
  readonly legacyIndex: RemoteIndex;
  /** The index of a set's layout. */
  indexFor(layout: ObjectLayout): RemoteIndex;
  close(): Promise<void>;
}

/** A RemoteError (or anything a storage threw) as a TvcError naming the remote and the path. */
export function remoteProblem(remote: string, thrown: unknown): TvcError {
  // A RemoteError thrown by a plugin's remoteStorage tap reaches here wrapped by core's hook guard.
  const error = thrown instanceof PluginError && thrown.cause instanceof RemoteError ? thrown.cause : thrown;
  if (error instanceof TvcError) return error;
  if (error instanceof RemoteError) {
    const where = error.path ? ` ('${error.path}')` : '';
    return new TvcError(`REMOTE_${error.code}`, `remote '${remote}': ${error.message}${where}`, {
      hint: error.hint,
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new TvcError('REMOTE_PLUGIN', `remote '${remote}': the storage plugin failed: ${message}`, {
    hint: 'this is a bug of the remote plugin; run again with -v and report it',
    cause: error,
  });
}

/**
 * Opens the remote named `name`, or the default one (`core.remote`), through the storage plugin
 * of its URL's scheme (`local` for a path). Without a remote, DVC's error in tvc's words.
 */
export async function openRemote(tvc: Tvc, name: string | undefined, command: string): Promise<OpenedRemote> {
  const config = readDvcConfig(tvc.root);
  const chosen = name || config.sections.core?.remote;
  if (!chosen) {
    const any = Object.keys(config.sections).some((section) => section.startsWith('remote "'));
    const message = any
      ? `no remote specified in ${tvc.root}. Setup default remote with\n    tvc remote default <remote name>\nor use:\n    tvc ${command} -r <remote name>`
      : `no remote specified in ${tvc.root}. Create a default remote with\n    tvc remote add -d <remote name> <remote url>`;
    throw new TvcError('NO_REMOTE', `config file error: ${message}`);
  }
  const section = config.sections[`remote "${chosen}"`];
  if (!section) {
    throw new TvcError('REMOTE_NOT_FOUND', `config file error: remote '${chosen}' doesn't exist`, {
      hint: 'see `tvc remote list`, or add it with `tvc remote add`',
    });
  }
  const url = section.url ?? '';
  const scheme = remoteScheme(url) || 'local';
  let storage: RemoteStorage | undefined;
  try {
    storage = await tvc.hooks.remoteStorage.for(scheme).promise({
      name: chosen,
      url,
      scheme,
      options: { ...section },
      baseDir: path.join(tvc.root, '.dvc'),
    });
  } catch (error) {
    throw remoteProblem(chosen, error);
  }
  if (!storage) {
    throw new TvcError('REMOTE_UNSUPPORTED', `remote '${chosen}': no plugin serves '${scheme}://' URLs`, {
      hint: 'install and configure a remote storage plugin for this scheme',
    });
  }
  const opened = storage;
  const indexDir = path.join(tvc.root, '.dvc', 'tmp', 'remote-index');
  const index = await RemoteIndex.load(RemoteIndex.fileFor(indexDir, url));
  const legacyIndex = await RemoteIndex.load(RemoteIndex.fileFor(indexDir, `${url}\0md5-dos2unix`));
  return {
    name: chosen,
    storage: opened,
    index,
    legacyIndex,
    indexFor: (layout) => (layout.name === 'md5' ? index : legacyIndex),
    close: async () => {
      await opened.close().catch(() => {});
    },
  };
}

/** The objects of one layout: file objects, and manifests with the files they list. */
export interface ObjectSet {
  readonly layout: ObjectLayout;
  /** File objects (those of directories included). */
  readonly files: Set<string>;
  /** Each manifest with the files it lists (empty when the manifest is not in the cache). */
  readonly dirs: Map<string, string[]>;
  /** Manifests the local cache lacks (their files are unknown until they are fetched). */
  readonly unknownDirs: Set<string>;
}

/** The objects an operation moves, DVC 3's and DVC 2's (legacy), with a name for each. */
export interface CollectedObjects {
  readonly cacheRoot: string;
  /** DVC 3 objects (`files/md5`), then DVC 2 ones (`md5-dos2unix`, at the cache's root). */
  readonly sets: readonly [ObjectSet, ObjectSet];
  /** The output path (or `dir/relpath`) of each object, as `status -c` shows it. */
  readonly names: Map<string, string>;
}

function emptySet(layout: ObjectLayout): ObjectSet {
  return { layout, files: new Set(), dirs: new Map(), unknownDirs: new Set() };
}

/** The md5s a manifest in the cache lists, or undefined when it is not there (or not a manifest). */
async function manifestEntries(
  cacheRoot: string,
  dir: string,
  layout: ObjectLayout,
): Promise<{ md5: string; relpath: string }[] | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(cachePath(cacheRoot, dir, layout), 'utf8'));
    if (!Array.isArray(parsed)) return undefined;
    const entries: { md5: string; relpath: string }[] = [];
    for (const entry of parsed as { md5?: unknown; relpath?: unknown }[]) {
      if (typeof entry?.md5 !== 'string' || !/^[0-9a-f]{32}$/i.test(entry.md5)) return undefined;
      if (typeof entry.relpath !== 'string') return undefined;
      entries.push({ md5: entry.md5.toLowerCase(), relpath: entry.relpath });
    }
    return entries;
  } catch {
    return undefined;
  }
}

/**
 * Which outputs an operation moves, as DVC's `outs_filter` and index filters: not `push: false`
 * ones for a push; with `-r NAME`, not those whose `remote:` names another remote; with
 * `--max-size`, those recorded below the size; with `--type`, metrics or plots.
 */
function outputFilter(options: RemoteDataOptions, purpose: 'push' | 'fetch') {
  return (recorded: RecordedOutput): boolean => {
    const { output } = recorded;
    if (purpose === 'push' && !output.push) return false;
    if (options.remote && output.remote && output.remote !== options.remote) return false;
    // as DVC, 0 is no limit and an output of unknown (or zero) size is kept
    if (options.maxSize && recorded.size && recorded.size >= options.maxSize) return false;
    if (options.types && options.types.length > 0 && !options.types.some((type) => type === output.kind))
      return false;
    return true;
  };
}

function scopeOf(options: RemoteDataOptions, purpose: 'push' | 'fetch'): UsedScope {
  return {
    targets: options.targets,
    withDeps: options.withDeps,
    recursive: options.recursive,
    allBranches: options.allBranches,
    allTags: options.allTags,
    allCommits: options.allCommits,
    allExperiments: options.allExperiments,
    revs: options.revs,
    workspace: options.workspace,
    outputFilter: outputFilter(options, purpose),
  };
}

/** The objects one remote is asked for: `remote` is undefined for `-r`'s or the default remote. */
export interface RemoteGroup {
  readonly remote: string | undefined;
  readonly collected: CollectedObjects;
}

/**
 * The objects used in the scope of `options`, grouped by the remote they go to, as DVC 3: an
 * output with `remote: NAME` to that remote, the others to `-r`'s or the default one (with `-r`,
 * outputs of other remotes are left out). The default group comes first and is always there.
 */
export async function collectObjects(
  tvc: Tvc,
  options: RemoteDataOptions,
  purpose: 'push' | 'fetch',
): Promise<RemoteGroup[]> {
  const used = await collectUsedObjects(tvc, scopeOf(options, purpose));
  const workspace = new Workspace(tvc.root);
  const cacheRoot = workspace.cache.root;
  await workspace.close().catch(() => {});
  const groups = new Map<string | undefined, CollectedObjects>();
  const groupOf = (remote: string | undefined): CollectedObjects => {
    const key = options.remote ? undefined : remote;
    let group = groups.get(key);
    if (!group) {
      group = { cacheRoot, sets: [emptySet(DVC3_LAYOUT), emptySet(LEGACY_LAYOUT)], names: new Map() };
      groups.set(key, group);
    }
    return group;
  };
  groupOf(undefined);
  for (const object of used.objects) {
    const { sets, names } = groupOf(object.remote);
    const set = sets[object.legacy ? 1 : 0];
    if (!names.has(object.md5)) names.set(object.md5, object.path);
    if (!object.isDir) {
      set.files.add(object.md5);
      continue;
    }
    if (set.dirs.has(object.md5)) continue;
    const entries = await manifestEntries(cacheRoot, object.md5, set.layout);
    set.dirs.set(object.md5, entries?.map((entry) => entry.md5) ?? []);
    if (!entries) set.unknownDirs.add(object.md5);
  }
  return [...groups].map(([remote, collected]) => ({ remote, collected }));
}

/** Whether a group has nothing to move. */
export function isEmptyGroup(collected: CollectedObjects): boolean {
  return collected.sets.every((set) => set.files.size === 0 && set.dirs.size === 0);
}

/** Adds the files of a manifest that was just fetched, named under its directory. */
export async function learnManifest(
  collected: CollectedObjects,
  set: ObjectSet,
  dir: string,
): Promise<boolean> {
  const entries = await manifestEntries(collected.cacheRoot, dir, set.layout);
  if (!entries) return false;
  set.dirs.set(
    dir,
    entries.map((entry) => entry.md5),
  );
  set.unknownDirs.delete(dir);
  const base = collected.names.get(dir) ?? '';
  for (const entry of entries) {
    set.files.add(entry.md5);
    if (!collected.names.has(entry.md5)) collected.names.set(entry.md5, `${base}/${entry.relpath}`);
  }
  return true;
}

/** DVC's warning for objects neither in the cache nor on the remote. */
export function missingWarning(collected: CollectedObjects, missing: readonly string[]): string {
  return `Some of the cache files do not exist neither locally nor on remote. Missing cache files:\n${missing
    .map((oid) => `name: ${collected.names.get(oid) ?? ''}, md5: ${oid}`)
    .join('\n')}`;
}

/** A failure as one line: which object, where, why. */
export function describeFailure(failure: TransferFailure, collected: CollectedObjects): string {
  const name = collected.names.get(failure.oid);
  return `${name ? `'${name}' ` : ''}(${failure.key}): ${failure.error.message}`;
}

/** Every file of the local run cache (`<cache>/runs/…`) with its key on the remote (`runs/…`). */
export async function runCacheFiles(cacheRoot: string): Promise<{ local: string; key: string }[]> {
  const { readdir } = await import('node:fs/promises');
  const root = path.join(cacheRoot, 'runs');
  const entries = await readdir(root, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile() && !/^\..+\.tmp$/.test(entry.name))
    .map((entry) => {
      const local = path.join(entry.parentPath, entry.name);
      return { local, key: toPosix(path.relative(cacheRoot, local)) };
    });
}
