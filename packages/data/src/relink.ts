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
