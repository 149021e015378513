import { readdir, readFile, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { processAlive, RepoLock, type Tvc, TvcError, Workspace } from '@tvc/core';
import {
  collectUsedObjects,
  type MissingDirectory,
  type UsedObjects,
  type UsedScope,
  usedHashes,
} from './used';

/** The caches a gc looks at, by DVC's names: `repo` (`files/md5`) and `legacy` (DVC 2's `<2>/<rest>`). */
export type CacheName = 'repo' | 'legacy';

export interface GcOptions {
  /** `-w`: keep what the workspace uses (always kept; this alone is enough to run). */
  readonly workspace?: boolean;
  readonly allBranches?: boolean;
  readonly allTags?: boolean;
  readonly allCommits?: boolean;
  readonly allExperiments?: boolean;
  /** `--date YYYY-MM-DD`: keep what the commits made that day or later use. */
  readonly commitDate?: string;
  /** `--rev`: keep what this revision (and with `num`, the commits below it) uses. */
  readonly rev?: string;
  /** `-n`: how many commits of `rev` and of each branch (only with `rev` or `allBranches`). */
  readonly num?: number;
  /** `--dry`: remove nothing, only say what would go. */
  readonly dry?: boolean;
  /**
   * What to do about a used directory whose manifest is missing (its files cannot be known and
   * are therefore not kept): `true` goes on, otherwise `confirmMissing` is asked, and without
   * it the gc is refused.
   */
  readonly force?: boolean;
  readonly confirmMissing?: (directory: MissingDirectory) => Promise<boolean>;
  /** A revision that cannot be read is skipped instead of stopping the gc. */
  readonly skipFailed?: boolean;
  /**
   * Which of the used objects to keep (`--not-in-remote`: only those the remote lacks, see
   * `usedNotInRemote`); default: all of them.
   */
  readonly keep?: (used: UsedObjects) => Promise<{ md5: Set<string>; legacy: Set<string> }>;
  /** `--not-in-remote`, for the warning's words (what is kept is decided by `keep`). */
  readonly notInRemote?: boolean;
  /** Called before each removal (tests use it to interrupt a gc). */
  readonly onRemove?: (file: string) => void | Promise<void>;
}

/** An unused object found in a cache. */
export interface GcCandidate {
  readonly cache: CacheName;
  /** The object's id as DVC lists it (`<2><rest>`, whatever the file is called). */
  readonly oid: string;
  readonly file: string;
  readonly isDir: boolean;
}

export interface GcResult {
  readonly used: UsedObjects;
  /** Removed (or, with `dry`, to be removed): directory manifests first, then files, per cache. */
  readonly removed: Record<CacheName, GcCandidate[]>;
  /** Temporary files of a process still running, left alone. */
  readonly busy: string[];
  readonly dry: boolean;
}

/**
 * DVC's checks on gc's scope (`_validate_args`): something must be named, and `num` needs a
 * revision or the branches.
 */
export function validateGcScope(options: GcOptions): void {
  const named =
    options.workspace ||
    options.allBranches ||
    options.allTags ||
    options.allCommits ||
    options.allExperiments ||
    options.commitDate !== undefined ||
    options.rev !== undefined;
  if (!named) {
    throw new TvcError(
      'GC_NO_SCOPE',
      'Either of `-w|--workspace`, `-a|--all-branches`, `-T|--all-tags` `--all-experiments`, `--all-commits`, `--date` or `--rev` needs to be set.',
      { hint: 'say what to keep: `tvc gc -w` keeps only what the workspace uses' },
    );
  }
  if (options.num !== undefined && options.num !== 0 && options.rev === undefined && !options.allBranches) {
    throw new TvcError('GC_NUM', '`--num` can only be used alongside `--rev` or `--all-branches`', {
      hint: 'add `--rev <commit>` or `-a`',
    });
  }
  if (options.num !== undefined && (!Number.isInteger(options.num) || options.num < 0)) {
    throw new TvcError('GC_NUM', `\`--num\` must be a whole number, not ${options.num}`);
  }
}

/** The sentence DVC warns with before a gc: what will be kept. */
export function gcScopeMessage(options: GcOptions): string {
  let message = 'This will remove all cache except items used in the workspace';
  const num = options.rev !== undefined ? options.num || 1 : options.num;
  if (options.allCommits) {
    message += ' and all git commits';
  } else {
    if (options.allBranches && options.allTags) {
      message += num
        ? ` and last ${num} commits from all git branches and all git tags`
        : ' and all git branches and tags';
    } else if (options.allBranches) {
      message += num ? ` and last ${num} commits from all git branches` : ' and all git branches';
    } else if (options.allTags) {
      message += ' and all git tags';
    }
    // DVC's words, though the commits kept are those made on that date or after it.
    if (options.commitDate !== undefined) message += ` and all git commits before date ${options.commitDate}`;
    if (options.rev !== undefined) message += ` and last ${num} commits from ${options.rev}`;
  }
  if (options.allExperiments) message += ' and all experiments';
  if (options.notInRemote) message += ' that are not present in the DVC remote';
  return `${message} of the current repo.`;
}

/** `<2>/<rest>` files directly below `root`'s two-character directories (DVC's `odb.all()`). */
async function listObjects(root: string, cache: CacheName): Promise<GcCandidate[]> {
  const found: GcCandidate[] = [];
  const prefixes = await readdir(root, { withFileTypes: true }).catch(() => []);
  for (const prefix of prefixes) {
    if (prefix.name.length !== 2 || !prefix.isDirectory()) continue;
    const directory = path.join(root, prefix.name);
    for (const entry of await readdir(directory, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory()) continue;
      const oid = `${prefix.name}${entry.name}`;
      found.push({ cache, oid, file: path.join(directory, entry.name), isDir: oid.endsWith('.dir') });
    }
  }
  return found.sort((a, b) => (a.oid < b.oid ? -1 : a.oid > b.oid ? 1 : 0));
}

/** Where tvc runs queued and temporary experiments (`.dvc/tmp/exps/<dir>`, its owner in `.git/tvc-owner`). */
const TEMP_WORKSPACES = path.join('.dvc', 'tmp', 'exps');

/**
 * The tvc processes running experiments in temporary workspaces of this repository: they save
 * objects into the shared cache before any commit or lock names them, so a gc now could take
 * what they are about to record.
 */
async function runningExperiments(root: string): Promise<number[]> {
  const parent = path.join(root, TEMP_WORKSPACES);
  const owners: number[] = [];
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    const text = await readFile(path.join(parent, name, '.git', 'tvc-owner'), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    try {
      const pid = (JSON.parse(text) as { pid?: unknown }).pid;
      if (typeof pid === 'number' && Number.isInteger(pid) && pid !== process.pid && processAlive(pid)) {
        owners.push(pid);
      }
    } catch {
      // Not tvc's record: not one of its runs.
    }
  }
  return owners;
}

/** The pid in a temporary file's name (`.<name>.<pid>-<hex>.tmp`, as the object cache writes them). */
function temporaryOwner(oid: string): number | undefined {
  const match = /\.(\d+)-[0-9a-f]+\.tmp$/.exec(oid);
  return match ? Number(match[1]) : undefined;
}

async function removeObject(candidate: GcCandidate): Promise<void> {
  await unlink(candidate.file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  // What DVC 2 left beside a manifest it had unpacked.
  if (candidate.isDir) await rm(`${candidate.file}.unpacked`, { recursive: true, force: true });
}

/**
 * `tvc gc`: removes from the cache every object that neither the workspace nor the revisions
 * named use, as DVC's `dvc gc` does (`files/md5`, and DVC 2's legacy objects against DVC 2
 * hashes). The run-cache (`runs/`) is left alone, as DVC leaves it. Temporary files a killed
 * tvc left among the objects go too (they are no object anyone uses), but not those of a process
 * still running. Unused directory manifests are removed before any file object, each with one
 * `unlink`: a kill at any moment leaves only whole objects, and never a manifest whose files are
 * partly gone. Takes the repository lock, and refuses while tvc runs experiments in temporary
 * workspaces (their objects are in the cache before anything records them).
 */
export async function gcCache(tvc: Tvc, options: GcOptions): Promise<GcResult> {
  validateGcScope(options);
  const lock = options.dry ? undefined : RepoLock.acquire(tvc.root, 'gc');
  try {
    const running = options.dry ? [] : await runningExperiments(tvc.root);
    if (running.length > 0) {
      throw new TvcError(
        'GC_EXPERIMENTS_RUNNING',
        `tvc gc cannot run while experiments are running (tvc process ${running.join(', ')}): their outputs are in the cache but not recorded yet`,
        {
          location: { file: TEMP_WORKSPACES },
          hint: 'wait for them to finish (`tvc queue status`), or stop them (`tvc queue kill`), then run the gc again',
        },
      );
    }
    const scope: UsedScope = {
      allBranches: options.allBranches === true,
      allTags: options.allTags === true,
      allCommits: options.allCommits === true,
      allExperiments: options.allExperiments === true,
      ...(options.rev !== undefined ? { revs: [options.rev] } : {}),
      ...(options.commitDate !== undefined ? { commitDate: options.commitDate } : {}),
      num: options.num || 1,
      skipFailed: options.skipFailed === true,
    };
    const used = await collectUsedObjects(tvc, scope);
    for (const directory of used.missingDirectories) {
      if (options.force) continue;
      const agreed = options.confirmMissing ? await options.confirmMissing(directory) : false;
      if (!agreed) {
        throw new TvcError(
          'GC_MISSING_DIRECTORY',
          `Failed to collect '${directory.rev}': unable to fully collect used cache without cache for directory '${directory.path}'`,
          {
            hint: 'its files cannot be told apart from unused ones: fetch the directory back (`tvc checkout` of it from another cache, or `tvc repro`), or run `tvc gc -f` to let them go',
          },
        );
      }
    }
    const { md5, legacy } = options.keep ? await options.keep(used) : usedHashes(used);
    const cacheRoot = new Workspace(tvc.root).cache.root;
    const removed: Record<CacheName, GcCandidate[]> = { repo: [], legacy: [] };
    const busy: string[] = [];
    const caches: [CacheName, string, Set<string>][] = [
      ['repo', path.join(cacheRoot, 'files', 'md5'), md5],
      ['legacy', cacheRoot, legacy],
    ];
    for (const [name, root, keep] of caches) {
      const unused = (await listObjects(root, name)).filter((candidate) => {
        if (keep.has(candidate.oid)) return false;
        const owner = temporaryOwner(candidate.oid);
        if (owner !== undefined && owner !== process.pid && processAlive(owner)) {
          busy.push(candidate.file);
          return false;
        }
        return true;
      });
      // Manifests first: no manifest is ever left listing files that are gone.
      removed[name] = [...unused.filter((c) => c.isDir), ...unused.filter((c) => !c.isDir)];
      if (options.dry) continue;
      for (const candidate of removed[name]) {
        await options.onRemove?.(candidate.file);
        await removeObject(candidate);
      }
    }
    return { used, removed, busy, dry: options.dry === true };
  } finally {
    lock?.release();
  }
}
