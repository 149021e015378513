import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Tvc } from '@tvc/core';
import { afterEach, describe, expect, it } from 'vitest';
import { checkpointChain, checkpointStart, writeLastCheckpoint } from './checkpoint';
import { Git } from './git';
import { expRefName } from './refs';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A repository with a baseline and an experiment `long` of three checkpoints (c1 ← c2 ← c3). */
function repository() {
  const root = mkdtempSync(path.join(tmpdir(), 'tvc-ckpt-'));
  dirs.push(root);
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    }).trim();
  git('init', '-q');
  git('commit', '-q', '--allow-empty', '-m', 'baseline');
  const baseline = git('rev-parse', 'HEAD');
  const tree = git('rev-parse', 'HEAD^{tree}');
  const c1 = git('commit-tree', tree, '-p', baseline, '-m', 'c1');
  const c2 = git('commit-tree', tree, '-p', c1, '-m', 'c2');
  const c3 = git('commit-tree', tree, '-p', c2, '-m', 'c3');
  git('update-ref', expRefName(baseline, 'long'), c3);
  return { root, tvc: { root } as Tvc, git: new Git(root), baseline, c1, c2, c3 };
}

describe('checkpointChain', () => {
  it('is the first-parent chain from the tip to the baseline', async () => {
    const { git, baseline, c1, c2, c3 } = repository();
    expect(await checkpointChain(git, c3, baseline)).toEqual([c3, c2, c1]);
    expect(await checkpointChain(git, c3, c1.replace(/./g, '0'))).toBeUndefined();
  });
});

describe('checkpointStart', () => {
  it('starts a new chain from the baseline when there is nothing to continue', async () => {
    const { tvc, git, baseline } = repository();
    expect(await checkpointStart(tvc, git, baseline, {})).toEqual({
      name: undefined,
      parent: baseline,
      resumed: false,
      reset: false,
    });
    expect(await checkpointStart(tvc, git, baseline, { name: 'new' })).toMatchObject({
      name: 'new',
      parent: baseline,
    });
  });

  it('continues the named experiment, or the one last run here, from its tip', async () => {
    const { root, tvc, git, baseline, c3 } = repository();
    expect(await checkpointStart(tvc, git, baseline, { name: 'long' })).toEqual({
      name: 'long',
      parent: c3,
      resumed: true,
      reset: false,
    });
    writeLastCheckpoint(root, { baseline, name: 'long' });
    expect(await checkpointStart(tvc, git, baseline, {})).toMatchObject({
      name: 'long',
      parent: c3,
      resumed: true,
    });
    writeLastCheckpoint(root, { baseline: 'f'.repeat(40), name: 'long' });
    expect(await checkpointStart(tvc, git, baseline, {})).toMatchObject({ name: undefined, resumed: false });
  });

  it('starts over with --reset or -f, keeping the name of the experiment last run', async () => {
    const { root, tvc, git, baseline } = repository();
    writeLastCheckpoint(root, { baseline, name: 'long' });
    for (const options of [{ reset: true }, { force: true }]) {
      expect(await checkpointStart(tvc, git, baseline, options)).toEqual({
        name: 'long',
        parent: baseline,
        resumed: false,
        reset: true,
      });
    }
  });

  it('continues a chosen checkpoint with --rev', async () => {
    const { tvc, git, baseline, c2, c3 } = repository();
    expect(await checkpointStart(tvc, git, baseline, { rev: 'long' })).toMatchObject({
      name: 'long',
      parent: c3,
    });
    expect(await checkpointStart(tvc, git, baseline, { rev: c2.slice(0, 7) })).toMatchObject({
      name: undefined,
      parent: c2,
      resumed: true,
    });
    expect(await checkpointStart(tvc, git, baseline, { rev: c2, name: 'other' })).toMatchObject({
      name: 'other',
    });
    await expect(checkpointStart(tvc, git, baseline, { rev: c2, name: 'long' })).rejects.toThrow(
      `Experiment 'long' has checkpoints after '${c2.slice(0, 7)}'`,
    );
    expect(await checkpointStart(tvc, git, baseline, { rev: c2, name: 'long', force: true })).toMatchObject({
      name: 'long',
      parent: c2,
    });
    await expect(checkpointStart(tvc, git, baseline, { rev: baseline })).rejects.toThrow(
      'is not a checkpoint of an experiment derived from HEAD',
    );
  });
});
