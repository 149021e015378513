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
