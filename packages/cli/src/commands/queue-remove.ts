import { TvcError } from '@tvc/core';
import { removeQueued } from '@tvc/experiments';
import type { CommandContext } from '../context';
import { distributedQueue, withDistributedQueue } from '../distributed-queue';
import { writeLine } from '../io';

export interface QueueRemoveOptions {
  readonly all?: boolean;
  readonly queued?: boolean;
  readonly success?: boolean;
  readonly failed?: boolean;
}

/** `tvc queue remove [--all | --queued | --success | --failed | NAMES…]`. */
export default async function queueRemove(
  context: CommandContext,
  names: string[],
  options: QueueRemoveOptions,
): Promise<number> {
  const flag = Boolean(options.all || options.queued || options.success || options.failed);
  if (flag === names.length > 0) {
    throw new TvcError(
      'USAGE',
      'Either provide an `tasks` argument, or use the `--all`, `--queued`, `--failed`, `--success` flag.',
    );
  }
  const tvc = await context.tvc();
  const distributed = await distributedQueue(tvc, context.io);
  const removed = distributed
    ? await withDistributedQueue(distributed, (queue) => queue.remove({ ...options, names }))
    : await removeQueued(tvc, { ...options, names });
  writeLine(
    context.io.stdout,
    removed.length > 0
      ? `Removed tasks in queue: ${removed.join(', ')}`
      : `No tasks found named ${names.length ? `[${names.map((n) => `'${n}'`).join(', ')}]` : '[]'}`,
  );
  return 0;
}
