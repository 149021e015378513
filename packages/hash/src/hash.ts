import { lstat, stat } from 'node:fs/promises';
import path from 'node:path';
import { HashError } from './errors.js';
import { hashFiles } from './file-hasher.js';
import { hashTree } from './tree.js';
import type { DirHash, FileHash, HashOptions, PathHash } from './types.js';

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** MD5 of a file's bytes (symlinks followed), its size and execute bit. */
export async function hashFile(file: string, options: HashOptions = {}): Promise<FileHash> {
  const [hash] = await hashFiles([path.resolve(file)], options);
  return hash!;
}

/**
 * A directory's hash as DVC computes it: every file below it as DVC's walk finds them (os.walk
 * without following symlinks to directories; symlinks to files are followed, a broken one fails;
 * sockets, FIFOs and devices are refused unless ignored), sorted by relpath, the manifest's MD5
 * with `.dir`, the total size and the number of files. `entries` is built on first use (see
 * tree.ts).
 */
export async function hashDirectory(directory: string, options: HashOptions = {}): Promise<DirHash> {
  const root = path.resolve(directory);
  let stats: Awaited<ReturnType<typeof stat>>;
  try {
    stats = await stat(root);
  } catch (error) {
    if (isMissing(error)) throw new HashError('NOT_FOUND', `No such directory: '${root}'`, { path: root });
    throw error;
  }
  if (!stats.isDirectory()) {
    throw new HashError('NOT_A_DIRECTORY', `Not a directory: '${root}'`, { path: root });
  }
  return hashTree(root, options);
}

/** A file's or a directory's hash; undefined when nothing exists at `target`. */
export async function hashPath(target: string, options: HashOptions = {}): Promise<PathHash | undefined> {
  const absolute = path.resolve(target);
  let stats: Awaited<ReturnType<typeof stat>>;
  try {
    stats = await stat(absolute);
  } catch (error) {
    if (!isMissing(error)) throw error;
    const link = await lstat(absolute).catch(() => undefined);
    if (!link) return undefined;
    throw new HashError('NOT_FOUND', `Broken symlink: '${absolute}'`, { path: absolute });
  }
  if (stats.isDirectory()) {
    // descriptors rather than a spread: `entries` stays lazy (see tree.ts)
    const hash = await hashDirectory(absolute, options);
    return Object.defineProperties({ kind: 'directory' }, Object.getOwnPropertyDescriptors(hash)) as PathHash;
  }
  return { kind: 'file', ...(await hashFile(absolute, options)) };
}

/**
 * DVC 2's legacy `md5-dos2unix` hash (lock entries without `hash: md5`): the file is read in
 * 1 MiB chunks and in each chunk whose first 512 bytes look like text, `\r\n` becomes `\n`.
 */
export async function md5Dos2Unix(file: string): Promise<string> {
  const [hash] = await hashFiles([path.resolve(file)], { dos2unix: true });
  return hash!.md5;
}
