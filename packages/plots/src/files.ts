import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  LockFile,
  type Pipeline,
  type RevisionSnapshot,
  type StageOutput,
  type Tvc,
  Workspace,
} from '@tvc/core';

/** Where a revision's plot files come from: the working tree, or a git revision plus the cache. */
export interface PlotFiles {
  /** The files at or below a repo path (a directory lists every file, sorted); `[]` when none. */
  list(repoPath: string): Promise<string[]>;
  /** A file's bytes; throws a `FileNotFoundError`-like error when it is nowhere. */
  read(repoPath: string): Promise<Buffer>;
}

/** A file that is neither in the tree nor in the cache. */
export class PlotFileMissingError extends Error {
  readonly type = 'FileNotFoundError';
  constructor(repoPath: string, storage = false) {
    super(
      storage
        ? `[Errno 2] No storage files available: '${repoPath}'`
        : `[Errno 2] No such file or directory: '${repoPath}'`,
    );
    this.name = 'PlotFileMissingError';
  }
}

interface CachedOutput {
  readonly stage: { readonly file: string; readonly name: string };
  readonly output: StageOutput;
}

/**
 * The files of a repository (the live one, or a revision's snapshot) as DVC's file system shows
 * them: what is in the tree, and cached outputs missing from it read from `cacheRoot`'s cache by the
 * hash their stage's dvc.lock records (directories through their `.dir` manifest).
 */
export class RepositoryFiles implements PlotFiles {
  readonly #root: string;
  readonly #cached = new Map<string, CachedOutput>();
  readonly #snapshot: RevisionSnapshot | undefined;
  readonly #cacheRoot: string;
  #workspace: Workspace | undefined;
  readonly #locks = new Map<string, Promise<LockFile | undefined>>();
  readonly #manifests = new Map<string, Promise<Map<string, string>>>();

  constructor(
    tvc: Pick<Tvc, 'root'>,
    pipeline: Pick<Pipeline, 'stages'> | undefined,
    options: { readonly cacheRoot?: string; readonly snapshot?: RevisionSnapshot } = {},
  ) {
    this.#root = tvc.root;
    this.#snapshot = options.snapshot;
    this.#cacheRoot = options.cacheRoot ?? tvc.root;
    for (const stage of pipeline?.stages ?? []) {
      if (stage.kind !== 'pipeline') continue;
      for (const output of stage.outs) {
        if (output.cache && output.repoPath !== undefined)
          this.#cached.set(output.repoPath, { stage, output });
      }
    }
  }

  async #fromTree(repoPath: string): Promise<string[]> {
    if (this.#snapshot) await this.#snapshot.materialise([repoPath]);
    return walk(this.#root, repoPath);
  }

  async list(repoPath: string): Promise<string[]> {
    const inTree = await this.#fromTree(repoPath);
    if (inTree.length > 0) return inTree;
    const owner = this.#owner(repoPath);
    if (!owner) return [];
    const md5 = await this.#md5(owner);
    if (!md5) return owner.output.repoPath === repoPath ? [repoPath] : [];
    if (!md5.endsWith('.dir')) return owner.output.repoPath === repoPath ? [repoPath] : [];
    const manifest = await this.#manifest(owner.output.repoPath!, md5);
    return [...manifest.keys()].filter((file) => file === repoPath || file.startsWith(`${repoPath}/`)).sort();
  }

  async read(repoPath: string): Promise<Buffer> {
    try {
      return await readFile(path.join(this.#root, repoPath));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
    }
    const owner = this.#owner(repoPath);
    if (!owner) throw new PlotFileMissingError(repoPath);
    let md5 = await this.#md5(owner);
    if (md5?.endsWith('.dir')) md5 = (await this.#manifest(owner.output.repoPath!, md5)).get(repoPath);
    if (!md5) throw new PlotFileMissingError(repoPath, true);
    try {
      return await readFile(this.#cache().objectPath(md5));
    } catch {
      throw new PlotFileMissingError(repoPath, true);
    }
  }

  #cache(): Workspace['cache'] {
    this.#workspace ??= new Workspace(this.#cacheRoot);
    return this.#workspace.cache;
  }

  #owner(repoPath: string): CachedOutput | undefined {
    for (let current = repoPath; current && current !== '.'; current = path.posix.dirname(current)) {
      const found = this.#cached.get(current);
      if (found) return found;
    }
    return undefined;
  }

  async #md5(owner: CachedOutput): Promise<string | undefined> {
    const lockPath = path.join(path.dirname(path.join(this.#root, owner.stage.file)), 'dvc.lock');
    let pending = this.#locks.get(lockPath);
    if (!pending) {
      pending = LockFile.read(lockPath, path.relative(this.#root, lockPath)).catch(() => undefined);
      this.#locks.set(lockPath, pending);
    }
    const entry = (await pending)?.get(owner.stage.name);
    const stageDir = path.posix.dirname(owner.stage.file);
    for (const item of entry?.outs ?? []) {
      const itemPath = path.posix.normalize(stageDir === '.' ? item.path : `${stageDir}/${item.path}`);
      if (
        itemPath === owner.output.repoPath &&
        typeof item.md5 === 'string' &&
        /^[0-9a-f]{32}(\.dir)?$/.test(item.md5)
      )
        return item.md5;
    }
    return undefined;
  }

  #manifest(outputPath: string, md5: string): Promise<Map<string, string>> {
    let pending = this.#manifests.get(md5);
    if (!pending) {
      pending = readFile(this.#cache().objectPath(md5), 'utf8')
        .then((text) => {
          const entries: unknown = JSON.parse(text);
          const files = new Map<string, string>();
          if (!Array.isArray(entries)) return files;
          for (const entry of entries as { relpath?: unknown; md5?: unknown }[]) {
            if (typeof entry.relpath !== 'string' || typeof entry.md5 !== 'string') continue;
            if (entry.relpath.split('/').some((part) => part === '..' || part === '')) continue;
            if (!/^[0-9a-f]{32}$/.test(entry.md5)) continue;
            files.set(`${outputPath}/${entry.relpath}`, entry.md5);
          }
          return files;
        })
        .catch(() => new Map<string, string>());
      this.#manifests.set(md5, pending);
    }
    return pending;
  }
}

/** Every file at or below `repoPath` under `root` (sorted), `[]` when there is nothing. */
async function walk(root: string, repoPath: string): Promise<string[]> {
  const absolute = path.join(root, repoPath);
  const info = await stat(absolute).catch(() => undefined);
  if (!info) return [];
  if (!info.isDirectory()) return [repoPath];
  const out: string[] = [];
  const visit = async (directory: string, relative: string): Promise<void> => {
    const entries = await readdir(directory, { withFileTypes: true });
    for (const entry of entries) {
      const childRelative = `${relative}/${entry.name}`;
      if (entry.isDirectory()) await visit(path.join(directory, entry.name), childRelative);
      else out.push(childRelative);
    }
  };
  await visit(absolute, repoPath);
  return out.sort();
}
