import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  isContainedRepoPath,
  OutputFileMissingError,
  OutputFiles,
  type Pipeline,
  type RevisionSnapshot,
  type Tvc,
} from '@tvc/core';

/** Where a revision's plot files come from: the working tree, or a git revision plus the cache. */
export interface PlotFiles {
  /** The files at or below a repo path (a directory lists every file, sorted); `[]` when none. */
  list(repoPath: string): Promise<string[]>;
  /** A file's bytes; throws an error whose `type` is DVC's (`FileNotFoundError`) when it is nowhere. */
  read(repoPath: string): Promise<Buffer>;
}

/**
 * The files of a repository (the live one, or a revision's snapshot) as DVC's file system shows
 * them, through core's {@link OutputFiles}: what is in the tree, and cached outputs missing from it
 * read from `cacheRoot`'s cache by the hash their stage's dvc.lock records (directories through
 * their `.dir` manifest). A snapshot writes the git-tracked files asked for first.
 */
export class RepositoryFiles implements PlotFiles {
  readonly #root: string;
  readonly #outputs: OutputFiles;
  readonly #snapshot: RevisionSnapshot | undefined;

  constructor(
    tvc: Pick<Tvc, 'root'>,
    pipeline: Pick<Pipeline, 'stages'> | undefined,
    options: { readonly cacheRoot?: string; readonly snapshot?: RevisionSnapshot } = {},
  ) {
    this.#root = tvc.root;
    this.#snapshot = options.snapshot;
    this.#outputs = new OutputFiles(tvc.root, pipeline?.stages ?? [], options.cacheRoot ?? tvc.root);
  }

  async list(repoPath: string): Promise<string[]> {
    // Nothing outside the repository is listed or read (DVC's file system is rooted at it).
    if (!isContainedRepoPath(repoPath)) return [];
    if (this.#snapshot) await this.#snapshot.materialise([repoPath]);
    const inTree = await walk(this.#root, repoPath);
    if (inTree.length > 0) return inTree;
    const owner = this.#outputs.owner(repoPath);
    if (!owner) return [];
    const below = await this.#outputs.expand(owner);
    for (const entry of below) this.#outputs.remember(entry);
    if (below.length === 0) return owner.repoPath === repoPath ? [repoPath] : [];
    return below
      .map((entry) => entry.repoPath)
      .filter((file) => file === repoPath || file.startsWith(`${repoPath}/`));
  }

  async read(repoPath: string): Promise<Buffer> {
    if (this.#snapshot) await this.#snapshot.materialise([repoPath]);
    try {
      return await this.#outputs.bytes(repoPath);
    } catch (error) {
      // DVC's exception name, for `--json`'s errors.
      if (error instanceof OutputFileMissingError) throw Object.assign(error, { type: 'FileNotFoundError' });
      throw error;
    }
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
    for (const entry of await readdir(directory, { withFileTypes: true })) {
      const childRelative = `${relative}/${entry.name}`;
      if (entry.isDirectory()) await visit(path.join(directory, entry.name), childRelative);
      else out.push(childRelative);
    }
  };
  await visit(absolute, repoPath);
  return out.sort();
}
