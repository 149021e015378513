import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { addToGitignore, findUp, type Tvc, toPosix, Workspace } from '@tvc/core';
import type { PathHash } from '@tvc/hash';
import { writeImportFile } from './dvc-file';
import { ImportError } from './errors';

/** Where an import writes: its output and `.dvc` file, absolute, and as DVC names them. */
export interface ImportTarget {
  /** The output, absolute. */
  readonly output: string;
  /** The `.dvc` file beside it, absolute. */
  readonly dvcFile: string;
}

/** The result of `importUrl`, `importFromRepo` or one `update`. */
export interface ImportResult {
  /** The `.dvc` file written, relative to the cwd. */
  readonly dvcFile: string;
  /** The output, relative to the cwd. */
  readonly output: string;
  /** `.gitignore` files changed, relative to the cwd. */
  readonly gitignores: readonly string[];
  /** False when `update` found nothing new. */
  readonly changed: boolean;
}

/**
 * The output path of an import: `out` (into it when it is an existing directory) or the source's
 * base name, relative to the cwd. Refuses an existing output unless `force`.
 */
export async function importTarget(
  tvc: Pick<Tvc, 'cwd'>,
  sourceName: string,
  out: string | undefined,
  force: boolean,
): Promise<ImportTarget> {
  let output = path.resolve(tvc.cwd, out ?? sourceName);
  if (
    out !== undefined &&
    (await stat(output).catch(() => undefined))?.isDirectory() &&
    !existsSync(`${output}.dvc`)
  ) {
    output = path.join(output, sourceName);
  }
  if (existsSync(output) && !force) {
    throw new ImportError('OUTPUT_EXISTS', `'${toPosix(path.relative(tvc.cwd, output))}' already exists`, {
      hint: 'remove it, choose another path with -o, or pass --force to overwrite it',
    });
  }
  return { output, dvcFile: `${output}.dvc` };
}

/** Saves what is at `source` (hashed as `hash`) in the cache, checks it out to the output, writes the `.dvc` file. */
export async function placeImport(
  tvc: Pick<Tvc, 'root' | 'cwd'>,
  target: ImportTarget,
  source: string,
  hash: PathHash,
  dep: Record<string, unknown>,
  out: Record<string, unknown>,
): Promise<ImportResult> {
  const workspace = new Workspace(tvc.root);
  try {
    await workspace.cache.save(source, hash);
    await rm(target.output, { recursive: true, force: true });
    await mkdir(path.dirname(target.output), { recursive: true });
    await workspace.checkout(hash.md5, target.output);
  } finally {
    await workspace.close();
  }
  await writeImportFile(target.dvcFile, dep, out);
  const gitRoot = findUp(tvc.root, '.git');
  const changed = gitRoot ? await addToGitignore(tvc.root, [target.output], { gitRoot }) : [];
  const relative = (absolute: string) => toPosix(path.relative(tvc.cwd, absolute));
  return {
    dvcFile: relative(target.dvcFile),
    output: relative(target.output),
    gitignores: changed.map((file) => relative(path.join(tvc.root, file))),
    changed: true,
  };
}
