import { resolveTargets, type Stage, type TargetOptions } from '@tvc/core';
import type { CommandContext } from '../context';
import { writeLine } from '../io';

export interface StageListOptions {
  readonly all?: boolean;
  readonly fail?: boolean;
  readonly recursive?: boolean;
  readonly nameOnly?: boolean;
  readonly namesOnly?: boolean;
  readonly json?: boolean;
}

const MAX_TEXT_LENGTH = 80;

/** DVC's description: the first line of `desc`, else what the stage outputs and reports. */
export function describeStage(stage: Stage): string {
  const firstLine = stage.desc?.split('\n')[0];
  if (firstLine) return truncate(firstLine);
  // DVC's stage.deps: the deps as written, then one params dependency per params file.
  const deps = [...stage.writtenDeps, ...new Set(stage.params.map((params) => params.path))];
  if (deps.length === 0 && stage.outs.length === 0) return 'No outputs or dependencies';
  if (stage.outs.length === 0) return truncate(`Depends on ${deps.join(', ')}`);
  const parts: string[] = [];
  const outs = stage.outs.filter((output) => output.kind === 'outs');
  const reports = stage.outs.filter((output) => output.kind !== 'outs');
  if (outs.length > 0) parts.push(`Outputs ${outs.map((output) => output.path).join(', ')}`);
  if (reports.length > 0) parts.push(`Reports ${reports.map((output) => output.path).join(', ')}`);
  return truncate(parts.join('; '));
}

function truncate(text: string, max = MAX_TEXT_LENGTH): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export default async function stageList(
  context: CommandContext,
  targets: string[],
  options: StageListOptions,
): Promise<number> {
  const tvc = await context.tvc();
  const pipeline = await tvc.loadPipeline({ tolerateOverlaps: true });
  const targetOptions: TargetOptions = {
    cwd: context.io.cwd,
    recursive: options.recursive === true,
    outputs: false,
  };
  const stages = options.all
    ? pipeline.stages
    : resolveTargets(pipeline, targets.length > 0 ? targets : ['dvc.yaml'], targetOptions);
  if (options.json) {
    const rows = stages.map((stage) => ({
      stage: stage.addressing,
      file: stage.file,
      description: describeStage(stage),
    }));
    writeLine(context.io.stdout, JSON.stringify(rows, null, 2));
    return 0;
  }
  const width = Math.max(0, ...stages.map((stage) => stage.addressing.length));
  for (const stage of stages) {
    writeLine(
      context.io.stdout,
      options.nameOnly || options.namesOnly
        ? stage.addressing
        : `${stage.addressing.padEnd(width)}  ${describeStage(stage)}`,
    );
  }
  return 0;
}
