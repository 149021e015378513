import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processStartTime } from './process-tree';
import { REPO_LOCK_FILE, RepoLock } from './repo-lock';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function lockedBy(owner: Record<string, unknown>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tvc-lock-'));
  roots.push(root);
  mkdirSync(path.join(root, '.dvc', 'tmp'), { recursive: true });
  writeFileSync(path.join(root, REPO_LOCK_FILE), JSON.stringify({ command: 'repro', ...owner }));
  return root;
}

describe('RepoLock', () => {
  it('is refused while its owner runs', () => {
    const root = lockedBy({ pid: process.pid, start: processStartTime(process.pid) });
    expect(() => RepoLock.acquire(root, 'repro')).toThrow(/locked by another tvc process \(pid \d+/);
  });

  it.runIf(processStartTime(process.pid) !== undefined)(
    'is taken over when its pid now belongs to a later process (the start time differs)',
    () => {
      const root = lockedBy({ pid: process.pid, start: 'an earlier process' });
      const lock = RepoLock.acquire(root, 'repro');
      lock.release();
    },
  );
});
