import { createHash } from 'node:crypto';
import { dumpDvcYaml, writeFileAtomic } from '@tvc/core';
import type { PathHash } from '@tvc/hash';
import { pythonJsonDumps } from '@tvc/params';

/** The keys DVC's `compute_md5` leaves out of a stage's md5 (annotations, flags, sizes). */
const MD5_EXCLUDED = new Set([
  'desc',
  'type',
  'labels',
  'meta',
  'locked',
  'frozen',
  'metric',
  'persist',
  'isexec',
  'size',
  'nfiles',
]);

function withoutExcluded(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutExcluded);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (!MD5_EXCLUDED.has(key)) out[key] = withoutExcluded(item);
    }
    return out;
  }
  return value;
}

/**
 * DVC's stage md5 of a `.dvc` file (`dvc/stage/utils.py` `compute_md5`): the MD5 of
 * `json.dumps(d, sort_keys=True)` of the file's content without `md5` and the excluded keys.
 */
export function stageMd5(body: Readonly<Record<string, unknown>>): string {
  const { md5: _md5, ...rest } = body;
  const text = pythonJsonDumps(withoutExcluded(rest), { sortKeys: true });
  return createHash('md5').update(text).digest('hex');
}

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
