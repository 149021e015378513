import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Workspace } from '@tvc/core';
import type { PathHash } from '@tvc/hash';

/**
 * After an output was saved into the cache (add, commit), the workspace is linked from the cache
 * as `cache.type` asks, as DVC's commit with relink does: a file output is placed anew; a
 * directory's files only when they are not linked as asked — and not even looked at when copy or
 * reflink is among the types (a copy is then kept, so nothing is read).
 */
export async function relinkSaved(workspace: Workspace, dest: string, hash: PathHash): Promise<void> {
  const linkTypes = workspace.linkTypes();
  if (hash.kind === 'directory' && linkTypes.some((type) => type === 'copy' || type === 'reflink')) return;
  await workspace.cache.checkout(hash.md5, dest, {
    linkTypes,
    memo: await workspace.memo(),
    isexec: hash.kind === 'file' && hash.isexec,
    relink: hash.kind === 'file' ? 'always' : 'needed',
  });
  workspace.forget(dest);
}

/**
 * The temporary file a placement or save cut short leaves (`.<name>.<pid>-<12 hex>.tmp`,
 * @tvc/hash's naming): never the user's.
 */
const PLACEMENT_LEFTOVER = /^\..+\.(\d+)-[0-9a-f]{12}\.tmp$/;

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes from a directory output the temporaries a killed add, commit or checkout left while
 * linking files into it (their process is gone), so that hashing the directory again does not
 * record them as data.
 */
export async function removePlacementLeftovers(absolute: string): Promise<void> {
  const stats = await lstat(absolute).catch(() => undefined);
  if (!stats?.isDirectory()) return;
  const entries = await readdir(absolute, { recursive: true, withFileTypes: true });
  await Promise.all(
    entries.map(async (entry) => {
      const match = PLACEMENT_LEFTOVER.exec(entry.name);
      if (!match || entry.isDirectory() || running(Number(match[1]))) return;
      await rm(path.join(entry.parentPath, entry.name), { force: true });
    }),
  );
}
