import { type Tvc, TvcError } from '@tvc/core';
import type { DistributedQueue } from '@tvc/executor-bullmq';
import type { Io } from './io';

/** The queue's engine: `--executor`, else `queue.executor` in the tvc config, else the local queue's `temp`. */
export function queueExecutor(tvc: Tvc, option: string | undefined): string {
  const configured = tvc.config.queue?.executor;
  if (configured !== undefined && typeof configured !== 'string') {
    throw new TvcError('CONFIG_INVALID', 'invalid tvc config: queue.executor must be a string', {
      ...(tvc.configFile ? { location: { file: tvc.configFile } } : {}),
    });
  }
  return option ?? configured ?? 'temp';
}

/**
 * The distributed queue when the project chose it (`queue.executor: bullmq` or `--executor bullmq`),
 * else undefined: the local queue. BullMQ and Redis are loaded only in the first case.
 */
export async function distributedQueue(
  tvc: Tvc,
  io: Io,
  option?: string,
): Promise<DistributedQueue | undefined> {
  if (queueExecutor(tvc, option) !== 'bullmq') return undefined;
  const { openDistributedQueue } = await import('@tvc/executor-bullmq');
  return openDistributedQueue(tvc, io.env);
}

/** Runs `work` with the distributed queue and closes its connections after. */
export async function withDistributedQueue<T>(
  queue: DistributedQueue,
  work: (queue: DistributedQueue) => Promise<T>,
): Promise<T> {
  try {
    return await work(queue);
  } finally {
    await queue.close();
  }
}

/**
 * The distributed queue for `queue start`/`queue worker` given `only` experiment names: its
 * workers take every job, so names are refused (after closing the connections just opened).
 */
export async function distributedQueueForWorker(
  tvc: Tvc,
  io: Io,
  executor: string,
  only: readonly string[],
): Promise<DistributedQueue | undefined> {
  const distributed = await distributedQueue(tvc, io, executor);
  if (distributed && only.length > 0) {
    await distributed.close();
    throw new TvcError(
      'INVALID_ARGUMENT',
      "a distributed queue's worker takes every job: it cannot be given names",
      {
        hint: 'queue only the experiments to run, or remove the others with `tvc queue remove`',
      },
    );
  }
  return distributed;
}
