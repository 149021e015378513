import { formatCreated, localIsoTime, type QueueEntry, queueState } from '@tvc/experiments';
import type { CommandContext } from '../context';
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
