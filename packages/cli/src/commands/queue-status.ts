import type { DistributedQueue } from '@tvc/executor-bullmq';
import { formatCreated, localIsoTime, type QueueEntry, queueState } from '@tvc/experiments';
import type { CommandContext } from '../context';
import { distributedQueue, withDistributedQueue } from '../distributed-queue';
import { writeLine } from '../io';
import { renderTable } from '../render/table';

const ORDER: Record<QueueEntry['status'], number> = { running: 0, queued: 1, failed: 2, success: 3 };
const LABEL: Record<QueueEntry['status'], string> = {
  running: 'Running',
  queued: 'Queued',
  failed: 'Failed',
  success: 'Success',
};

/** `tvc queue status`: DVC's table (Task, Name, Created, Status), then the worker count. */
export default async function queueStatus(
  context: CommandContext,
  options: { json?: boolean },
): Promise<number> {
  const tvc = await context.tvc();
  const distributed = await distributedQueue(tvc, context.io);
  if (distributed)
    return withDistributedQueue(distributed, (queue) => distributedStatus(context, queue, options));
  const { entries, workers } = await queueState(tvc);
  const sorted = [...entries].sort((a, b) => ORDER[a.status] - ORDER[b.status]);
  const slots = workers.reduce((sum, worker) => sum + worker.jobs, 0);
  const running = entries.filter((entry) => entry.status === 'running').length;
  const active = Math.min(running, slots);
  if (options.json) {
    writeLine(
      context.io.stdout,
      JSON.stringify(
        {
          tasks: sorted.map((entry) => ({
            rev: entry.id,
            name: entry.name,
            created: entry.created,
            status: LABEL[entry.status],
            attempts: entry.attempts,
            error: entry.outcome?.error?.message ?? null,
            ref: entry.outcome?.ref ?? null,
          })),
          workers: { active, idle: slots - active, pids: workers.map((worker) => worker.pid) },
        },
        null,
        2,
      ),
    );
    return 0;
  }
  if (sorted.length > 0) {
    const now = new Date();
    const rows = sorted.map((entry) => [
      entry.id.slice(0, 7),
      entry.name,
      formatCreated(localIsoTime(Date.parse(entry.created) / 1000), '-', false, now),
      LABEL[entry.status],
    ]);
    writeLine(context.io.stdout, renderTable(['Task', 'Name', 'Created', 'Status'], rows));
  } else {
    writeLine(context.io.stdout, 'No experiment tasks in the queue.');
  }
  writeLine(context.io.stdout);
  writeLine(context.io.stdout, `Worker status: ${active} active, ${slots - active} idle`);
  return 0;
}

/**
 * The distributed queue's status: every job with the worker (`host:pid`) running it or that ran it,
 * then the live workers. Finished experiments missing here are fetched from the git remote first.
 */
async function distributedStatus(
  context: CommandContext,
  queue: DistributedQueue,
  options: { json?: boolean },
): Promise<number> {
  const views = await queue.list();
  const fetched = await queue.fetchResults(views);
  const workers = await queue.workers();
  const slots = workers.reduce((sum, worker) => sum + worker.jobs, 0);
  const busy = workers.reduce((sum, worker) => sum + worker.active.length, 0);
  const sorted = [...views].sort((a, b) => ORDER[a.state] - ORDER[b.state]);
  if (options.json) {
    writeLine(
      context.io.stdout,
      JSON.stringify(
        {
          tasks: sorted.map((view) => ({
            rev: view.id,
            name: view.name,
            created: view.created,
            status: LABEL[view.state],
            worker: view.worker ?? null,
            attempts: view.attempts,
            error: view.error ?? null,
            ref: view.result?.ref ?? null,
            sha: view.result?.sha ?? null,
          })),
          workers: { active: busy, idle: Math.max(0, slots - busy), live: workers },
          fetched,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  if (sorted.length > 0) {
    const now = new Date();
    const rows = sorted.map((view) => [
      view.id.slice(0, 7),
      view.name,
      formatCreated(localIsoTime(Date.parse(view.created) / 1000), '-', false, now),
      LABEL[view.state],
      view.worker ?? '',
    ]);
    writeLine(context.io.stdout, renderTable(['Task', 'Name', 'Created', 'Status', 'Worker'], rows));
  } else {
    writeLine(context.io.stdout, 'No experiment tasks in the queue.');
  }
  writeLine(context.io.stdout);
  writeLine(context.io.stdout, `Worker status: ${busy} active, ${Math.max(0, slots - busy)} idle`);
  for (const worker of workers) {
    writeLine(
      context.io.stdout,
      `  ${worker.worker} (-j ${worker.jobs})${worker.active.length > 0 ? `: running ${worker.active.join(', ')}` : ''}`,
    );
  }
  if (fetched.length > 0) {
    writeLine(
      context.io.stdout,
      `Fetched ${fetched.length} finished experiment${fetched.length === 1 ? '' : 's'} from '${queue.settings.gitRemote}'.`,
    );
  }
  return 0;
}
