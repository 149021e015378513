import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { TvcError } from '@tvc/core';
import { clearStop, experimentExecutor, findQueueEntry, QueueStore } from '@tvc/experiments';
import type { CommandContext } from '../context';
import { distributedQueueForWorker, queueExecutor, withDistributedQueue } from '../distributed-queue';
import { writeLine } from '../io';

/**
 * `tvc queue start [-j N] [NAMES…]`: launches a detached worker process (it outlives this command)
 * that runs the queue up to N at once, and waits until it has registered.
 */
export default async function queueStart(
  context: CommandContext,
  only: string[],
  options: { jobs: string; executor?: string; keepFailed?: boolean },
): Promise<number> {
  const jobs = Number(options.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new TvcError('INVALID_ARGUMENT', `--jobs must be a positive integer, not '${options.jobs}'`);
  }
  const tvc = await context.tvc();
  const executor = queueExecutor(tvc, options.executor);
  const store = new QueueStore(tvc.root);
  const distributed = await distributedQueueForWorker(tvc, context.io, executor, only);
  if (distributed) {
    // entries queued locally (before the project chose the distributed queue) become jobs too
    const local = store.list().filter((entry) => entry.status === 'queued');
    await withDistributedQueue(distributed, (queue) => queue.submit(local));
  } else {
    experimentExecutor(tvc, executor);
  }
  if (only.length > 0 && !distributed) {
    const entries = store.list();
    for (const query of only) {
      const entry = findQueueEntry(entries, query);
      if (!entry) throw new TvcError('QUEUE_NOT_FOUND', `'${query}' is not a queued experiment`);
    }
  }
  clearStop(tvc);
  mkdirSync(store.directory, { recursive: true });
  const logFile = path.join(store.directory, 'worker.log');
  const out = openSync(logFile, 'a');
  const bin = process.argv[1];
  if (!bin) throw new TvcError('INTERNAL', 'cannot find the tvc executable to start a worker');
  const child = spawn(
    process.execPath,
    [
      bin,
      'queue',
      'worker',
      '-j',
      String(jobs),
      '--executor',
      executor,
      ...(options.keepFailed ? ['--keep-failed'] : []),
      ...only,
    ],
    {
      cwd: tvc.root,
      detached: true,
      stdio: ['ignore', out, out],
      env: process.env,
    },
  );
  closeSync(out);
  child.unref();
  const pid = child.pid;
  // wait until it is on record, so `queue status` right after shows it
  const deadline = Date.now() + 10_000;
  while (pid !== undefined && Date.now() < deadline && !distributed) {
    if (store.workers().some((worker) => worker.pid === pid) || child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  writeLine(
    context.io.stdout,
    `Started '${jobs}' new experiments task queue worker${jobs === 1 ? '' : 's'}.`,
  );
  return 0;
}
