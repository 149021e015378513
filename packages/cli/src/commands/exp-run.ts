import { StageFailedError, TvcError } from '@tvc/core';
import { runExperiment } from '@tvc/experiments';
import type { CommandContext } from '../context';
import { writeLine } from '../io';
import { ReproReporter } from '../reporter';

export interface ExpRunCommandOptions {
  readonly setParam?: string[];
  readonly name?: string;
  readonly message?: string;
  readonly force?: boolean;
  readonly queue?: boolean;
  readonly singleItem?: boolean;
  readonly downstream?: boolean;
  readonly pipeline?: boolean;
  readonly allPipelines?: boolean;
  readonly runCache?: boolean;
  readonly glob?: boolean;
  readonly recursive?: boolean;
  readonly jobs?: string;
  readonly quiet?: boolean;
}

/** `tvc exp run`: `-S` overrides, reproduce, and record the result as an experiment commit. */
export default async function expRun(
  context: CommandContext,
  targets: string[],
  options: ExpRunCommandOptions,
): Promise<number> {
  if (options.queue) {
    throw new TvcError('NOT_IMPLEMENTED', '`tvc exp run --queue` is not available yet', {
      hint: 'run the experiments one by one without --queue',
    });
  }
  const tvc = await context.tvc();
  const { io } = context;
  if (!options.quiet) new ReproReporter(io).attach(tvc);
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  const jobs = options.jobs === undefined ? 1 : Number(options.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new TvcError('INVALID_ARGUMENT', `--jobs must be a positive integer, not '${options.jobs}'`);
  }
  let name: string | undefined;
  try {
    const result = await runExperiment(tvc, {
      targets,
      overrides: options.setParam ?? [],
      name: options.name,
      message: options.message,
      force: options.force,
      single: options.singleItem,
      downstream: options.downstream,
      pipeline: options.pipeline,
      allPipelines: options.allPipelines,
      noRunCache: options.runCache === false,
      glob: options.glob,
      recursive: options.recursive,
      jobs,
      signal: controller.signal,
      onStart: (chosen) => {
        name = chosen;
        if (!options.quiet) writeLine(io.stdout, `Reproducing experiment '${chosen}'`);
      },
    });
    if (!options.quiet) {
      writeLine(io.stdout);
      writeLine(io.stdout, `Ran experiment(s): ${result.name}`);
      writeLine(io.stdout, 'Experiment results have been applied to your workspace.');
    }
    return 0;
  } catch (error) {
    if (name !== undefined && error instanceof TvcError) {
      const exit =
        error instanceof StageFailedError && error.exitCode !== null ? ` (exit code ${error.exitCode})` : '';
      throw new TvcError(
        error.code,
        `experiment '${name}' failed: ${error.message}${exit}; no experiment was recorded, the partial results are in the workspace`,
        { hint: error.hint, location: error.location, cause: error },
      );
    }
    throw error;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}
