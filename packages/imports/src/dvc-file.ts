import { dataFileMd5, dumpDvcYaml, writeFileAtomic } from '@tvc/core';
import type { PathHash } from '@tvc/hash';

/** DVC's stage md5 of a `.dvc` file (core's {@link dataFileMd5}). */
export const stageMd5 = dataFileMd5;

/** An output entry of a `.dvc` file, in DVC's key order: md5, size, nfiles, hash, path. */
export function outputEntry(hash: PathHash, written: string): Record<string, unknown> {
  return {
    md5: hash.md5,
    size: hash.size,
    ...(hash.kind === 'directory' ? { nfiles: hash.nfiles } : {}),
    ...(hash.kind === 'file' && hash.isexec ? { isexec: true } : {}),
    hash: 'md5',
    path: written,
  };
}

/** The text of an import's `.dvc` file as DVC writes it: md5, frozen, deps, outs. */
export function importFileText(dep: Record<string, unknown>, out: Record<string, unknown>): string {
  const body = { frozen: true, deps: [dep], outs: [out] };
  return dumpDvcYaml({ md5: stageMd5(body), ...body });
}

export async function writeImportFile(
  file: string,
  dep: Record<string, unknown>,
  out: Record<string, unknown>,
): Promise<void> {
  await writeFileAtomic(file, importFileText(dep, out));
}
