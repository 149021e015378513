import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { TvcError } from './errors';
import { DATA_FILE_SUFFIX, PIPELINE_FILE } from './loaders';
import { resolvePath, toPosix } from './paths';
import type { Pipeline } from './pipeline';
import type { Stage } from './stage';

export interface TargetOptions {
  /** The directory targets are relative to (the user's cwd). */
  readonly cwd: string;
  /** `-R`: a directory target means every stage of every pipeline file below it. */
  readonly recursive?: boolean;
  /** `--glob`: a stage name is a glob pattern (`train-*`). */
  readonly glob?: boolean;
  /** Whether an output path selects the stage producing it (as `dag` and `repro` do; `stage list` does not). */
  readonly outputs?: boolean;
}

function isPipelineFileName(value: string): boolean {
  const base = path.basename(value);
  return base === PIPELINE_FILE || base.endsWith(DATA_FILE_SUFFIX);
}

function matchNames(stages: readonly Stage[], name: string, glob: boolean): Stage[] {
  // Naming a foreach/matrix group (`build`) selects all of its generated stages (`build@…`), even
  // with --glob (DVC checks for a group first).
  const group = stages.filter((stage) => stage.group === name);
  if (group.length > 0) return group;
  if (glob) {
    const isMatch = picomatch(name, { dot: true });
    return stages.filter((stage) => isMatch(stage.name));
  }
  return stages.filter((stage) => stage.name === name);
}

/**
 * Resolves one target as DVC does: `path/dvc.yaml:stage`, a pipeline or `.dvc` file, a directory
 * with `-R`, a stage name of the dvc.yaml in `cwd`, or an output path (the stage producing it).
 */
export function resolveTarget(pipeline: Pipeline, target: string, options: TargetOptions): Stage[] {
  const { cwd } = options;
  const glob = options.glob === true;
  const colon = target.lastIndexOf(':');
  if (colon > 0 && isPipelineFileName(target.slice(0, colon))) {
    const file = target.slice(0, colon);
    const name = target.slice(colon + 1);
    const repoPath = resolvePath(pipeline.root, cwd, file).repoPath;
    const inFile = repoPath === undefined ? [] : pipeline.stagesInFile(repoPath);
    if (inFile.length === 0 && !existsSync(path.resolve(cwd, file)))
      throw notFound(target, `'${file}' does not exist`);
    const found = matchNames(inFile, name, glob);
    if (found.length === 0) throw notFound(target, `Stage '${name}' not found inside '${file}' file`);
    return found;
  }
  const absolute = path.resolve(cwd, target);
  const resolved = resolvePath(pipeline.root, cwd, target);
  if (isPipelineFileName(target) && !existsSync(absolute))
    throw notFound(target, `'${absolute}' does not exist`);
  if (isPipelineFileName(target) && resolved.repoPath !== undefined && existsSync(absolute)) {
    return pipeline.stagesInFile(resolved.repoPath);
  }
  if (options.recursive && existsSync(absolute) && statSync(absolute).isDirectory()) {
    return pipeline.stagesInDirectory(absolute);
  }
  const defaultFile = resolvePath(pipeline.root, cwd, PIPELINE_FILE).repoPath;
  if (defaultFile !== undefined) {
    const byName = matchNames(pipeline.stagesInFile(defaultFile), target, glob);
    if (byName.length > 0) return byName;
  }
  const fileLabel =
    toPosix(path.relative(cwd, path.join(pipeline.root, defaultFile ?? PIPELINE_FILE))) || PIPELINE_FILE;
  const stageMissing = `Stage '${target}' not found inside '${fileLabel}' file`;
  if (options.outputs === false) throw notFound(target, stageMissing);
  const producers = pipeline.outputs.producing(absolute);
  if (producers.length > 0) return [...new Set(producers.map((entry) => entry.stage))];
  throw notFound(
    target,
    `'${target}' does not exist as an output or a stage name in '${fileLabel}': ${stageMissing}`,
  );
}

function notFound(target: string, message: string): TvcError {
  return new TvcError('TARGET_NOT_FOUND', message, {
    hint: `'${target}' matches nothing; \`tvc stage list\` shows the stages`,
  });
}

/** Resolves every target (all stages when there are none), keeping the pipeline's order and no duplicates. */
export function resolveTargets(
  pipeline: Pipeline,
  targets: readonly string[],
  options: TargetOptions,
): Stage[] {
  if (targets.length === 0) return [...pipeline.stages];
  // In the order of the targets, without duplicates (as `dvc stage list` lists them).
  const selected = new Set<Stage>();
  const problems: TvcError[] = [];
  for (const target of targets) {
    try {
      for (const stage of resolveTarget(pipeline, target, options)) selected.add(stage);
    } catch (error) {
      if (error instanceof TvcError) problems.push(error);
      else throw error;
    }
  }
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1)
    throw new TvcError('TARGET_NOT_FOUND', problems.map((problem) => problem.message).join('; '));
  return [...selected];
}
