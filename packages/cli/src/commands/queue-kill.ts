import { killQueued, queueState } from '@tvc/experiments';
import type { CommandContext } from '../context';
import { distributedQueue, withDistributedQueue } from '../distributed-queue';
import { writeLine } from '../io';

/** `tvc queue kill NAMES…`: the workers kill them (SIGTERM to their commands, SIGKILL after 3 s). */
export default async function queueKill(context: CommandContext, queries: string[]): Promise<number> {
  const tvc = await context.tvc();
  const distributed = await distributedQueue(tvc, context.io);
  if (distributed) {
    const killed = await withDistributedQueue(distributed, (queue) => queue.kill(queries));
    for (const view of killed) writeLine(context.io.stdout, `Killed experiment '${view.name}'.`);
    return 0;
  }
  const entries = await killQueued(tvc, queries);
  const ids = new Set(entries.map((entry) => entry.id));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const running = (await queueState(tvc)).entries.filter(
      (entry) => ids.has(entry.id) && entry.status === 'running',
    );
    if (running.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const entry of entries) writeLine(context.io.stdout, `Killed experiment '${entry.name}'.`);
  return 0;
}
