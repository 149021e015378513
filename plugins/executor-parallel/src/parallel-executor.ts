import {
  type Executor,
  type ExecutorContext,
  type ExecutorResult,
  type ExecutorTask,
  type ExperimentContext,
  type ExperimentOutcome,
  type ExperimentSource,
  type ExperimentTask,
  HOOK_STAGE,
  type Tvc,
  TvcError,
} from '@tvc/core';

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref?.();
  });

/** A failed outcome for an executor that threw instead of reporting. */
function thrownOutcome(error: unknown): ExperimentOutcome {
  const message = error instanceof Error ? error.message : String(error);
  return {
    status: 'failed',
    error: { code: error instanceof TvcError ? error.code : 'EXECUTOR_ERROR', message },
  };
}

/**
 * A pool: takes experiments from a source and runs up to `jobs` of them at once, each through the
 * executor the source names (a temporary workspace, or a worker elsewhere). It asks the source for
 * more whenever a slot is free — so entries queued while it runs are picked up — and returns when
 * the source has nothing ready and nothing runs, or once the running ones end after `stopping()`.
 */
export class ParallelExecutor implements Executor {
  readonly specificationVersion = 'v1' as const;
  readonly name = 'parallel';
  readonly #tvc: Tvc;

  constructor(tvc: Tvc) {
    this.#tvc = tvc;
  }

  supports(capability: string): boolean {
    return capability === 'pool' || capability === 'experiments';
  }

  run(_task: ExecutorTask, _context: ExecutorContext): Promise<ExecutorResult> {
    throw new TvcError('EXECUTOR_UNSUPPORTED', "the 'parallel' executor runs experiments, not commands");
  }

  /** One experiment, in a temporary workspace (the `temp` executor). */
  runExperiment(task: ExperimentTask, context: ExperimentContext): Promise<ExperimentOutcome> {
    const temp = this.#tvc.executor('temp');
    if (!temp.runExperiment)
      throw new TvcError('EXECUTOR_UNSUPPORTED', "the 'temp' executor cannot run experiments");
    return temp.runExperiment(task, context);
  }

  async runMany(source: ExperimentSource, options: { readonly jobs: number }): Promise<void> {
    const jobs = Math.max(1, Math.floor(options.jobs));
    const running = new Set<Promise<void>>();
    const pollMs = source.pollMs ?? 250;
    for (;;) {
      while (running.size < jobs && !source.stopping()) {
        const next = await source.next();
        if (!next) break;
        const { task, context, executor } = next;
        const run = (async () => {
          let outcome: ExperimentOutcome;
          try {
            if (!executor.runExperiment) {
              throw new TvcError(
                'EXECUTOR_UNSUPPORTED',
                `the '${executor.name}' executor cannot run experiments`,
              );
            }
            outcome = await executor.runExperiment(task, context);
          } catch (error) {
            outcome = thrownOutcome(error);
          }
          await source.finished(task, outcome);
        })();
        const tracked: Promise<void> = run.finally(() => running.delete(tracked));
        running.add(tracked);
      }
      // nothing ready and nothing running (or stopping and the last one ended): done
      if (running.size === 0) return;
      await Promise.race([...running, sleep(pollMs)]);
    }
  }
}

/** Registers the `parallel` executor. */
export class ParallelExecutorPlugin {
  static readonly PLUGIN_NAME = 'tvc:executor-parallel';

  apply(tvc: Tvc): void {
    const executor = new ParallelExecutor(tvc);
    tvc.hooks.executor
      .for('parallel')
      .tap({ name: ParallelExecutorPlugin.PLUGIN_NAME, stage: HOOK_STAGE.BUILTIN }, () => executor);
  }
}
