import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { LockFile } from './lockfile';
import { isContainedRepoPath, repoFsName, toPosix } from './paths';
import type { Stage } from './stage';
import { LOCK_FILE } from './status';
import { Workspace } from './workspace';

/** A cached output of a stage: where its lock entry is. Paths relative to the DVC root, posix. */
export interface CachedOutputRef {
  readonly stageFile: string;
  readonly stageName: string;
  readonly repoPath: string;
}

/**
 * A file that is neither in the working tree nor in the cache. `storage` is DVC's
 * `No storage files available` (a cached output whose object is missing), else `No such file`.
 */
export class OutputFileMissingError extends Error {
  readonly repoPath: string;
  readonly storage: boolean;

  constructor(repoPath: string, storage: boolean) {
    super(
      storage
        ? `[Errno 2] No storage files available: '${repoPath}'`
        : `[Errno 2] No such file or directory: '${repoPath}'`,
    );
    this.name = 'OutputFileMissingError';
    this.repoPath = repoPath;
    this.storage = storage;
  }
}

/**
 * A cached directory output missing from the working tree whose `.dir` manifest is not in the
 * cache either (a fresh clone before pulling): DVC's `DataIndexDirError`, `failed to load
 * directory ('results',)` — the output's path as a Python tuple of its parts.
 */
export class DirectoryUnavailableError extends Error {
  readonly repoPath: string;
  /** DVC's exception type, for `--json` errors. */
  readonly type = 'DataIndexDirError';

  constructor(repoPath: string) {
    const parts = repoPath.split('/').map((part) => `'${part}'`);
    super(`failed to load directory (${parts.length === 1 ? `${parts[0]},` : parts.join(', ')})`);
    this.name = 'DirectoryUnavailableError';
    this.repoPath = repoPath;
  }
}

/**
 * Reads files of a repository as DVC's file system shows them: from the working tree, and a cached
 * output missing from it (as every cached output is at a git revision) from the cache of
 * `cacheRoot` by the hash its stage's dvc.lock records — a directory output through its `.dir`
 * manifest. Used by `metrics show` and by plots.
 */
export class OutputFiles {
  readonly #root: string;
  readonly #cacheRoot: string;
  readonly #cached = new Map<string, CachedOutputRef>();
  #workspace: Workspace | undefined;
  readonly #locks = new Map<string, Promise<LockFile | undefined>>();
  /** Files of cached directory outputs: repo path → object hash. */
  readonly #objects = new Map<string, string>();

