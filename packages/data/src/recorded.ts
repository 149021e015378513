import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  LOCK_FILE,
  type LoadPipelineOptions,
  LockFile,
  locate,
  lockItem,
  type Pipeline,
  parseYamlSource,
  type SourceLocation,
  type Stage,
  type StageOutput,
  type Tvc,
  TvcError,
  toPosix,
  type YamlPath,
} from '@tvc/core';
import { checkRecorded } from './data-file';

/**
 * The place of the value at `yamlPath` in `file` (relative to the repository), for an error
 * about it; `fallback` when the file cannot be read or the value found.
 */
function preciseLocation(
  root: string,
  file: string,
  yamlPath: YamlPath,
  fallback: SourceLocation,
): SourceLocation {
  try {
    const { source } = parseYamlSource(file, readFileSync(path.join(root, file), 'utf8'));
    return source ? locate(source, yamlPath) : fallback;
  } catch {
    return fallback;
  }
}

/** DVC's checksum schema: a number becomes its digits, hex is lower-cased (as dvc.lock's reader does). */
function checksum(value: unknown): unknown {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' ? value.toLowerCase() : value;
}

/** The index of the lock entry's output recorded for `outPath`, or -1. */
function lockIndex(outs: unknown, outPath: string): number {
  return Array.isArray(outs)
    ? outs.findIndex(
        (item) => typeof item === 'object' && item !== null && (item as { path?: unknown }).path === outPath,
      )
    : -1;
}

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
  /** The recorded size in bytes (a directory's: the sum of its files), when recorded. */
  readonly size?: number | undefined;
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
              md5: checksum(output.properties.md5),
              isexec: output.properties.isexec === true,
              legacy: output.properties.hash === undefined,
              size: output.properties.size,
            }
          : {
              md5: items[index]?.md5,
              isexec: items[index]?.isexec === true,
              legacy: items[index]?.hash === undefined,
              size: items[index]?.size as unknown,
            };
      if (recorded.md5 === undefined) return;
      const location = lockFile === undefined ? stage.location : { file: lockFile };
      let md5: string;
      try {
        md5 = checkRecorded(tvc.root, { ...output, md5: recorded.md5 }, location);
      } catch (error) {
        if (!(error instanceof TvcError) || error.code !== 'HOSTILE_ENTRY') throw error;
        // Point at the value itself: the output's md5 in the .dvc file or in dvc.lock.
        const key = error.message.includes('leaves the repository') ? 'path' : 'md5';
        const yamlPath: YamlPath | undefined =
          lockFile === undefined
            ? ['outs', index, key]
            : lockEntryPath(tvc, lockFile, stage, output.path, key);
        const file = lockFile ?? stage.file;
        const precise = yamlPath ? preciseLocation(tvc.root, file, yamlPath, location) : location;
        throw new TvcError(error.code, error.message, { location: precise, hint: error.hint });
      }
      const size = typeof recorded.size === 'number' ? recorded.size : undefined;
      result.push({ stage, output, md5, isexec: recorded.isexec, legacy: recorded.legacy, size });
    });
  }
  return result;
}

/** Where the output `outPath` of `stage` is in its dvc.lock (`stages.<name>.outs.<i>.<key>`). */
function lockEntryPath(
  tvc: Tvc,
  lockFile: string,
  stage: Stage,
  outPath: string,
  key: string,
): YamlPath | undefined {
  try {
    const { source } = parseYamlSource(lockFile, readFileSync(path.join(tvc.root, lockFile), 'utf8'));
    const stages = (source?.value as { stages?: Record<string, { outs?: unknown }> } | undefined)?.stages;
    const index = lockIndex(stages?.[stage.name]?.outs, outPath);
    return index < 0 ? undefined : ['stages', stage.name, 'outs', index, key];
  } catch {
    return undefined;
  }
}

/**
 * The pipeline, with every recorded output of every stage checked ({@link recordedOutputs}): a
 * data command refuses a repository holding a hostile `.dvc` file or dvc.lock entry — with the
 * place of the value — before it reads or writes anything, as the loader refuses a hostile path.
 */
export async function loadCheckedPipeline(tvc: Tvc, options: LoadPipelineOptions = {}): Promise<Pipeline> {
  const pipeline = await tvc.loadPipeline(options);
  await recordedOutputs(tvc, pipeline.stages);
  return pipeline;
}

/** The stages and every stage upstream of them, in the pipeline's order (DVC's `--with-deps`). */
export function withUpstream(pipeline: Pipeline, stages: readonly Stage[]): Stage[] {
  const closure = pipeline.graph.ancestors(stages);
  for (const stage of stages) closure.add(stage);
  return pipeline.stages.filter((stage) => closure.has(stage));
}
