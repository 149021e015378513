import path from 'node:path';
import { type Pipeline, resolveTarget, type Stage, type StageOutput, toPosix } from '@tvc/core';
import type { CommandContext } from '../context';
import { writeLine } from '../io';
import { renderAscii } from '../render/dag-ascii';
import { components, type DrawableGraph, renderDot, renderMermaid } from '../render/dag-text';

export interface DagOptions {
  readonly dot?: boolean;
  readonly mermaid?: boolean;
  readonly md?: boolean;
  readonly full?: boolean;
  readonly outs?: boolean;
}

/** The stage graph as DVC draws it: stages by addressing, edges from producer to consumer. */
export function stageGraph(pipeline: Pipeline): DrawableGraph {
  const edges: [string, string][] = [];
  for (const stage of pipeline.stages) {
    for (const producer of pipeline.graph.dependencies(stage))
      edges.push([producer.addressing, stage.addressing]);
  }
  return { nodes: pipeline.stages.map((stage) => stage.addressing), edges };
}

/** The outputs graph (`-o`): outputs by path, edges from an output to the outputs made from it. */
export function outputGraph(pipeline: Pipeline, cwd: string): DrawableGraph {
  const label = (output: StageOutput) => toPosix(path.relative(cwd, output.absolute)) || '.';
  const nodes = pipeline.outputs.values().map((entry) => label(entry.output));
  const edges: [string, string][] = [];
  const seen = new Set<string>();
  for (const stage of pipeline.stages) {
    for (const dep of stage.deps) {
      for (const producer of pipeline.outputs.overlapping(dep.absolute)) {
        if (producer.stage === stage) continue;
        for (const output of stage.outs) {
          const edge: [string, string] = [label(producer.output), label(output)];
          const key = edge.join('\0');
          if (!seen.has(key)) {
            seen.add(key);
            edges.push(edge);
          }
        }
      }
    }
  }
  return { nodes: [...new Set(nodes)], edges };
}

/** DVC's `_filter`: the target and its ancestors (or its whole pipeline with `--full`). */
export function filterGraph(graph: DrawableGraph, targets: readonly string[], full: boolean): DrawableGraph {
  if (targets.length === 0) return graph;
  let keep = new Set(graph.nodes);
  if (!full) {
    const upstream = new Map<string, string[]>();
    for (const [from, to] of graph.edges) upstream.set(to, [...(upstream.get(to) ?? []), from]);
    keep = new Set(targets);
    const stack = [...targets];
    while (stack.length > 0) {
      for (const next of upstream.get(stack.pop()!) ?? []) {
        if (!keep.has(next)) {
          keep.add(next);
          stack.push(next);
        }
      }
    }
  }
  const reduced: DrawableGraph = {
    nodes: graph.nodes.filter((node) => keep.has(node)),
    edges: graph.edges.filter(([from, to]) => keep.has(from) && keep.has(to)),
  };
  const wanted = new Set(targets);
  const connected = components(reduced).filter((component) =>
    component.nodes.some((node) => wanted.has(node)),
  );
  const nodes = new Set(connected.flatMap((component) => component.nodes));
  return {
    nodes: reduced.nodes.filter((node) => nodes.has(node)),
    edges: reduced.edges.filter(([from]) => nodes.has(from)),
  };
}

function targetNodes(stages: readonly Stage[], outs: boolean, cwd: string): string[] {
  if (!outs) return stages.map((stage) => stage.addressing);
  return stages.flatMap((stage) => stage.outs.map((output) => toPosix(path.relative(cwd, output.absolute))));
}

export default async function dag(
  context: CommandContext,
  target: string | undefined,
  options: DagOptions,
): Promise<number> {
  const tvc = await context.tvc();
  const pipeline = await tvc.loadPipeline();
  const cwd = context.io.cwd;
  const graph = options.outs ? outputGraph(pipeline, cwd) : stageGraph(pipeline);
  const targets =
    target === undefined
      ? []
      : targetNodes(resolveTarget(pipeline, target, { cwd }), options.outs === true, cwd);
  const filtered = filterGraph(graph, targets, options.full === true);
  if (options.dot) context.io.stdout.write(`${renderDot(filtered)}\n`);
  else if (options.mermaid || options.md)
    writeLine(context.io.stdout, renderMermaid(filtered, options.md === true));
  else writeLine(context.io.stdout, components(filtered).map(renderAscii).join('\n'));
  return 0;
}