  constructor(root: string, stages: readonly Stage[], cacheRoot = root) {
    this.#root = root;
    this.#cacheRoot = cacheRoot;
    for (const stage of stages) {
      if (stage.kind !== 'pipeline') continue;
      for (const output of stage.outs) {
        if (output.cache && output.repoPath !== undefined) {
          this.#cached.set(output.repoPath, {
            stageFile: stage.file,
            stageName: stage.name,
            repoPath: output.repoPath,
          });
        }
      }
    }
  }

  /** The cached output that is exactly `repoPath`. */
  output(repoPath: string): CachedOutputRef | undefined {
    return this.#cached.get(repoPath);
  }

  /** The cached output that is `repoPath` or holds it (a directory output). */
  owner(repoPath: string): CachedOutputRef | undefined {
    if (!isContainedRepoPath(repoPath)) return undefined;
    for (let current = repoPath; current && current !== '.'; current = path.posix.dirname(current)) {
      const output = this.#cached.get(current);
      if (output) return output;
    }
    return undefined;
  }

  #cache(): Workspace['cache'] {
    this.#workspace ??= new Workspace(this.#cacheRoot);
    return this.#workspace.cache;
  }

  #lock(stageFile: string): Promise<LockFile | undefined> {
    const file = path.join(path.dirname(path.join(this.#root, stageFile)), LOCK_FILE);
    let pending = this.#locks.get(file);
    if (!pending) {
      pending = LockFile.read(file, toPosix(path.relative(this.#root, file))).catch(() => undefined);
      this.#locks.set(file, pending);
    }
    return pending;
  }

  /** The md5 the lock records for a cached output (`undefined` when there is none). */
  async md5(output: CachedOutputRef): Promise<string | undefined> {
    const entry = (await this.#lock(output.stageFile))?.get(output.stageName);
    const stageDir = path.posix.dirname(output.stageFile);
    for (const item of entry?.outs ?? []) {
      const itemPath = path.posix.normalize(stageDir === '.' ? item.path : `${stageDir}/${item.path}`);
      if (
        itemPath === output.repoPath &&
        typeof item.md5 === 'string' &&
        /^[0-9a-f]{32}(\.dir)?$/.test(item.md5)
      ) {
        return item.md5;
      }
    }
    return undefined;
  }

  /**
   * The files of a cached directory output that is missing from the working tree, from its
   * manifest in the cache (sorted); `[]` for anything else. Throws {@link DirectoryUnavailableError}
   * when the manifest is not in the cache.
   */
  async expand(output: CachedOutputRef | undefined): Promise<{ repoPath: string; md5: string }[]> {
    if (!output) return [];
    if (await exists(path.join(this.#root, output.repoPath))) return [];
    const md5 = await this.md5(output);
    if (!md5?.endsWith('.dir')) return [];
    let text: string;
    try {
      text = await readFile(this.#cache().objectPath(md5), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new DirectoryUnavailableError(output.repoPath);
      return [];
    }
    try {
      const manifest: unknown = JSON.parse(text);
      if (!Array.isArray(manifest)) return [];
      return (manifest as { relpath?: unknown; md5?: unknown }[])
        .filter(
          (entry): entry is { relpath: string; md5: string } =>
            typeof entry.relpath === 'string' &&
            typeof entry.md5 === 'string' &&
            !entry.relpath.split('/').some((part) => part === '..' || part === ''),
        )
        .map((entry) => ({ repoPath: `${output.repoPath}/${entry.relpath}`, md5: entry.md5 }))
        .sort((a, b) => (a.repoPath < b.repoPath ? -1 : a.repoPath > b.repoPath ? 1 : 0));
    } catch {
      return [];
    }
  }

  /** Remembers a file of a directory output found by {@link expand}, so reading it skips the manifest. */
  remember(entry: { repoPath: string; md5: string }): void {
    this.#objects.set(entry.repoPath, entry.md5);
  }

  /** A file's bytes: from the working tree, else from the cache. Throws {@link OutputFileMissingError}. */
  async bytes(repoPath: string): Promise<Buffer> {
    // A path leading out of the repository (`../x`, `/etc/x`) is not read: DVC's file system is
    // rooted at the repository and names it as if `..` stopped there.
    if (!isContainedRepoPath(repoPath)) throw new OutputFileMissingError(repoFsName(repoPath), false);
    try {
      return await readFile(path.join(this.#root, repoPath));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
    }
    const output = this.owner(repoPath);
    const fromDirectory = this.#objects.get(repoPath);
    if (!output && !fromDirectory) throw new OutputFileMissingError(repoPath, false);
    let md5 = fromDirectory ?? (output ? await this.md5(output) : undefined);
    if (output && !fromDirectory && output.repoPath !== repoPath && md5?.endsWith('.dir')) {
      // A file inside a cached directory output: its hash is in the directory's manifest.
      const entry = (await this.expand(output)).find((item) => item.repoPath === repoPath);
      if (!entry) throw new OutputFileMissingError(repoPath, false);
      md5 = entry.md5;
    }
    if (!md5 || md5.endsWith('.dir')) throw new OutputFileMissingError(repoPath, true);
    try {
      return await readFile(this.#cache().objectPath(md5));
    } catch {
      throw new OutputFileMissingError(repoPath, true);
    }
  }
}

async function exists(absolute: string): Promise<boolean> {
  return stat(absolute).then(
    () => true,
    () => false,
  );
}
