import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pythonJsonDumps } from '@tvc/params';
import { dumpDvcYaml } from './dvc-yaml';
import { TvcError } from './errors';
import { type LockEntry, lockEntryData, readLockEntry } from './lockfile';

// DVC's run-cache (`dvc/stage/cache.py`): every successful run of a stage is kept as its lock
// entry at `.dvc/cache/runs/<key[:2]>/<key>/<value>`, so that a later run with the same command,
// dependencies and params can check the outputs out instead of running.

/** The keys `dict_sha256` leaves out, at every depth (`Meta.PARAM_SIZE`, `Meta.PARAM_NFILES`). */
const EXCLUDED_KEYS = new Set(['size', 'nfiles']);

/**
 * DVC's `dict_filter`: drops the excluded keys from every mapping, however deep, lists
 * included. (So a param named `size` is left out of the hash as well.)
 */
function withoutSizes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSizes);
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (!EXCLUDED_KEYS.has(key)) out[key] = withoutSizes(item);
    }
    return out;
  }
  return value;
}

function sha256(data: unknown): string {
  return createHash('sha256')
    .update(pythonJsonDumps(withoutSizes(data), { sortKeys: true }), 'utf8')
    .digest('hex');
}

/** The run-cache value of an entry: SHA-256 of `json.dumps(entry, sort_keys=True)` without sizes. */
export function runCacheValue(entry: LockEntry): string {
  return sha256(lockEntryData(entry));
}

/**
 * The run-cache key of an entry: as {@link runCacheValue}, with `outs` reduced to the list of
 * their paths (so it depends on the command, the dependencies, the params and the output paths).
 */
export function runCacheKey(entry: LockEntry): string {
  const data = lockEntryData(entry);
  data.outs = (entry.outs ?? []).map((item) => item.path);
  return sha256(data);
}

/** What decides whether a stage's runs go to the run-cache (`_can_hash` in `dvc/stage/cache.py`). */
export interface RunCacheStage {
  readonly cmd: string | readonly string[] | undefined;
  /** `always_changed: true`. */
  readonly alwaysChanged: boolean;
  /**
   * The dependencies, params dependencies included: their number, or each with whether it has a
   * hash (a params dependency whose values are empty has none, and then DVC does not cache).
   */
  readonly deps: number | readonly { readonly hashed: boolean }[];
  /**
   * The outputs (outs, metrics, plots, cached or not). `inRepo` is false for an output outside the
   * repository and for one written as an absolute path, as in DVC.
   */
  readonly outs: readonly { readonly persist: boolean; readonly inRepo: boolean }[];
}

/**
 * Whether DVC saves (and looks up) this stage's runs in the run-cache: it needs a command,
 * dependencies and outputs, must not be always-changed (a callback stage, with no dependencies,
 * is left out by the same rule), and every output must be in the repository and not `persist`.
 * Outputs with `cache: false` do not prevent it: DVC copies them into the cache for the run-cache.
 */
export function canUseRunCache(stage: RunCacheStage): boolean {
  if (stage.alwaysChanged) return false;
  const hasCmd = typeof stage.cmd === 'string' ? stage.cmd !== '' : (stage.cmd?.length ?? 0) > 0;
  const deps = typeof stage.deps === 'number' ? stage.deps : stage.deps.length;
  if (!hasCmd || deps === 0 || stage.outs.length === 0) return false;
  if (typeof stage.deps !== 'number' && !stage.deps.every((dep) => dep.hashed)) return false;
  return stage.outs.every((out) => out.inRepo && !out.persist);
}

/** The run-cache of a repository, under `<cache>/runs`. */
export class RunCache {
  /** `.dvc/cache/runs` (the legacy cache's directory, as in DVC). */
  readonly root: string;

  /** @param cacheRoot the cache directory, `.dvc/cache` by default. */
  constructor(cacheRoot: string) {
    this.root = path.join(cacheRoot, 'runs');
  }

  /** Where an entry with this key and value is stored. */
  entryPath(key: string, value: string): string {
    return path.join(this.root, key.slice(0, 2), key, value);
  }

  /**
   * Saves a stage's lock entry as DVC does: written to a temporary file and renamed into place;
   * nothing is written when the same entry is already there.
   */
  async save(entry: LockEntry): Promise<void> {
    const key = runCacheKey(entry);
    const target = this.entryPath(key, runCacheValue(entry));
    if (await exists(target)) return;
    const directory = path.dirname(target);
    await mkdir(directory, { recursive: true });
    const temporary = path.join(directory, `.${randomBytes(8).toString('hex')}.tmp`);
    try {
      await writeFile(temporary, dumpDvcYaml(lockEntryData(entry)), 'utf8');
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw new TvcError(
        'RUN_CACHE_WRITE_FAILED',
        `cannot save to the run-cache: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  /**
   * The entries saved under the key of `entry` (its cmd, deps, params and output paths; the outs'
   * hashes are ignored), newest first. Unreadable or invalid files are skipped. (DVC itself only
   * tries the newest one.)
   */
  async candidates(entry: LockEntry): Promise<LockEntry[]> {
    const directory = path.dirname(this.entryPath(runCacheKey(entry), 'x'));
    let names: string[];
    try {
      names = await readdir(directory);
    } catch {
      return [];
    }
    const found: { entry: LockEntry; mtime: number }[] = [];
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const file = path.join(directory, name);
      try {
        const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
        found.push({ entry: readLockEntry(text, file), mtime: info.mtimeMs });
      } catch {
        // A corrupted entry (DVC warns and deletes it); this one is simply not a candidate.
      }
    }
    return found.sort((a, b) => b.mtime - a.mtime).map((item) => item.entry);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
