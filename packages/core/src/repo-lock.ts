import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { TvcError } from './errors';
import { processStartTime, processZombie } from './process-tree';

export const REPO_LOCK_FILE = path.join('.dvc', 'tmp', 'tvc.lock');

/** Whether a process with this pid exists (one we may not signal counts). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process that wrote a lock or a record is still running: alive, not a zombie, and,
 * when its start time was recorded (Linux), not a later process that reuses its pid.
 */
export function ownerRunning(pid: number, start: string | undefined): boolean {
  if (!processAlive(pid) || processZombie(pid)) return false;
  if (start === undefined) return true;
  const now = processStartTime(pid);
  return now === undefined || now === start;
}

/**
 * An exclusive lock on the repository for commands that write (repro): a file created with
 * O_EXCL holding the owner's pid. A lock left by a process that died is taken over.
 */
export class RepoLock {
  readonly file: string;
  #held = false;

  private constructor(file: string) {
    this.file = file;
  }

  static acquire(root: string, command: string): RepoLock {
    const lock = new RepoLock(path.join(root, REPO_LOCK_FILE));
    mkdirSync(path.dirname(lock.file), { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(lock.file, 'wx');
        writeSync(
          fd,
          JSON.stringify({
            pid: process.pid,
            start: processStartTime(process.pid),
            command,
            since: new Date().toISOString(),
          }),
        );
        closeSync(fd);
        lock.#held = true;
        return lock;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        let owner: { pid?: number; start?: string; command?: string } = {};
        try {
          owner = JSON.parse(readFileSync(lock.file, 'utf8')) as typeof owner;
        } catch {
          // being written right now, or garbage: treat as held unless its writer is gone
        }
        if (owner.pid !== undefined && !ownerRunning(owner.pid, owner.start)) {
          rmSync(lock.file, { force: true });
          continue;
        }
        throw new TvcError(
          'REPO_LOCKED',
          `the repository is locked by another tvc process${owner.pid ? ` (pid ${owner.pid}, \`tvc ${owner.command ?? '?'}\`)` : ''}`,
          { hint: `wait for it to finish; if no tvc is running, remove ${REPO_LOCK_FILE}` },
        );
      }
    }
    throw new TvcError('REPO_LOCKED', 'the repository is locked by another tvc process');
  }

  release(): void {
    if (!this.#held) return;
    this.#held = false;
    rmSync(this.file, { force: true });
  }
}
