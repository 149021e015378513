import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { tvcCheckpoint } from './checkpoint-helper';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('tvcCheckpoint', () => {
  it('does nothing outside a checkpoint run', async () => {
    expect(await tvcCheckpoint({ env: {} })).toBe(false);
  });

  it('creates the signal file and resolves once it is removed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tvc-helper-'));
    dirs.push(dir);
    const file = path.join(dir, 'signal');
    let removed = false;
    const watcher = setInterval(() => {
      if (existsSync(file)) {
        rmSync(file);
        removed = true;
      }
    }, 10);
    try {
      expect(await tvcCheckpoint({ env: { TVC_CHECKPOINT_FILE: file }, pollMs: 5 })).toBe(true);
      expect(removed).toBe(true);
    } finally {
      clearInterval(watcher);
    }
  });

  it("uses DVC 2's signal file under DVC_ROOT when only DVC_CHECKPOINT is set", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tvc-helper-'));
    dirs.push(dir);
    mkdirSync(path.join(dir, '.dvc', 'tmp'), { recursive: true });
    const file = path.join(dir, '.dvc', 'tmp', 'DVC_CHECKPOINT');
    const watcher = setInterval(() => existsSync(file) && rmSync(file), 10);
    try {
      expect(await tvcCheckpoint({ env: { DVC_CHECKPOINT: '1', DVC_ROOT: dir }, pollMs: 5 })).toBe(true);
    } finally {
      clearInterval(watcher);
    }
  });
});

describe('tvcCheckpoint when tvc is gone', () => {
  it('stops waiting with an error', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tvc-helper-'));
    dirs.push(dir);
    const env = { TVC_CHECKPOINT_FILE: path.join(dir, 'signal'), TVC_CHECKPOINT_PID: '999999999' };
    await expect(tvcCheckpoint({ env, pollMs: 5 })).rejects.toThrow(
      'tvc stopped before recording the checkpoint',
    );
  });
});

describe('tvc_checkpoint.py', () => {
  const helpers = path.resolve(import.meta.dirname, '..', 'helpers');
  const call = async (env: Record<string, string>) =>
    (
      await promisify(execFile)(
        'python3',
        ['-c', 'from tvc_checkpoint import tvc_checkpoint; print(tvc_checkpoint(0.005))'],
        {
          cwd: helpers,
          env: { PATH: process.env.PATH ?? '', PYTHONDONTWRITEBYTECODE: '1', ...env },
        },
      )
    ).stdout.trim();

  it('does nothing outside a checkpoint run', async () => {
    expect(await call({})).toBe('False');
  });

  it('raises when tvc is gone', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tvc-helper-'));
    dirs.push(dir);
    await expect(
      call({ TVC_CHECKPOINT_FILE: path.join(dir, 'signal'), TVC_CHECKPOINT_PID: '999999999' }),
    ).rejects.toThrow('tvc stopped before recording the checkpoint');
  });

  it('creates the signal file and returns once tvc removed it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tvc-helper-'));
    dirs.push(dir);
    const file = path.join(dir, 'signal');
    const watcher = setInterval(() => existsSync(file) && rmSync(file), 10);
    try {
      expect(await call({ TVC_CHECKPOINT_FILE: file })).toBe('True');
    } finally {
      clearInterval(watcher);
    }
  });
});
