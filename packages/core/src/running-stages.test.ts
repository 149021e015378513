import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clearRunning, describeStaleRun, recordRunning, staleRuns } from './running-stages';

const roots: string[] = [];
const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function repository(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tvc-running-'));
  roots.push(root);
  return root;
}

/** A pid no process has any more. */
function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
}

describe('running-stage records', () => {
  it('a record of this process is a run in progress until cleared', () => {
    const root = repository();
    const child = spawn('sleep', ['5']);
    children.push(child);
    recordRunning(root, 'sub/dvc.yaml:train', 'sleep 5', child.pid!);
    const [run] = staleRuns(root);
    expect(run?.state).toBe('running');
    expect(run?.record).toMatchObject({ stage: 'sub/dvc.yaml:train', pid: child.pid, owner: process.pid });
    clearRunning(root, 'sub/dvc.yaml:train');
    expect(staleRuns(root)).toEqual([]);
  });

  it('tells a command left running by a dead tvc from one that died with it', () => {
    const root = repository();
    const child = spawn('sleep', ['5']);
    children.push(child);
    const owner = deadPid();
    // written as if by `owner`, since gone
    recordRunning(root, 'left', 'sleep 5', child.pid!);
    recordRunning(root, 'gone', 'true', deadPid());
    for (const name of ['left.json', 'gone.json']) {
      const file = path.join(root, '.dvc', 'tmp', 'tvc-running', name);
      const record = JSON.parse(readFileSync(file, 'utf8'));
      writeFileSync(file, JSON.stringify({ ...record, owner, ownerStart: undefined }));
    }
    const runs = new Map(staleRuns(root).map((run) => [run.record.stage, run]));
    expect(runs.get('left')?.state).toBe('orphaned');
    expect(runs.get('left')?.pids[0]).toBe(child.pid);
    expect(describeStaleRun(runs.get('left')!)).toContain(
      `stage 'left' is still running: its command (pid ${child.pid})`,
    );
    expect(runs.get('gone')?.state).toBe('interrupted');
    expect(describeStaleRun(runs.get('gone')!)).toContain("stage 'gone' was interrupted");
  });
});
