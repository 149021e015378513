import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkpointSignalPath, watchCheckpoints } from './checkpoint-signal';
import type { Executor } from './executor';
import { LockFile } from './lockfile';
import { reproduce } from './repro';
import { StatusChecker } from './status';
import { makeRepo } from './test-repo';
import { Tvc } from './tvc';
import { Workspace } from './workspace';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A `local` executor for core's own tests: `sh -c`, killed on abort. */
const shellExecutor: Executor = {
  specificationVersion: 'v1',
  name: 'local',
  supports: (capability) => capability === 'commands',
  async run(task, context) {
    for (const [index, command] of task.commands.entries()) {
      const child = spawn('/bin/sh', ['-c', command], {
        cwd: task.cwd,
        env: { ...process.env, ...task.env },
        stdio: 'ignore',
      });
      const kill = () => child.kill('SIGTERM');
      context.signal?.addEventListener('abort', kill, { once: true });
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        child.on('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
      );
      context.signal?.removeEventListener('abort', kill);
      if (code !== 0) return { failedCommand: index, exitCode: code, signal };
    }
    return { failedCommand: undefined, exitCode: 0, signal: null };
  },
};

async function open(files: Record<string, string>) {
  const { root, cleanup } = makeRepo(files);
  cleanups.push(cleanup);
  const tvc = await Tvc.open({
    cwd: root,
    plugins: [(tvc: Tvc) => void tvc.hooks.executor.for('local').tap('test', () => shellExecutor)],
  });
  return { root, tvc };
}

// Counts from the number in `n` (0 when missing) to 3, signalling a checkpoint after each step.
const LOOP = `i=$(cat n 2>/dev/null || echo 0); while [ "$i" -lt 3 ]; do i=$((i+1)); echo "$i" > n; echo "$DVC_CHECKPOINT $TVC_CHECKPOINT_PID" > flag; if [ -n "$TVC_CHECKPOINT_FILE" ]; then touch "$TVC_CHECKPOINT_FILE"; while [ -e "$TVC_CHECKPOINT_FILE" ]; do sleep 0.02; done; fi; done`;

const PIPELINE = `stages:
  train:
    cmd: ${JSON.stringify(LOOP)}
    outs:
    - n:
        checkpoint: true
`;

describe('watchCheckpoints', () => {
  it('records a signalled checkpoint, then removes the signal file', async () => {
    const { root } = await open({});
    const file = checkpointSignalPath(root);
    let calls = 0;
    const watch = await watchCheckpoints(file, {
      pollMs: 10,
      onSignal: async () => void calls++,
      onError: () => {},
    });
    writeFileSync(file, '');
    for (let waited = 0; existsSync(file) && waited < 2000; waited += 10) await sleep(10);
    expect(existsSync(file)).toBe(false);
    expect(calls).toBe(1);
    await watch.stop();
  });

  it('reports a failed checkpoint and still removes the signal file', async () => {
    const { root } = await open({});
    const file = checkpointSignalPath(root);
    const errors: unknown[] = [];
    const watch = await watchCheckpoints(file, {
      pollMs: 10,
      onSignal: async () => {
        throw new Error('no space');
      },
      onError: (error) => errors.push(error),
    });
    writeFileSync(file, '');
    for (let waited = 0; existsSync(file) && waited < 2000; waited += 10) await sleep(10);
    expect(existsSync(file)).toBe(false);
    expect((errors[0] as Error).message).toBe('no space');
    await watch.stop();
  });
});

describe('reproduce with checkpoints', () => {
  it('records the outputs and the lock entry at each checkpoint, before the command continues', async () => {
    const { root, tvc } = await open({ 'dvc.yaml': PIPELINE });
    const seen: string[] = [];
    await reproduce(tvc, {
      checkpointPollMs: 10,
      checkpoint: async ({ stage }) => {
        const lock = await LockFile.read(path.join(root, 'dvc.lock'), 'dvc.lock');
        const md5 = lock.get(stage.name)?.outs?.[0]?.md5;
        seen.push(`${readFileSync(path.join(root, 'n'), 'utf8').trim()}:${md5 !== undefined}`);
        expect(
          existsSync(path.join(root, '.dvc', 'cache', 'files', 'md5', md5!.slice(0, 2), md5!.slice(2))),
        ).toBe(true);
      },
    });
    expect(seen).toEqual(['1:true', '2:true', '3:true']);
    expect(readFileSync(path.join(root, 'flag'), 'utf8')).toBe(`1 ${process.pid}\n`);
    expect(existsSync(checkpointSignalPath(root))).toBe(false);
  });

  it('keeps checkpoint outputs (persist) and always reruns the stage', async () => {
    const { root, tvc } = await open({ 'dvc.yaml': PIPELINE, n: '2\n' });
    const seen: string[] = [];
    const checkpoint = async () => void seen.push(readFileSync(path.join(root, 'n'), 'utf8').trim());
    await reproduce(tvc, { checkpointPollMs: 10, checkpoint });
    expect(seen).toEqual(['3']); // resumed from the 2 already there
    const workspace = new Workspace(root);
    try {
      const pipeline = await tvc.loadPipeline();
      const status = await new StatusChecker(tvc, workspace).status(pipeline.stages[0]!);
      expect(status.alwaysChanged).toBe(true);
    } finally {
      await workspace.close();
    }
    const again = await reproduce(tvc, { checkpointPollMs: 10, checkpoint });
    expect([...again.outcomes.values()]).toEqual(['ran']);
  });

  it('does not tell the command about checkpoints without a callback', async () => {
    const { root, tvc } = await open({ 'dvc.yaml': PIPELINE });
    await reproduce(tvc, {});
    expect(readFileSync(path.join(root, 'n'), 'utf8')).toBe('3\n');
    expect(readFileSync(path.join(root, 'flag'), 'utf8')).toBe(' \n');
  });

  it('kills the command and fails the stage when a checkpoint cannot be recorded', async () => {
    const { root, tvc } = await open({ 'dvc.yaml': PIPELINE });
    let calls = 0;
    await expect(
      reproduce(tvc, {
        checkpointPollMs: 10,
        checkpoint: async () => {
          calls++;
          throw new Error('ref is locked');
        },
      }),
    ).rejects.toThrow("failed to reproduce 'train': recording a checkpoint failed: ref is locked");
    expect(calls).toBe(1);
    expect(readFileSync(path.join(root, 'n'), 'utf8')).toBe('1\n');
  });
});
