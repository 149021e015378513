import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { TvcError } from '@tvc/core';
import { queueLog, queueState } from '@tvc/experiments';
import type { CommandContext } from '../context';
import { distributedQueue, withDistributedQueue } from '../distributed-queue';

/** `tvc queue logs NAME [-f]`: the experiment's output; `-f` follows it until the experiment ends. */
export default async function queueLogs(
  context: CommandContext,
  query: string,
  options: { follow?: boolean },
): Promise<number> {
  const tvc = await context.tvc();
  const distributed = await distributedQueue(tvc, context.io);
  if (distributed) {
    return withDistributedQueue(distributed, async (queue) => {
      if (options.follow) {
        await queue.follow(query, (text) => context.io.stdout.write(text));
        return 0;
      }
      const { view, lines } = await queue.log(query);
      if (view.state === 'queued' && lines.length === 0) {
        throw new TvcError(
          'QUEUE_NOT_STARTED',
          `Experiment '${view.name}' is in queue but has not been started`,
        );
      }
      for (const line of lines) context.io.stdout.write(line);
      return 0;
    });
  }
  const { entry, log, path } = queueLog(tvc, query);
  if (entry.status === 'queued' && log === '' && !options.follow) {
    throw new TvcError(
      'QUEUE_NOT_STARTED',
      `Experiment '${entry.name}' is in queue but has not been started`,
    );
  }
  context.io.stdout.write(log);
  if (!options.follow) return 0;
  let offset = Buffer.byteLength(log);
  const buffer = Buffer.alloc(64 * 1024);
  for (;;) {
    let size = 0;
    try {
      size = statSync(path).size;
    } catch {
      size = 0;
    }
    if (size > offset) {
      const fd = openSync(path, 'r');
      try {
        while (offset < size) {
          const read = readSync(fd, buffer, 0, Math.min(buffer.length, size - offset), offset);
          if (read <= 0) break;
          context.io.stdout.write(buffer.subarray(0, read));
          offset += read;
        }
      } finally {
        closeSync(fd);
      }
      continue;
    }
    const now = (await queueState(tvc)).entries.find((candidate) => candidate.id === entry.id);
    if (!now || now.status === 'success' || now.status === 'failed') {
      let finalSize = 0;
      try {
        finalSize = statSync(path).size;
      } catch {}
      if (finalSize <= offset) return 0;
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
