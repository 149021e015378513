import { type ExperimentReproOptions, StageFailedError, type Tvc, TvcError } from '@tvc/core';
import {
  CheckpointRunError,
  type CheckpointRunInfo,
  dryRunExperiment,
  experimentExecutor,
  type QueueEntry,
  queueExperiments,
  runExperiment,
  runQueueWorker,
  runTempExperiment,
} from '@tvc/experiments';
import { yesNoPrompt } from '../ask';
import type { CommandContext } from '../context';
import { distributedQueue, withDistributedQueue } from '../distributed-queue';
import { attachExperimentReporter, linePrefixer } from '../experiment-log';
import { type Io, writeLine } from '../io';
import { ReproReporter } from '../reporter';
import { pullFirst } from './repro';

/** `repro`'s exit code for Ctrl+C (DVC's). */
const EXIT_INTERRUPTED = 252;

export interface ExpRunCommandOptions {
  readonly setParam?: string[];
  readonly name?: string;
  readonly message?: string;
  readonly force?: boolean;
  readonly queue?: boolean;
  readonly temp?: boolean;
  readonly runAll?: boolean;
  readonly retries?: string;
  readonly executor?: string;
  readonly singleItem?: boolean;
  readonly downstream?: boolean;
  readonly pipeline?: boolean;
  readonly allPipelines?: boolean;
  readonly runCache?: boolean;
  readonly glob?: boolean;
  readonly recursive?: boolean;
  readonly jobs?: string;
  readonly quiet?: boolean;
  readonly rev?: string;
  readonly reset?: boolean;
  readonly keepFailed?: boolean;
  readonly dry?: boolean;
  readonly keepGoing?: boolean;
  readonly ignoreErrors?: boolean;
  readonly forceDownstream?: boolean;
  readonly allowMissing?: boolean;
  readonly commit?: boolean;
  readonly interactive?: boolean;
  readonly pull?: boolean;
}

/** What `exp run` says as a checkpoint run starts (DVC 2's words). */
function checkpointStartLine(io: Io, name: string, checkpoints: CheckpointRunInfo | undefined): void {
  if (checkpoints?.reset) writeLine(io.stdout, 'Any existing checkpoints will be reset and re-run.');
  if (checkpoints?.resumedFrom) {
    writeLine(
      io.stdout,
      `Existing checkpoint experiment '${name}' will be resumed from '${checkpoints.resumedFrom.slice(0, 7)}'`,
    );
  }
}

/** The end of a failure message when checkpoints were kept. */
function keptCheckpoints(
  ref: string | undefined,
  sha: string | undefined,
  count: number | undefined,
): string {
  if (!ref || !sha) return '';
  const made = count ? `${count} checkpoint${count === 1 ? '' : 's'} made by this run, ` : '';
  return `; its checkpoints are kept (${made}${ref} is at ${sha.slice(0, 7)}) and the next \`tvc exp run\` continues from there`;
}

