import path from 'node:path';
import { LOCK_FILE, LockFile, lockItem, type Stage, type StageOutput, type Tvc, toPosix } from '@tvc/core';
import { checkRecorded } from './data-file';

/** A cached output with the hash its `.dvc` file or dvc.lock entry records. */
export interface RecordedOutput {
  readonly stage: Stage;
  readonly output: StageOutput;
  /** Checked: 32 hex digits (`.dir` for a directory). */
  readonly md5: string;
  readonly isexec: boolean;
  /**
   * Written by DVC 2 (no `hash: md5` beside it): the md5 is `md5-dos2unix` and its object lives
   * in the legacy cache (`.dvc/cache/<2>/<rest>`), not under `files/md5`.
   */
  readonly legacy: boolean;
}

/**
 * The cached outputs of `stages` that have a recorded hash, in order. A hostile entry (a path
 * leaving the repository, a hash that is not one) is refused with the file it is in.
 */
export async function recordedOutputs(tvc: Tvc, stages: readonly Stage[]): Promise<RecordedOutput[]> {
  const locks = new Map<string, Promise<LockFile>>();
  const result: RecordedOutput[] = [];
  for (const stage of stages) {
    let lockFile: string | undefined;
    let items: ReturnType<typeof lockItem>[] = [];
    if (stage.kind === 'pipeline') {
      const file = path.join(tvc.root, path.posix.dirname(stage.file), LOCK_FILE);
      lockFile = toPosix(path.relative(tvc.root, file));
      let lock = locks.get(file);
      if (!lock) {
        lock = LockFile.read(file, lockFile, tvc.parsedValues);
        locks.set(file, lock);
      }
      const entry = (await lock).get(stage.name);
      items = stage.outs.map((output) => lockItem(entry?.outs, output.path));
    }
    stage.outs.forEach((output, index) => {
      if (!output.cache) return;
      const recorded =
        stage.kind === 'data'
          ? {
              md5: output.properties.md5,
              isexec: output.properties.isexec === true,
              legacy: output.properties.hash === undefined,
            }
          : {
              md5: items[index]?.md5,
              isexec: items[index]?.isexec === true,
              legacy: items[index]?.hash === undefined,
            };
      if (recorded.md5 === undefined) return;
      const location = lockFile === undefined ? stage.location : { file: lockFile };
      const md5 = checkRecorded(tvc.root, { ...output, md5: recorded.md5 }, location);
      result.push({ stage, output, md5, isexec: recorded.isexec, legacy: recorded.legacy });
    });
  }
  return result;
}
