import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processAlive } from '@tvc/core';

/** Where temporary workspaces are made, under the DVC root (as DVC's `.dvc/tmp/exps/tmpXXXX`). */
export const TEMP_WORKSPACES = '.dvc/tmp/exps';

/**
 * The file, inside a temporary workspace's `.git`, that says which tvc process made it and whether
 * it is kept. A copy without it (DVC's own executor uses the same directory) is never touched.
 */
export const WORKSPACE_OWNER_FILE = 'tvc-owner';

interface OwnerRecord {
  readonly pid: number;
  /** Kept on request (`--keep-failed`) for its partial results: not swept. */
  readonly keep?: boolean;
}

function ownerPath(directory: string): string {
  return path.join(directory, '.git', WORKSPACE_OWNER_FILE);
}

function readOwner(directory: string): OwnerRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(ownerPath(directory), 'utf8')) as OwnerRecord;
    return Number.isInteger(record.pid) ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Marks a new temporary workspace as this process's (before anything else is put in it). */
export function claimWorkspace(directory: string, pid = process.pid): void {
  mkdirSync(path.join(directory, '.git'), { recursive: true });
  writeFileSync(ownerPath(directory), `${JSON.stringify({ pid } satisfies OwnerRecord)}\n`);
}

/** Keeps a failed experiment's workspace for its partial results (`--keep-failed`): never swept. */
export function keepWorkspace(directory: string): void {
  if (!existsSync(directory)) return;
  const pid = readOwner(directory)?.pid ?? process.pid;
  mkdirSync(path.join(directory, '.git'), { recursive: true });
  writeFileSync(ownerPath(directory), `${JSON.stringify({ pid, keep: true } satisfies OwnerRecord)}\n`);
}

export function removeWorkspace(directory: string): void {
  rmSync(directory, { recursive: true, force: true });
}

/**
 * Removes the temporary workspaces tvc made whose process is gone (killed, or the machine went
 * down) and that were not kept on request. Run by every queue command. Returns their paths.
 */
export function sweepWorkspaces(dvcRoot: string): string[] {
  const parent = path.join(dvcRoot, TEMP_WORKSPACES);
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith('tmp')) continue;
    const directory = path.join(parent, name);
    const owner = readOwner(directory);
    if (!owner || owner.keep || processAlive(owner.pid)) continue;
    removeWorkspace(directory);
    removed.push(directory);
  }
  return removed;
}
