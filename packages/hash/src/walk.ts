// Directory hashing walks in the workers (tree.ts, worker.ts); this is checkout's listing.
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';

export type Ignore = (relpath: string, isDirectory: boolean) => boolean;

/** Marks a rejection as handled, for when a sibling fails first and Promise.all is never reached. */
function settled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

const join = (prefix: string, name: string) => (prefix ? `${prefix}/${name}` : name);

export interface TreeListing {
  /** relpath → the entry as found (symlinks not followed) */
  files: Map<string, Dirent>;
  /** relpaths of directories (not symlinks to them) */
  directories: Set<string>;
}

/** Everything under a directory without following symlinks, for checkout to compare against. */
export async function listTree(root: string): Promise<TreeListing> {
  const listing: TreeListing = { files: new Map(), directories: new Set() };
  const visit = async (directory: string, prefix: string): Promise<void> => {
    const dirents = await readdir(directory, { withFileTypes: true });
    const below: Promise<void>[] = [];
    for (const dirent of dirents) {
      const relpath = join(prefix, dirent.name);
      if (dirent.isDirectory()) {
        listing.directories.add(relpath);
        below.push(settled(visit(path.join(directory, dirent.name), relpath)));
      } else {
        listing.files.set(relpath, dirent);
      }
    }
    await Promise.all(below);
  };
  await visit(root, '');
  return listing;
}
