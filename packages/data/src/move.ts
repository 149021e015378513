import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  addToGitignore,
  DATA_FILE_SUFFIX,
  isMap,
  isSeq,
  isWithin,
  RepoLock,
  removeFromGitignore,
  type Tvc,
  TvcError,
  toPosix,
  writeFileAtomic,
  yaml,
} from '@tvc/core';
import { loadCheckedPipeline } from './recorded';

export interface MoveResult {
  /** The `.dvc` file that tracks the data now, relative to the cwd. */
  readonly dataFile: string;
  /** The files to stage in git (the old and new `.dvc` files, the `.gitignore` files changed). */
  readonly changedFiles: readonly string[];
}

/**
 * `tvc move SRC DST`: moves data tracked by a `.dvc` file and updates the file — renamed with the
 * data when it is named after it (`data.csv.dvc`), else its `path` rewritten — and the
 * `.gitignore` lines. The new `.dvc` file is written before the old one goes.
 */
export async function moveData(tvc: Tvc, source: string, destination: string): Promise<MoveResult> {
  const from = path.resolve(tvc.cwd, source);
  let to = path.resolve(tvc.cwd, destination);
  if (existsSync(to) && statSync(to).isDirectory()) to = path.join(to, path.basename(from));
  const pipeline = await loadCheckedPipeline(tvc);
  const owners = pipeline.stages.flatMap((stage) =>
    stage.outs.filter((output) => output.absolute === from).map((output) => ({ stage, output })),
  );
  const found = owners[0];
  if (!found) {
    throw new TvcError(
      'TARGET_NOT_FOUND',
      `failed to move '${source}' -> '${destination}' - Unable to find DVC file with output '${source}'`,
      { hint: 'name a path that a .dvc file tracks (`tvc move` does not move stage outputs)' },
    );
  }
  const { stage } = found;
  if (stage.kind !== 'data') {
    throw new TvcError(
      'NOT_DATA_SOURCE',
      `failed to move '${source}' -> '${destination}' - '${stage.addressing}' is not a data source`,
      {
        hint: 'only data tracked by a .dvc file can be moved; change the stage in dvc.yaml instead',
      },
    );
  }
  if (!isWithin(tvc.root, to) || to === tvc.root) {
    throw new TvcError(
      'PATH_OUTSIDE_REPO',
      `cannot move '${source}' to '${destination}': outside the repository`,
    );
  }
  if (existsSync(to)) {
    throw new TvcError(
      'DESTINATION_EXISTS',
      `cannot move '${source}' to '${destination}': it already exists`,
      {
        hint: 'remove it first, or choose another destination',
      },
    );
  }
  const oldFile = path.join(tvc.root, stage.file);
  const named = path.basename(oldFile, DATA_FILE_SUFFIX) === path.basename(from);
  const newFile = named ? `${to}${DATA_FILE_SUFFIX}` : oldFile;
  const newPath = toPosix(path.relative(path.dirname(newFile), to));
  const document = yaml().parseDocument(await readFile(oldFile, 'utf8'));
  const outs = document.get('outs', true);
  if (isSeq(outs)) {
    for (const item of outs.items) {
      if (isMap(item) && path.resolve(stage.wdir, String(item.get('path'))) === from)
        item.set('path', newPath);
    }
  }
  const lock = RepoLock.acquire(tvc.root, 'move');
  const changed = new Set<string>();
  const label = (absolute: string) => toPosix(path.relative(tvc.cwd, absolute));
  try {
    await mkdir(path.dirname(to), { recursive: true });
    await rename(from, to);
    await writeFileAtomic(newFile, document.toString({ indentSeq: false, lineWidth: 0 }));
    if (newFile !== oldFile) await rm(oldFile, { force: true });
    for (const file of await removeFromGitignore(tvc.root, [from]))
      changed.add(label(path.join(tvc.root, file)));
    if (tvc.scmRoot) {
      for (const file of await addToGitignore(tvc.root, [to], { gitRoot: tvc.scmRoot }))
        changed.add(label(path.join(tvc.root, file)));
    }
  } finally {
    lock.release();
  }
  return {
    dataFile: label(newFile),
    changedFiles: [label(newFile), ...(newFile !== oldFile ? [label(oldFile)] : []), ...changed],
  };
}