/** `tvc exp run`: `-S` overrides, reproduce, and record the result as an experiment commit. */
export default async function expRun(
  context: CommandContext,
  targets: string[],
  options: ExpRunCommandOptions,
): Promise<number> {
  const jobs = options.jobs === undefined ? 1 : Number(options.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new TvcError('INVALID_ARGUMENT', `--jobs must be a positive integer, not '${options.jobs}'`);
  }
  const retries = options.retries === undefined ? 0 : Number(options.retries);
  if (!Number.isInteger(retries) || retries < 0) {
    throw new TvcError(
      'INVALID_ARGUMENT',
      `--retries must be a non-negative integer, not '${options.retries}'`,
    );
  }
  if (options.retries !== undefined && !options.queue) {
    throw new TvcError('INVALID_ARGUMENT', '--retries applies to queued experiments: add --queue');
  }
  if (options.temp && options.queue) {
    throw new TvcError(
      'INVALID_ARGUMENT',
      '--temp and --queue cannot be used together: queued experiments always run in temporary workspaces',
    );
  }
  if (options.rev !== undefined && options.reset) {
    throw new TvcError('INVALID_ARGUMENT', '--reset and --rev are mutually exclusive.');
  }
  if (options.rev !== undefined && !(options.queue || options.temp)) {
    throw new TvcError('INVALID_ARGUMENT', '--rev can only be used in conjunction with --queue or --temp.');
  }
  if (options.runAll && targets.length > 0 && !options.queue) {
    throw new TvcError('INVALID_ARGUMENT', '--run-all runs the queue: targets and -S go with --queue');
  }
  const tvc = await context.tvc();
  const { io } = context;
  const repro: ExperimentReproOptions = {
    targets,
    force: options.force,
    single: options.singleItem,
    downstream: options.downstream,
    pipeline: options.pipeline,
    allPipelines: options.allPipelines,
    noRunCache: options.runCache === false,
    glob: options.glob,
    recursive: options.recursive,
    onError: options.ignoreErrors ? 'ignore' : options.keepGoing ? 'keep-going' : 'fail',
    forceDownstream: options.forceDownstream,
    allowMissing: options.allowMissing,
    noCommit: options.commit === false,
  };
  if (options.dry) {
    if (options.queue || options.runAll) {
      throw new TvcError('INVALID_ARGUMENT', '--dry cannot be combined with --queue or --run-all', {
        hint: 'a dry run prints what `tvc exp run` would run now; queue the experiment without --dry',
      });
    }
    if (!options.quiet) new ReproReporter(io).attach(tvc);
    const result = await dryRunExperiment(tvc, { ...repro, overrides: options.setParam ?? [], jobs });
    const failure = result.failures[0];
    if (failure && repro.onError !== 'ignore') throw failure.error;
    if (!options.quiet && result.reproduced.length === 0) {
      writeLine(io.stdout, 'Data and pipelines are up to date.');
    }
    return 0;
  }
  if ((options.interactive || options.pull) && (options.queue || options.temp || options.runAll)) {
    throw new TvcError(
      'INVALID_ARGUMENT',
      '--interactive and --pull apply to an experiment run in the workspace (not --queue, --temp or --run-all)',
    );
  }
  if (options.queue) {
    const queued = await queueExperiments(tvc, {
      overrides: options.setParam ?? [],
      name: options.name,
      message: options.message,
      force: options.force,
      rev: options.rev,
      reset: options.reset,
      retries,
      repro,
      onQueued: (entry, overrides) => {
        if (options.quiet) return;
        if (overrides.size > 0) {
          const described = [...overrides]
            .map(([file, list]) => `'${file}': [${list.map((item) => `'${item.text}'`).join(', ')}]`)
            .join(', ');
          writeLine(io.stdout, `Queueing with overrides '{${described}}'.`);
        }
        writeLine(io.stdout, `Queued experiment '${entry.name}' for future execution.`);
      },
    });
    // the distributed queue (queue.executor: bullmq): the entries become jobs any worker takes
    const distributed = options.runAll ? undefined : await distributedQueue(tvc, io);
    if (distributed) await withDistributedQueue(distributed, (queue) => queue.submit(queued));
    if (!options.runAll) return 0;
  }
  if (options.executor !== undefined && !options.temp && !options.runAll) {
    throw new TvcError(
      'INVALID_ARGUMENT',
      '--executor applies to --temp and --run-all (queued runs: `tvc queue start --executor`)',
    );
  }
  if (options.keepFailed && !options.temp && !options.runAll) {
    throw new TvcError(
      'INVALID_ARGUMENT',
      '--keep-failed applies to --temp and --run-all (queued runs: `tvc queue start --keep-failed`)',
    );
  }
  if (options.executor !== undefined) experimentExecutor(tvc, options.executor);
  if (options.runAll)
    return runAll(tvc, io, jobs, options.quiet === true, options.executor, options.keepFailed === true);
  if (options.temp) return runTemp(tvc, io, options, repro);
  if (options.pull) await pullFirst(context, targets, options);
  if (!options.quiet) new ReproReporter(io).attach(tvc);
  const prompt = options.interactive ? yesNoPrompt() : undefined;
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  let name: string | undefined;
  try {
    const result = await runExperiment(tvc, {
      ...repro,
      overrides: options.setParam ?? [],
      name: options.name,
      message: options.message,
      jobs,
      signal: controller.signal,
      reset: options.reset,
      confirm: prompt?.confirm,
      onStart: (chosen, checkpoints) => {
        name = chosen;
        if (options.quiet) return;
        checkpointStartLine(io, chosen, checkpoints);
        writeLine(io.stdout, `Reproducing experiment '${chosen}'`);
      },
      onCheckpoint: ({ sha }) => {
        if (!options.quiet) writeLine(io.stdout, `Checkpoint experiment iteration '${sha.slice(0, 7)}'.`);
      },
    });
    if (!options.quiet) {
      writeLine(io.stdout);
      writeLine(io.stdout, `Ran experiment(s): ${result.name}`);
      writeLine(io.stdout, 'Experiment results have been applied to your workspace.');
    }
    return 0;
  } catch (error) {
    if (name !== undefined && error instanceof CheckpointRunError) {
      const cause = error.cause;
      const exit = exitSuffix(cause instanceof StageFailedError ? cause.exitCode : undefined, error.message);
      throw new TvcError(
        error.code,
        `experiment '${name}' failed: ${error.message}${exit}${keptCheckpoints(error.ref, error.sha, error.count)}`,
        { hint: error.hint, location: error.location, cause: error },
      );
    }
    if (name !== undefined && error instanceof TvcError) {
      const exit = exitSuffix(error instanceof StageFailedError ? error.exitCode : undefined, error.message);
      throw new TvcError(
        error.code,
        `experiment '${name}' failed: ${error.message}${exit}; no experiment was recorded, the partial results are in the workspace`,
        { hint: error.hint, location: error.location, cause: error },
      );
    }
    throw error;
  } finally {
    prompt?.close();
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}

/** ` (exit code N)` when a command's exit code is known and `message` does not already say it. */
function exitSuffix(code: number | null | undefined, message: string | undefined): string {
  if (code === undefined || code === null || message?.includes(`code ${code}`)) return '';
  return ` (exit code ${code})`;
}

function applyHint(io: Io, names: readonly string[]): void {
  writeLine(io.stdout);
  writeLine(io.stdout, `Ran experiment(s): ${names.join(', ')}`);
  writeLine(io.stdout, 'To apply the results of an experiment to your workspace run:');
  writeLine(io.stdout);
  writeLine(io.stdout, '\ttvc exp apply <exp>');
}

/** Aborts `controller` on Ctrl+C / SIGTERM while `work` runs. */
async function interruptible<T>(
  work: (signal: AbortSignal) => Promise<T>,
  controller = new AbortController(),
): Promise<T> {
  const onInterrupt = () => controller.abort();
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}

/** `exp run --temp`: the experiment in a temporary workspace, in the foreground; the workspace is untouched. */
async function runTemp(
  tvc: Tvc,
  io: Io,
  options: ExpRunCommandOptions,
  repro: ExperimentReproOptions,
): Promise<number> {
  let name: string | undefined;
  const { outcome } = await interruptible((signal) =>
    runTempExperiment(tvc, {
      overrides: options.setParam ?? [],
      name: options.name,
      message: options.message,
      force: options.force,
      rev: options.rev,
      reset: options.reset,
      repro,
      executor: options.executor,
      keepFailed: options.keepFailed === true,
      signal,
      onStart: (chosen, checkpoints) => {
        name = chosen;
        if (!options.quiet) checkpointStartLine(io, chosen, checkpoints);
      },
      log: (chunk) => {
        if (!options.quiet) io.stdout.write(chunk);
      },
      onTvc: (experimentTvc) => {
        if (!options.quiet) attachExperimentReporter(experimentTvc, (text) => io.stdout.write(text), io.env);
      },
    }),
  );
  if (outcome.status === 'failed') {
    const error = outcome.error;
    const exit = exitSuffix(error?.exitCode, error?.message);
    throw new TvcError(
      error?.code ?? 'EXP_FAILED',
      outcome.ref
        ? `experiment '${name}' failed: ${error?.message ?? 'unknown error'}${exit}${keptCheckpoints(outcome.ref, outcome.sha, outcome.checkpoints)}` +
            (outcome.workspace ? `; the partial results are in ${outcome.workspace}` : '')
        : `experiment '${name}' failed: ${error?.message ?? 'unknown error'}${exit}; no experiment was recorded` +
            (outcome.workspace ? `, the partial results are in ${outcome.workspace}` : ''),
    );
  }
  if (!options.quiet) applyHint(io, [name!]);
  return 0;
}

/** `exp run --run-all`: the queue's experiments, in the foreground, up to `jobs` at once. */
async function runAll(
  tvc: Tvc,
  io: Io,
  jobs: number,
  quiet: boolean,
  executor: string | undefined,
  keepFailed: boolean,
): Promise<number> {
  const controller = new AbortController();
  const interrupted: string[] = [];
  const finished: QueueEntry[] = await interruptible(
    (signal) =>
      runQueueWorker(tvc, {
        jobs,
        signal,
        executor,
        keepFailed,
        attach: (experimentTvc, write, entry) => {
          const toTerminal = quiet
            ? () => {}
            : jobs > 1
              ? linePrefixer(`[${entry.name}] `, (text) => io.stdout.write(text))
              : (text: string) => io.stdout.write(text);
          attachExperimentReporter(
            experimentTvc,
            (text) => {
              write(text);
              toTerminal(text);
            },
            io.env,
          );
        },
        onEvent: (event) => {
          if (event.type === 'interrupted') interrupted.push(event.entry.name);
          if (quiet) return;
          if (event.type === 'start' && jobs === 1)
            writeLine(io.stdout, `Reproducing experiment '${event.entry.name}'`);
          if (event.type === 'start' && jobs > 1)
            writeLine(io.stdout, `[${event.entry.name}] Reproducing experiment '${event.entry.name}'`);
          if (event.type === 'retry')
            writeLine(
              io.stderr,
              `experiment '${event.entry.name}' failed; retrying (attempt ${event.entry.attempts + 1} of ${event.entry.retries + 1})`,
            );
        },
      }),
    controller,
  );
  const succeeded = finished.filter((entry) => entry.status === 'success').map((entry) => entry.name);
  const failed = finished.filter((entry) => entry.status === 'failed');
  if (controller.signal.aborted) {
    // as `repro`: 252, and what the interrupt stopped (queued again, not failed)
    if (!quiet && succeeded.length > 0) applyHint(io, succeeded);
    reportFailed(io, failed);
    const names = interrupted.map((name) => `'${name}'`).join(', ');
    writeLine(
      io.stderr,
      interrupted.length > 0
        ? `ERROR: interrupted by the user: experiment${interrupted.length === 1 ? '' : 's'} ${names} stopped and queued again (\`tvc exp run --run-all\` or \`tvc queue start\` runs ${interrupted.length === 1 ? 'it' : 'them'})`
        : 'ERROR: interrupted by the user',
    );
    return EXIT_INTERRUPTED;
  }
  if (finished.length === 0) {
    if (!quiet) writeLine(io.stdout, 'No queued experiments to run.');
    return 0;
  }
  if (!quiet && succeeded.length > 0) applyHint(io, succeeded);
  reportFailed(io, failed);
  return failed.length > 0 ? 1 : 0;
}

/** One `ERROR:` line per failed queued experiment, pointing at its log. */
function reportFailed(io: Io, failed: readonly QueueEntry[]): void {
  for (const entry of failed) {
    const error = entry.outcome?.error;
    const exit = exitSuffix(error?.exitCode, error?.message);
    writeLine(
      io.stderr,
      `ERROR: experiment '${entry.name}' failed: ${error?.message ?? 'unknown error'}${exit}${keptCheckpoints(entry.outcome?.ref, entry.outcome?.sha, entry.outcome?.checkpoints)}; see \`tvc queue logs ${entry.name}\``,
    );
  }
}
