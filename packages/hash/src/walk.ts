import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { HashError } from './errors.js';

export type Ignore = (relpath: string, isDirectory: boolean) => boolean;

/** Marks a rejection as handled, for when a sibling fails first and Promise.all is never reached. */
function settled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

const join = (prefix: string, name: string) => (prefix ? `${prefix}/${name}` : name);

/**
 * The files of a directory as DVC's build walks them (os.walk without followlinks): regular
 * files, and symlinks to files (which are followed: their target's content is hashed); a symlink
 * to a directory is neither listed nor entered; a broken symlink is listed, so hashing it fails
 * as it does in DVC. Empty directories contribute nothing. Sockets, FIFOs and devices are refused
 * (DVC would try to read them). `onFile` gets the posix relpath.
 */
export async function walkFiles(
  root: string,
  onFile: (relpath: string) => void,
  ignore?: Ignore,
): Promise<void> {
  const visit = async (directory: string, prefix: string): Promise<void> => {
    const dirents = await readdir(directory, { withFileTypes: true });
    const below: Promise<void>[] = [];
    for (const dirent of dirents) {
      const relpath = join(prefix, dirent.name);
      if (dirent.isDirectory()) {
        if (!ignore?.(relpath, true))
          below.push(settled(visit(`${directory}${path.sep}${dirent.name}`, relpath)));
        continue;
      }
      if (dirent.isSymbolicLink()) {
        const target = await stat(`${directory}${path.sep}${dirent.name}`).catch(() => undefined);
        if (target?.isDirectory()) continue;
      } else if (!dirent.isFile()) {
        const absolute = `${directory}${path.sep}${dirent.name}`;
        throw new HashError('NOT_A_FILE', `Not a regular file: '${absolute}'`, {
          path: absolute,
          hint: 'Sockets, FIFOs and devices cannot be hashed; remove it or ignore it in .dvcignore.',
        });
      }
      if (!ignore?.(relpath, false)) onFile(relpath);
    }
    await Promise.all(below);
  };
  await visit(root, '');
}

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
