import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  externalLabel,
  isImportStage,
  type ReimportedSource,
  resolveTargets,
  type Stage,
  type Tvc,
  Workspace,
  writeFileAtomic,
  yaml,
} from '@tvc/core';
import { hashPath } from '@tvc/hash';
import { ImportError } from './errors';
import { resolveRevision } from './git';
import { httpInfo } from './http';
import { importRepoPath } from './import-repo';
import { describeUrlSource, reimportUrl } from './import-url';
import type { ImportResult, ImportTarget } from './place';
import { repoBases } from './plugin';

export interface UpdateOptions {
  /** For repository imports: a new revision to follow (recorded as `rev`). */
  readonly rev?: string | undefined;
}

/** What `update` did to one `.dvc` file. */
export interface UpdateResult extends ImportResult {
  /** `Importing 'source' -> 'out'`'s source: the URL, the path, or `path (repo url)`. */
  readonly source: string;
}

async function outputIntact(stage: Stage): Promise<boolean> {
  const output = stage.outs[0]!;
  const workspace = new Workspace(stage.wdir);
  try {
    const hash = await workspace.hash(output.absolute);
    return hash !== undefined && hash.md5 === output.properties.md5;
  } finally {
    await workspace.close();
  }
}

async function updateStage(tvc: Tvc, stage: Stage, options: UpdateOptions): Promise<UpdateResult> {
  const output = stage.outs[0]!;
  const target: ImportTarget = { output: output.absolute, dvcFile: path.join(tvc.root, stage.file) };
  const unchanged = (source: string): UpdateResult => ({
    source,
    dvcFile: stage.addressing,
    output: path.relative(tvc.cwd, output.absolute),
    gitignores: [],
    changed: false,
  });
  const external = stage.externalDeps[0];
  if (external?.type === 'repo') {
    const repo = { ...external.repo, ...(options.rev ? { rev: options.rev } : {}) };
    const bases = repoBases(tvc, external);
    const source = externalLabel(external);
    const revision = await resolveRevision(repo.url, repo.rev, bases);
    if (revision === repo.rev_lock && repo.rev === external.repo.rev && (await outputIntact(stage))) {
      return unchanged(source);
    }
    return { source, ...(await importRepoPath(tvc, external.path, repo, bases, target)) };
  }
  if (external?.type === 'url') {
    const source = describeUrlSource(tvc, external.path);
    const { checksum } = await httpInfo(external.path);
    if (checksum === external.recorded.checksum && (await outputIntact(stage)))
      return unchanged(external.path);
    return { source: external.path, ...(await reimportUrl(tvc, external.path, source, target)) };
  }
  const dep = stage.deps[0]!;
  const current = await hashPath(dep.absolute).catch(() => undefined);
  if (!current)
    throw new ImportError('SOURCE_NOT_FOUND', `'${dep.path}' of ${stage.addressing} does not exist`);
  // The dependency's recorded md5 lives in the `.dvc` file beside its path.
  const recorded = await recordedDepMd5(tvc, stage);
  if (current.md5 === recorded && (await outputIntact(stage))) return unchanged(dep.absolute);
  const written = path.isAbsolute(dep.path) ? dep.path : path.relative(tvc.cwd, dep.absolute);
  return {
    source: dep.absolute,
    ...(await reimportUrl(tvc, written, { source: dep.absolute, scheme: undefined }, target)),
  };
}

async function recordedDepMd5(tvc: Tvc, stage: Stage): Promise<string | undefined> {
  const body = yaml().parse(await readFile(path.join(tvc.root, stage.file), 'utf8')) as {
    deps?: { md5?: string }[];
  };
  return body.deps?.[0]?.md5;
}

/**
 * `tvc update TARGETS…`: fetches each import again when its source changed (a new commit of the
 * source repository, a new checksum of the URL, a new md5 of the local path) and rewrites its
 * `.dvc` file; an import whose source did not change is left alone.
 */
export async function updateImports(
  tvc: Tvc,
  targets: readonly string[],
  options: UpdateOptions = {},
): Promise<UpdateResult[]> {
  const pipeline = await tvc.loadPipeline();
  const results: UpdateResult[] = [];
  for (const target of targets) {
    const stages = resolveTargets(pipeline, [target], { cwd: tvc.cwd, outputs: true });
    for (const stage of stages) {
      if (!isImportStage(stage)) {
        throw new ImportError('NOT_AN_IMPORT', `'${stage.addressing}' is not an import`, {
          location: stage.location,
          hint: '`tvc update` updates the .dvc files made by `tvc import` and `tvc import-url`',
        });
      }
      results.push(await updateStage(tvc, stage, options));
    }
  }
  return results;
}

/**
 * `repro` of an import that is not frozen and whose source changed (core's `reimport` hook): the
 * source fetched again as `update` does, the `.dvc` file kept unfrozen as DVC keeps it (`frozen`
 * is not part of the stage md5). In a dry run, only what would be imported.
 */
export async function reimportStage(
  tvc: Tvc,
  stage: Stage,
  dry: boolean,
): Promise<ReimportedSource | undefined> {
  if (!isImportStage(stage)) return undefined;
  const output = path.relative(tvc.cwd, stage.outs[0]!.absolute);
  if (dry) {
    const external = stage.externalDeps[0];
    const source =
      external?.type === 'repo' ? externalLabel(external) : (external?.path ?? stage.deps[0]!.absolute);
    return { source, output };
  }
  const result = await updateStage(tvc, stage, {});
  const file = path.join(tvc.root, stage.file);
  const text = await readFile(file, 'utf8');
  const unfrozen = text.replace(/^frozen: true\n/m, '');
  if (unfrozen !== text) await writeFileAtomic(file, unfrozen);
  return { source: result.source, output: result.output };
}
