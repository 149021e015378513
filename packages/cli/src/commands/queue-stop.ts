import { stopQueue } from '@tvc/experiments';
import type { CommandContext } from '../context';
import { distributedQueue, withDistributedQueue } from '../distributed-queue';
import { writeLine } from '../io';

/** `tvc queue stop [--kill]`. */
export default async function queueStop(
  context: CommandContext,
  options: { kill?: boolean },
): Promise<number> {
  const tvc = await context.tvc();
  const distributed = await distributedQueue(tvc, context.io);
  if (distributed) await withDistributedQueue(distributed, (queue) => queue.stop(options.kill === true));
  else stopQueue(tvc, options.kill === true);
  writeLine(
    context.io.stdout,
    options.kill
      ? 'All running tasks in the queue have been killed.Queue workers are stopping.'
      : 'Queue workers will stop after running tasks finish.',
  );
  return 0;
}
