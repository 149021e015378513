import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type QueueEntry, QueueStore } from './queue-store';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function store(): QueueStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'tvc-queue-'));
  dirs.push(dir);
  return new QueueStore(dir);
}

/** A pid that is certainly not running: a child that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

const entry = (id: string, created: string, extra: Partial<QueueEntry> = {}): QueueEntry => ({
  id,
  name: `exp-${id}`,
  baseline: 'b'.repeat(40),
  created,
  status: 'queued',
  repro: {},
  retries: 0,
  attempts: 0,
  ...extra,
});

describe('QueueStore', () => {
  it('serialises concurrent read-modify-write under its lock', async () => {
    const queue = store();
    const counter = path.join(queue.directory, 'counter');
    mkdirSync(queue.directory, { recursive: true });
    writeFileSync(counter, '0');
    await Promise.all(
      Array.from({ length: 40 }, () =>
        queue.locked(async () => {
          const value = Number(readFileSync(counter, 'utf8'));
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
          writeFileSync(counter, String(value + 1));
        }),
      ),
    );
    expect(readFileSync(counter, 'utf8')).toBe('40');
  });

  it('takes over a lock left by a dead process; a live owner makes it wait, then fail', async () => {
    const queue = store();
    mkdirSync(queue.directory, { recursive: true });
    writeFileSync(path.join(queue.directory, 'lock'), String(deadPid()));
    expect(await queue.locked(() => 'got it')).toBe('got it');
    writeFileSync(path.join(queue.directory, 'lock'), String(process.ppid));
    await expect(queue.locked(() => 'never', 100)).rejects.toThrow(
      /the experiment queue is locked by process/,
    );
  });

  it('lists entries oldest first and fails running ones whose worker died, keeping the rest', async () => {
    const queue = store();
    await queue.put(entry('b2', '2026-11-25T02:00:02.000Z'));
    await queue.put(entry('a1', '2026-11-25T02:00:01.000Z', { status: 'running', worker: deadPid() }));
    await queue.put(entry('c3', '2026-11-25T02:00:03.000Z', { status: 'running', worker: process.pid }));
    expect(queue.list().map((item) => item.id)).toEqual(['a1', 'b2', 'c3']);
    const recovered = await queue.recover();
    expect(recovered.map((item) => item.id)).toEqual(['a1']);
    expect(queue.get('a1')).toMatchObject({
      status: 'failed',
      outcome: { status: 'failed', error: { code: 'WORKER_DIED' } },
    });
    expect(queue.get('c3')?.status).toBe('running');
    expect(queue.get('b2')?.status).toBe('queued');
  });

  it('keeps only live workers on record', async () => {
    const queue = store();
    await queue.putWorker({ pid: deadPid(), jobs: 1, started: 'x', active: [] });
    await queue.putWorker({ pid: process.pid, jobs: 2, started: 'y', active: ['a'] });
    expect(queue.workers().map((worker) => worker.pid)).toEqual([process.pid]);
    await queue.recover();
    expect(queue.workers(false).map((worker) => worker.pid)).toEqual([process.pid]);
  });
});
