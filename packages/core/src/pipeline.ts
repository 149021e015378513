import path from 'node:path';
import { TvcError } from './errors';
import { DependencyGraph } from './graph';
import type { LoadedPipelineFile } from './hooks';
import { OutputTrie, type ProducedOutput } from './output-trie';
import { isWithin } from './paths';
import type { Stage } from './stage';

const byAddressing = (a: Stage, b: Stage): number =>
  a.addressing < b.addressing ? -1 : a.addressing > b.addressing ? 1 : 0;

function describeOutput(entry: ProducedOutput): string {
  return `output '${entry.output.path}' of stage '${entry.stage.addressing}'`;
}

/**
 * The whole pipeline of a repository: every stage of every dvc.yaml and `.dvc` file, and the graph
 * from each stage to the stages producing its dependencies. Built only from checked input: two
 * stages producing overlapping outputs, a stage consuming its own output, or a cycle are errors.
 */
export class Pipeline {
  readonly root: string;
  /** In DVC's index order: pipeline files top-down (a directory's files before its subdirectories). */
  readonly files: readonly LoadedPipelineFile[];
  /** In index order: file by file, each file's stages in definition order. */
  readonly stages: readonly Stage[];
  readonly graph: DependencyGraph<Stage>;
  readonly outputs: OutputTrie;
  readonly #byAddressing = new Map<string, Stage>();

  private constructor(
    root: string,
    files: readonly LoadedPipelineFile[],
    stages: Stage[],
    graph: DependencyGraph<Stage>,
    outputs: OutputTrie,
  ) {
    this.root = root;
    this.files = files;
    this.stages = stages;
    this.graph = graph;
    this.outputs = outputs;
    for (const stage of stages) this.#byAddressing.set(stage.addressing, stage);
  }

  /** Builds the graph; returns the pipeline and every problem found (the caller decides to throw). */
  static build(
    root: string,
    files: readonly LoadedPipelineFile[],
  ): { pipeline: Pipeline; problems: TvcError[] } {
    const problems: TvcError[] = [];
    const stages = files.flatMap((file) => file.stages);
    const outputs = new OutputTrie();
    for (const stage of stages) {
      for (const output of stage.outs) {
        const entry = { stage, output };
        const conflict = outputs.insert(entry);
        if (!conflict) continue;
        const message =
          conflict.kind === 'duplicate'
            ? `output '${output.path}' is produced by two stages: '${conflict.other.stage.addressing}' and '${stage.addressing}'`
            : conflict.kind === 'inside'
              ? `${describeOutput(entry)} is inside ${describeOutput(conflict.other)}`
              : `${describeOutput(entry)} contains ${describeOutput(conflict.other)}`;
        problems.push(
          new TvcError('OVERLAPPING_OUTPUTS', message, {
            location: stage.location,
            hint: 'each path may be produced by one output of one stage; remove or rename one of them',
          }),
        );
      }
    }
    for (const file of files) {
      const directory = path.dirname(path.join(root, file.file));
      const enclosing = outputs.producing(directory)[0];
      if (enclosing && file.stages.length > 0) {
        problems.push(
          new TvcError('STAGE_FILE_INSIDE_OUTPUT', `${file.file} is inside ${describeOutput(enclosing)}`, {
            location: { file: file.file },
            hint: 'move the pipeline file out of the output directory',
          }),
        );
      }
    }
    const graph = new DependencyGraph<Stage>();
    for (const stage of stages) {
      graph.addNode(stage);
      for (const dep of stage.deps) {
        for (const producer of outputs.overlapping(dep.absolute)) {
          if (producer.stage === stage) {
            problems.push(
              new TvcError(
                'SELF_DEPENDENCY',
                `stage '${stage.addressing}' depends on its own output: '${dep.path}' overlaps '${producer.output.path}'`,
                {
                  location: stage.location,
                  hint: 'a stage cannot read what it writes; split it in two stages',
                },
              ),
            );
            continue;
          }
          graph.addEdge(stage, producer.stage);
        }
      }
    }
    for (const cycle of graph.cycles(byAddressing)) {
      problems.push(
        new TvcError(
          'CYCLE',
          `the pipeline has a cycle: ${cycle.map((stage) => stage.addressing).join(' -> ')}`,
          {
            location: cycle[0]!.location,
            hint: 'a stage cannot depend, directly or not, on what it produces',
          },
        ),
      );
    }
    return { pipeline: new Pipeline(root, files, stages, graph, outputs), problems };
  }

  /** The stage with this addressing (`train`, `sub/dvc.yaml:train`, `data.xml.dvc`). */
  stage(addressing: string): Stage | undefined {
    return this.#byAddressing.get(addressing);
  }

  /** The stages defined in the file at `repoPath`. */
  stagesInFile(repoPath: string): Stage[] {
    return this.stages.filter((stage) => stage.file === repoPath);
  }

  /**
   * The stages whose file lies in the directory `absolute` (or below), dependencies first, in
   * DVC's order (a depth-first post-order over the graph).
   */
  stagesInDirectory(absolute: string): Stage[] {
    return this.postorder().filter((stage) => isWithin(absolute, path.join(this.root, stage.file)));
  }

  /**
   * networkx's `dfs_postorder_nodes`: each stage after the stages it depends on, starting from
   * each stage in index order. `keep` limits the walk to some stages; `next` replaces the
   * dependency edges (repro cuts a frozen stage's upstream).
   */
  postorder(
    keep?: ReadonlySet<Stage>,
    next: (stage: Stage) => Iterable<Stage> = (stage) => this.graph.dependencies(stage),
  ): Stage[] {
    const visited = new Set<Stage>();
    const order: Stage[] = [];
    const wanted = (stage: Stage) => (keep ? keep.has(stage) : true);
    for (const start of this.stages) {
      if (!wanted(start) || visited.has(start)) continue;
      visited.add(start);
      const stack: [Stage, Iterator<Stage>][] = [[start, next(start)[Symbol.iterator]()]];
      while (stack.length > 0) {
        const frame = stack[stack.length - 1]!;
        const step = frame[1].next();
        if (step.done) {
          order.push(frame[0]);
          stack.pop();
        } else if (wanted(step.value) && !visited.has(step.value)) {
          visited.add(step.value);
          stack.push([step.value, next(step.value)[Symbol.iterator]()]);
        }
      }
    }
    return order;
  }

  /** Stages in the order they can run: dependencies first, ties by addressing. */
  order(stages: Iterable<Stage> = this.stages): Stage[] {
    const keep = new Set(stages);
    return this.graph.subgraph(keep).topologicalOrder(byAddressing);
  }
}
