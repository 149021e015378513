import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PipelineFilesPlugin, Tvc } from '@tvc/core';
import { afterEach, describe, expect, it } from 'vitest';
import { addData } from './add';
import { collectUsedObjects, type UsedObjects, usedHashes } from './used';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function git(root: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], {
    cwd: root,
    encoding: 'utf8',
  }).trim();
}

function write(root: string, file: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
}

async function repo(files: Record<string, string>): Promise<{ root: string; tvc: Tvc }> {
  const root = mkdtempSync(path.join(tmpdir(), 'tvc-used-'));
  roots.push(root);
  git(root, 'init', '-q', '-b', 'main');
  mkdirSync(path.join(root, '.dvc'));
  writeFileSync(path.join(root, '.dvc', '.gitignore'), '/tmp\n/cache\n');
  writeFileSync(path.join(root, '.dvc', 'config'), '');
  for (const [file, text] of Object.entries(files)) write(root, file, text);
  return { root, tvc: await open(root) };
}

function open(root: string): Promise<Tvc> {
  return Tvc.open({ cwd: root, plugins: [new PipelineFilesPlugin()] });
}

function commit(root: string, message = 'c'): string {
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', message);
  return git(root, 'rev-parse', 'HEAD');
}

const MD5 = {
  a1: '60b725f10c9c85c70d97880dfe8191b3', // "a\n"
  a2: '3b5d5c3712955042212316173ccf37be', // "b\n"
  c: '2cd6ee2c70b0bde53fbe6cac3c8b8bb1', // "c\n"
};

const hashes = (used: UsedObjects) => [...usedHashes(used).md5].sort();

