import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claimWorkspace, keepWorkspace, sweepWorkspaces, TEMP_WORKSPACES } from './temp-workspaces';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

function workspace(root: string, name: string): string {
  const directory = path.join(root, TEMP_WORKSPACES, name);
  mkdirSync(directory, { recursive: true });
  return directory;
}

describe('sweepWorkspaces', () => {
  it('removes copies of dead tvc processes; keeps live ones, kept ones and copies tvc did not make', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'tvc-sweep-'));
    roots.push(root);
    const dead = deadPid();
    claimWorkspace(workspace(root, 'tmpdead'), dead);
    claimWorkspace(workspace(root, 'tmplive'));
    const kept = workspace(root, 'tmpkept');
    claimWorkspace(kept, dead);
    keepWorkspace(kept);
    workspace(root, 'tmpdvc'); // DVC's executor: no owner file
    workspace(root, 'tvc-queue');
    expect(sweepWorkspaces(root)).toEqual([path.join(root, TEMP_WORKSPACES, 'tmpdead')]);
    expect(readdirSync(path.join(root, TEMP_WORKSPACES)).sort()).toEqual([
      'tmpdvc',
      'tmpkept',
      'tmplive',
      'tvc-queue',
    ]);
  });

  it('does nothing without the directory', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'tvc-sweep-'));
    roots.push(root);
    expect(sweepWorkspaces(root)).toEqual([]);
    expect(existsSync(path.join(root, TEMP_WORKSPACES))).toBe(false);
  });
});
