import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PipelineFilesPlugin, Tvc, TvcError } from '@tvc/core';
import { afterEach, describe, expect, it } from 'vitest';
import { addData } from './add';
import { diffData, isEmptyDiff } from './diff';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function git(root: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: root });
}

function write(root: string, file: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
}

/** A git repository with `.dvc/` holding `files`. */
async function repo(files: Record<string, string>): Promise<{ root: string; tvc: Tvc }> {
  const root = mkdtempSync(path.join(tmpdir(), 'tvc-diff-'));
  roots.push(root);
  git(root, 'init', '-q');
  mkdirSync(path.join(root, '.dvc'));
  writeFileSync(path.join(root, '.dvc', '.gitignore'), '/tmp\n/cache\n');
  for (const [file, text] of Object.entries(files)) write(root, file, text);
  return { root, tvc: await open(root) };
}

function open(root: string): Promise<Tvc> {
  return Tvc.open({ cwd: root, plugins: [new PipelineFilesPlugin()] });
}

function commit(root: string): void {
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'c');
}

const paths = (entries: readonly { path: unknown }[]) => entries.map((entry) => entry.path);

describe('diffData', () => {
  it('has no changes in a repository without commits', async () => {
    const { tvc } = await repo({ 'a.txt': 'a\n' });
    await addData(tvc, ['a.txt']);
    expect(isEmptyDiff(await diffData(await open(tvc.root)))).toBe(true);
  });

  it('lists a tracked directory with a trailing slash and its files, added then modified', async () => {
    const { root, tvc } = await repo({ README: 'r\n' });
    commit(root);
    for (const [file, text] of Object.entries({ 'd/a': 'a\n', 'd/s/b': 'b\n', f: 'f\n' }))
      write(root, file, text);
    await addData(tvc, ['d', 'f']);
    const added = await diffData(await open(root));
    expect(paths(added.added)).toEqual(['d/', 'd/a', 'd/s/b', 'f']);
    expect(added.notInCache).toEqual([]);
    commit(root);
    write(root, 'd/s/b', 'changed\n');
    const modified = await diffData(await open(root));
    expect(paths(modified.modified)).toEqual(['d/', 'd/s/b']);
    expect(paths(modified.added)).toEqual([]);
  });

  it('pairs a deleted and an added entry with the same hash as a rename, first by path', async () => {
    const { root, tvc } = await repo({ x: 'same\n', y: 'same\n' });
    await addData(tvc, ['x', 'y']);
    commit(root);
    git(root, 'mv', 'x.dvc', 'z.dvc');
    write(root, 'z.dvc', readFileSync(path.join(root, 'z.dvc'), 'utf8').replace('path: x', 'path: z'));
    write(root, 'z', 'same\n');
    rmSync(path.join(root, 'y.dvc'));
    const diff = await diffData(await open(root));
    expect(diff.renamed.map((entry) => entry.path)).toEqual([{ old: 'x', new: 'z' }]);
    expect(paths(diff.deleted)).toEqual(['y']);
  });

  it('compares two revisions without a not-in-cache list, and names the entries the cache lacks', async () => {
    const { root, tvc } = await repo({ f: '1\n' });
    await addData(tvc, ['f']);
    commit(root);
    write(root, 'f', '2\n');
    await addData(await open(root), ['f']);
    commit(root);
    const diff = await diffData(await open(root), { aRev: 'HEAD~1', bRev: 'HEAD' });
    expect(paths(diff.modified)).toEqual(['f']);
    expect(diff.notInCache).toBeUndefined();
    rmSync(path.join(root, '.dvc', 'cache'), { recursive: true });
    expect(paths((await diffData(await open(root))).notInCache ?? [])).toEqual(['f']);
  });

  it('refuses a target found at neither side', async () => {
    const { root, tvc } = await repo({ f: '1\n' });
    await addData(tvc, ['f']);
    commit(root);
    await expect(diffData(await open(root), { targets: ['nope'] })).rejects.toBeInstanceOf(TvcError);
  });
});