describe('collectUsedObjects', () => {
  it('lists the workspace objects, a directory manifest before its files, with the path using each', async () => {
    const { root, tvc } = await repo({ 'a.txt': 'a\n', 'd/x': 'b\n', 'd/s/y': 'c\n' });
    await addData(tvc, ['a.txt', 'd']);
    const used = await collectUsedObjects(await open(root));
    expect(used.revisions).toEqual(['workspace']);
    expect(used.missingDirectories).toEqual([]);
    expect(used.objects[0]).toMatchObject({ isDir: true, path: 'd', rev: 'workspace' });
    expect(used.objects.filter((object) => !object.isDir).map((object) => [object.path, object.md5])).toEqual(
      expect.arrayContaining([
        ['a.txt', MD5.a1],
        ['d/x', MD5.a2],
        ['d/s/y', MD5.c],
      ]),
    );
    expect(used.objects).toHaveLength(4);
  });

  it('reads older revisions from git: --rev with num, branches, tags, every commit', async () => {
    const { root, tvc } = await repo({ 'a.txt': 'a\n' });
    await addData(tvc, ['a.txt']);
    const first = commit(root);
    git(root, 'tag', 'v1');
    write(root, 'a.txt', 'b\n');
    await addData(await open(root), ['a.txt']);
    commit(root);
    git(root, 'checkout', '-q', '-b', 'side');
    write(root, 'a.txt', 'c\n');
    await addData(await open(root), ['a.txt']);
    commit(root);
    git(root, 'checkout', '-q', 'main');
    rmSync(path.join(root, 'a.txt.dvc'));
    const live = await open(root);
    expect(hashes(await collectUsedObjects(live))).toEqual([]);
    expect(hashes(await collectUsedObjects(live, { revs: ['HEAD'] }))).toEqual([MD5.a2]);
    expect(hashes(await collectUsedObjects(live, { revs: ['HEAD'], num: 2 }))).toEqual(
      [MD5.a2, MD5.a1].sort(),
    );
    expect(hashes(await collectUsedObjects(live, { allTags: true }))).toEqual([MD5.a1]);
    expect(hashes(await collectUsedObjects(live, { allBranches: true }))).toEqual([MD5.a2, MD5.c].sort());
    expect(hashes(await collectUsedObjects(live, { allCommits: true }))).toEqual(
      [MD5.a1, MD5.a2, MD5.c].sort(),
    );
    const tagged = await collectUsedObjects(live, { revs: [first], allTags: true });
    expect(tagged.revisions).toEqual(['workspace', `${first},v1`]);
  });

  it('counts every commit of an experiment down to its baseline', async () => {
    const { root, tvc } = await repo({ 'a.txt': 'a\n' });
    await addData(tvc, ['a.txt']);
    const baseline = commit(root);
    git(root, 'checkout', '-q', '-b', 'tmp');
    write(root, 'a.txt', 'b\n');
    await addData(await open(root), ['a.txt']);
    commit(root);
    write(root, 'a.txt', 'c\n');
    await addData(await open(root), ['a.txt']);
    const tip = commit(root);
    git(root, 'update-ref', `refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/exp-1`, tip);
    git(root, 'update-ref', 'refs/exps/stash', baseline);
    git(root, 'checkout', '-q', 'main');
    git(root, 'branch', '-D', 'tmp');
    const live = await open(root);
    const used = await collectUsedObjects(live, { workspace: false, allExperiments: true });
    expect(hashes(used)).toEqual([MD5.a2, MD5.c].sort());
    expect(used.revisions).toHaveLength(2);
  });

  it('reports a directory whose manifest is missing instead of failing', async () => {
    const { root, tvc } = await repo({ 'd/x': 'b\n' });
    const [dataFile] = (await addData(tvc, ['d'])).dataFiles;
    expect(dataFile).toBeDefined();
    const used0 = await collectUsedObjects(await open(root));
    const dir = used0.objects.find((object) => object.isDir)!;
    unlinkSync(path.join(root, '.dvc', 'cache', 'files', 'md5', dir.md5.slice(0, 2), dir.md5.slice(2)));
    const used = await collectUsedObjects(await open(root));
    expect(used.missingDirectories).toEqual([
      { md5: dir.md5, legacy: false, path: 'd', rev: 'workspace', reason: 'missing' },
    ]);
    expect(used.objects.map((object) => object.md5)).toEqual([dir.md5]);
  });

  it('takes dvc.lock outputs, keeps DVC 2 hashes apart and skips repository imports', async () => {
    const { root } = await repo({
      'dvc.yaml': 'stages:\n  s:\n    cmd: echo\n    outs:\n    - o1\n    - o2\n',
      'dvc.lock': `schema: '2.0'\nstages:\n  s:\n    cmd: echo\n    outs:\n    - path: o1\n      hash: md5\n      md5: ${MD5.a1}\n      size: 2\n    - path: o2\n      md5: ${MD5.a2}\n      size: 2\n`,
      'imp.dvc': `md5: 9e188d17b09833b8b6ee45949c5e13f4\nfrozen: true\ndeps:\n- path: f.txt\n  repo:\n    url: ../src\n    rev_lock: 92ac518c2011eada71f464140b88eb8c7a195d2b\nouts:\n- md5: ${MD5.c}\n  size: 2\n  hash: md5\n  path: imp\n`,
    });
    const used = await collectUsedObjects(await open(root));
    expect(usedHashes(used)).toEqual({ md5: new Set([MD5.a1]), legacy: new Set([MD5.a2]) });
  });

  it('narrows to targets, with their upstream stages for withDeps', async () => {
    const { root } = await repo({
      'dvc.yaml':
        'stages:\n  a:\n    cmd: echo\n    outs:\n    - o1\n  b:\n    cmd: echo\n    deps:\n    - o1\n    outs:\n    - o2\n',
      'dvc.lock': `schema: '2.0'\nstages:\n  a:\n    cmd: echo\n    outs:\n    - path: o1\n      hash: md5\n      md5: ${MD5.a1}\n  b:\n    cmd: echo\n    deps:\n    - path: o1\n      hash: md5\n      md5: ${MD5.a1}\n    outs:\n    - path: o2\n      hash: md5\n      md5: ${MD5.a2}\n`,
    });
    const live = await open(root);
    expect(hashes(await collectUsedObjects(live, { targets: ['b'] }))).toEqual([MD5.a2]);
    expect(hashes(await collectUsedObjects(live, { targets: ['b'], withDeps: true }))).toEqual(
      [MD5.a1, MD5.a2].sort(),
    );
  });
});
