import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { processGroup } from '@tvc/core';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalExecutor, shellCommand } from './local-executor';

/** Whether a process exists and has not ended (a zombie has ended). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function workspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tvc-local-'));
  dirs.push(dir);
  return dir;
}

describe('LocalExecutor', () => {
  it('runs commands in order in the working directory with the environment', async () => {
    const cwd = workspace();
    const output: string[] = [];
    const result = await new LocalExecutor().run(
      {
        id: 'x',
        commands: ['echo one > out.txt', 'echo "$DVC_STAGE" >> out.txt', 'cat out.txt'],
        cwd,
        env: { DVC_STAGE: 'train' },
      },
      { onOutput: (chunk) => output.push(chunk.toString()) },
    );
    expect(result).toEqual({ failedCommand: undefined, exitCode: 0, signal: null });
    expect(readFileSync(path.join(cwd, 'out.txt'), 'utf8')).toBe('one\ntrain\n');
    expect(output.join('')).toBe('one\ntrain\n');
  });

  it('stops at the first failing command and reports its index and exit code', async () => {
    const cwd = workspace();
    const result = await new LocalExecutor().run({
      id: 'x',
      commands: ['true', 'exit 3', 'touch never'],
      cwd,
      env: {},
    });
    expect(result).toEqual({ failedCommand: 1, exitCode: 3, signal: null });
  });

  it('runs commands in the caller’s process group, so that killing that group kills them', async () => {
    const cwd = workspace();
    const pids: number[] = [];
    let group: number | undefined;
    const result = await new LocalExecutor().run(
      { id: 'x', commands: ['sleep 0.3'], cwd, env: {} },
      {
        onSpawn: (index, pid) => {
          pids.push(index, pid);
          group = processGroup(pid);
        },
      },
    );
    expect(result.exitCode).toBe(0);
    expect(pids[0]).toBe(0);
    expect(pids[1]).toBeGreaterThan(0);
    if (processGroup(process.pid) !== undefined) expect(group).toBe(processGroup(process.pid));
  });

  it('kills everything the command started when aborted, background processes included', async () => {
    const cwd = workspace();
    const controller = new AbortController();
    const running = new LocalExecutor().run(
      { id: 'x', commands: ['sleep 30 & echo $! > bg.pid; sleep 30'], cwd, env: {} },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 300);
    const result = await running;
    expect(result.signal).toBe('SIGTERM');
    const background = Number(readFileSync(path.join(cwd, 'bg.pid'), 'utf8').trim());
    const until = Date.now() + 2000;
    while (alive(background) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(alive(background)).toBe(false);
  });

  it('kills what the command started even once its shell is gone (Ctrl+C reaches the shell first)', async () => {
    const cwd = workspace();
    const controller = new AbortController();
    let shell = 0;
    const started = Date.now();
    const running = new LocalExecutor().run(
      { id: 'x', commands: ['sleep 30 & echo $! > bg.pid; sleep 30'], cwd, env: {} },
      {
        signal: controller.signal,
        onSpawn: (_index, pid) => {
          shell = pid;
        },
      },
    );
    setTimeout(() => {
      process.kill(shell, 'SIGKILL'); // the background sleep is re-parented, still holding stdout
      setTimeout(() => controller.abort(), 100);
    }, 300);
    await running;
    expect(Date.now() - started).toBeLessThan(10_000);
    const background = Number(readFileSync(path.join(cwd, 'bg.pid'), 'utf8').trim());
    const until = Date.now() + 2000;
    while (alive(background) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(alive(background)).toBe(false);
  });

  it('kills the whole process tree when aborted', async () => {
    const cwd = workspace();
    const controller = new AbortController();
    const started = Date.now();
    const running = new LocalExecutor().run(
      { id: 'x', commands: ['sleep 30 & sleep 30; echo done > finished'], cwd, env: {} },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 200);
    const result = await running;
    expect(result.failedCommand).toBe(0);
    expect(result.signal).toBe('SIGTERM');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('chooses the shell as DVC does', () => {
    expect(shellCommand('ls', { SHELL: '/bin/bash' })).toEqual([
      '/bin/bash',
      ['--noprofile', '--norc', '-c', 'ls'],
    ]);
    expect(shellCommand('ls', { SHELL: '/usr/bin/zsh' })).toEqual(['/usr/bin/zsh', ['-c', 'ls']]);
    expect(shellCommand('ls', {})).toEqual(['/bin/sh', ['-c', 'ls']]);
  });
});
