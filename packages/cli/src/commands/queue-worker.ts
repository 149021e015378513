import { runQueueWorker } from '@tvc/experiments';
import type { CommandContext } from '../context';
import { distributedQueueForWorker, queueExecutor, withDistributedQueue } from '../distributed-queue';
import { attachExperimentReporter } from '../experiment-log';
import { writeLine } from '../io';

/** The background worker: runs the queue until it is empty or stopped; SIGTERM kills what runs. */
export default async function queueWorker(
  context: CommandContext,
  only: string[],
  options: { jobs: string; executor?: string; keepFailed?: boolean; untilEmpty?: boolean },
): Promise<number> {
  const tvc = await context.tvc();
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const executor = queueExecutor(tvc, options.executor);
  const distributed = await distributedQueueForWorker(tvc, context.io, executor, only);
  if (distributed) {
    // SIGTERM: take nothing more, finish what runs, then exit
    const finished = await withDistributedQueue(distributed, (queue) => {
      writeLine(
        context.io.stdout,
        `${new Date().toISOString()} worker ${process.pid} on queue '${queue.settings.name}' at ${queue.settings.redis}`,
      );
      return queue.work({
        jobs: Math.max(1, Number(options.jobs) || 1),
        signal: controller.signal,
        untilEmpty: options.untilEmpty === true,
        attach: (experimentTvc, write) => attachExperimentReporter(experimentTvc, write, context.io.env),
        onEvent: (line) => writeLine(context.io.stdout, `${new Date().toISOString()} ${line}`),
      });
    });
    writeLine(context.io.stdout, `${new Date().toISOString()} worker done: ${finished} experiment(s)`);
    return 0;
  }
  const finished = await runQueueWorker(tvc, {
    jobs: Math.max(1, Number(options.jobs) || 1),
    only: only.length > 0 ? only : undefined,
    executor,
    keepFailed: options.keepFailed === true,
    signal: controller.signal,
    attach: (experimentTvc, write) => attachExperimentReporter(experimentTvc, write, context.io.env),
    onEvent: (event) =>
      writeLine(
        context.io.stdout,
        `${new Date().toISOString()} ${event.type} ${event.entry.name} ${event.entry.id}`,
      ),
  });
  writeLine(context.io.stdout, `${new Date().toISOString()} worker done: ${finished.length} experiment(s)`);
  return 0;
}
