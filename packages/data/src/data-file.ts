import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  dumpDvcYaml,
  isMap,
  isSeq,
  type SourceLocation,
  TvcError,
  toPosix,
  writeFileAtomic,
  yaml,
} from '@tvc/core';
import type { PathHash } from '@tvc/hash';

/** A hash as DVC records it: 32 hex digits, `.dir` for a directory's manifest. */
export const HASH_PATTERN = /^[0-9a-f]{32}(\.dir)?$/;

/** One output of a `.dvc` file: where it is (relative to the file's directory) and what it holds. */
export interface DataOutput {
  readonly path: string;
  readonly hash: PathHash;
}

/** The YAML of one output, keys in DVC's order: md5, size, nfiles, isexec, hash, path. */
function outputFields(output: DataOutput): [string, unknown][] {
  const { hash } = output;
  return [
    ['md5', hash.md5],
    ['size', hash.size],
    ...(hash.kind === 'directory' ? [['nfiles', hash.nfiles] as [string, unknown]] : []),
    ...(hash.kind === 'file' && hash.isexec ? [['isexec', true] as [string, unknown]] : []),
    ['hash', 'md5'],
    ['path', output.path],
  ];
}

/** The text `dvc add` writes for a new `.dvc` file (byte for byte). */
export function dataFileText(outputs: readonly DataOutput[]): string {
  return dumpDvcYaml({ outs: outputs.map((output) => Object.fromEntries(outputFields(output))) });
}

/**
 * The text of an existing `.dvc` file with the hashes of its outputs replaced (matched by
 * path), keeping everything else it holds (desc, meta, remote, push…) as it was.
 */
export function updateDataFileText(text: string, outputs: readonly DataOutput[]): string {
  const document = yaml().parseDocument(text);
  const outs = document.get('outs', true);
  if (!isSeq(outs)) return dataFileText(outputs);
  for (const output of outputs) {
    const item = outs.items.find((entry) => isMap(entry) && entry.get('path') === output.path);
    if (!isMap(item)) continue;
    for (const key of ['md5', 'size', 'nfiles', 'isexec', 'hash']) item.delete(key);
    const rest = item.items.splice(0);
    const fields = outputFields(output).filter(([key]) => key !== 'path');
    for (const [key, value] of fields) item.set(key, value);
    for (const pair of rest) item.items.push(pair);
  }
  return document.toString({ indentSeq: false, lineWidth: 0 });
}

/** Writes a `.dvc` file atomically (a temporary file, then a rename): never half-written. */
export async function writeDataFile(file: string, outputs: readonly DataOutput[]): Promise<void> {
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await writeFileAtomic(file, text === undefined ? dataFileText(outputs) : updateDataFileText(text, outputs));
}

/**
 * Checks a recorded output before anything is read or written for it: its path must stay inside
 * the repository and its hash must be a hash, else a `HOSTILE_ENTRY` error naming where it is.
 */
export function checkRecorded(
  root: string,
  entry: { path: string; absolute: string; md5: unknown },
  location: SourceLocation,
): string {
  const relative = toPosix(path.relative(root, entry.absolute));
  if (path.isAbsolute(entry.path) || relative === '' || relative.startsWith('../') || relative === '..') {
    throw new TvcError('HOSTILE_ENTRY', `the output path '${entry.path}' leaves the repository`, {
      location,
      hint: 'a tracked path must lie inside the repository; fix or remove this entry',
    });
  }
  if (typeof entry.md5 !== 'string' || !HASH_PATTERN.test(entry.md5)) {
    throw new TvcError(
      'HOSTILE_ENTRY',
      `the hash ${JSON.stringify(entry.md5)} of '${entry.path}' is not an md5 hash`,
      { location, hint: 'a hash is 32 lower-case hexadecimal digits, with .dir for a directory' },
    );
  }
  return entry.md5;
}
