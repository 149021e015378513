import { configFlag, readDvcConfig, reproduce, type StageOutcome, TvcError } from '@tvc/core';
import { yesNoPrompt } from '../ask';
import type { CommandContext } from '../context';
import { writeLine, writeTrackingHint } from '../io';
import { ReproReporter } from '../reporter';

export interface ReproCommandOptions {
  readonly force?: boolean;
  readonly singleItem?: boolean;
  readonly downstream?: boolean;
  readonly pipeline?: boolean;
  readonly allPipelines?: boolean;
  readonly dry?: boolean;
  readonly keepGoing?: boolean;
  readonly ignoreErrors?: boolean;
  readonly forceDownstream?: boolean;
  readonly interactive?: boolean;
  readonly runCache?: boolean;
  readonly glob?: boolean;
  readonly recursive?: boolean;
  readonly jobs?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly pull?: boolean;
  readonly allowMissing?: boolean;
  readonly trace?: boolean;
  readonly commit?: boolean;
}

/**
 * `repro --pull`: before reproducing, the missing data of the stages in scope is pulled from the
 * default remote, so stages whose only change is data missing locally are not run again. What
 * cannot be pulled (no remote, objects not pushed, workspace changes) is a warning: the stages
 * that need it run as usual.
 */
export async function pullFirst(
  context: CommandContext,
  targets: string[],
  options: Pick<ReproCommandOptions, 'singleItem' | 'quiet'>,
): Promise<void> {
  const tvc = await context.tvc();
  const { pullData } = await import('@tvc/data');
  try {
    const result = await pullData(tvc, {
      targets: targets.filter((target) => !/(^|\/)dvc\.yaml$/.test(target)),
      withDeps: !options.singleItem,
    });
    const failed = [...result.fetch.failed.map((failure) => failure.key), ...result.checkout.failed];
    if (failed.length > 0 && !options.quiet) {
      context.io.stderr.write(`WARNING: Unable to pull data for: ${failed.join(', ')}\n`);
    }
  } catch (error) {
    if (!(error instanceof TvcError)) throw error;
    if (!options.quiet) context.io.stderr.write(`WARNING: Unable to pull data: ${error.message}\n`);
  }
}

function parseJobs(value: string | undefined): number {
  if (value === undefined) return 1;
  const jobs = Number(value);
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new TvcError('INVALID_ARGUMENT', `--jobs must be a positive integer, not '${value}'`);
  }
  return jobs;
}

/** `tvc repro`: reproduce what changed; Ctrl+C stops the running stages and keeps the repo consistent. */
export default async function repro(
  context: CommandContext,
  targets: string[],
  options: ReproCommandOptions,
): Promise<number> {
  const tvc = await context.tvc();
  const jobs = parseJobs(options.jobs);
  const { io } = context;
  if (options.pull && !options.dry) await pullFirst(context, targets, options);
  // --trace: the stage commands run under strace (packages/lint); refused before anything runs without it.
  const tracer = options.trace && !options.dry ? (await import('@tvc/lint')).Tracer.start(tvc) : undefined;
  if (!options.json && !options.quiet) new ReproReporter(io).attach(tvc);
  const controller = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts += 1;
    if (interrupts === 1) {
      io.stderr.write('\nInterrupted: stopping the running stages (press Ctrl+C again to stop at once)\n');
      controller.abort();
    } else {
      process.exit(252);
    }
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  const prompt = options.interactive ? yesNoPrompt() : undefined;
  try {
    const result = await reproduce(tvc, {
      targets,
      force: options.force,
      single: options.singleItem,
      downstream: options.downstream,
      pipeline: options.pipeline,
      allPipelines: options.allPipelines,
      dry: options.dry,
      noCommit: options.commit === false,
      allowMissing: options.allowMissing,
      onError: options.ignoreErrors ? 'ignore' : options.keepGoing ? 'keep-going' : 'fail',
      forceDownstream: options.forceDownstream,
      noRunCache: options.runCache === false,
      glob: options.glob,
      recursive: options.recursive,
      jobs,
      signal: controller.signal,
      confirm: prompt?.confirm,
    });
    if (controller.signal.aborted) throw new TvcError('INTERRUPTED', 'interrupted by the user');
    const trace = tracer ? await tracer.report() : undefined;
    const traceCode = trace && trace.summary.errors + trace.summary.warnings > 0 ? 1 : 0;
    if (options.json) {
      const outcomes: Record<string, StageOutcome> = {};
      for (const [stage, outcome] of result.outcomes) outcomes[stage.addressing] = outcome;
      writeLine(
        io.stdout,
        JSON.stringify({ outcomes, changedFiles: result.changedFiles, ...(trace ? { trace } : {}) }, null, 2),
      );
      return traceCode;
    }
    if (trace) {
      const { formatText } = await import('@tvc/lint');
      const traced = trace.traced.length;
      io.stdout.write(
        traced === 0
          ? 'Trace: no stage ran, nothing was traced (use -f to run and trace every stage).\n'
          : `Trace of ${traced} stage${traced === 1 ? '' : 's'} (strace):\n${formatText(trace)}`,
      );
    }
    if (options.quiet) return traceCode;
    if (result.changedFiles.length > 0 && !options.dry) {
      const config = readDvcConfig(tvc.root);
      if (configFlag(config, 'core', 'autostage') && tvc.scmRoot) {
        const { simpleGit } = await import('simple-git');
        await simpleGit(tvc.root).add([...result.changedFiles]);
      } else if (tvc.scmRoot) {
        writeTrackingHint(io.stdout, result.changedFiles);
      }
    }
    // DVC's closing line, dry runs included.
    if (result.reproduced.length === 0) writeLine(io.stdout, 'Data and pipelines are up to date.');
    else writeLine(io.stdout, 'Use `tvc push` to send your updates to remote storage.');
    return traceCode;
  } catch (error) {
    if (controller.signal.aborted) {
      io.stderr.write('ERROR: interrupted by the user\n');
      return 252;
    }
    throw error;
  } finally {
    prompt?.close();
    tracer?.close();
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}
