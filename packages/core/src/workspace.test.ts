import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { digestDirectory } from '@tvc/hash';
import { afterEach, describe, expect, it } from 'vitest';
import { TvcError } from './errors';
import { makeRepo } from './test-repo';
import { Workspace } from './workspace';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

describe('Workspace.checkout', () => {
  it('reports a hostile manifest as a TvcError naming the manifest, and writes nothing', async () => {
    const { root, cleanup } = makeRepo({ 'x.txt': 'x\n' });
    cleanups.push(cleanup);
    const workspace = new Workspace(root);
    await workspace.save(path.join(root, 'x.txt'), { kind: 'file', md5: md5('x\n'), size: 2, isexec: false });
    const text = `[{"md5": "${md5('x\n')}", "relpath": "../../evil"}]`;
    const manifest = workspace.cache.objectPath(`${md5(text)}.dir`);
    mkdirSync(path.dirname(manifest), { recursive: true });
    writeFileSync(manifest, text);

    const error = await workspace
      .checkout(`${md5(text)}.dir`, path.join(root, 'd'))
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(TvcError);
    expect((error as TvcError).code).toBe('CACHE_CORRUPT');
    expect((error as TvcError).message).toContain("cannot check out 'd'");
    expect((error as TvcError).message).toContain('corrupt or hostile');
    expect((error as TvcError).message).toContain(manifest);
    expect(existsSync(path.join(root, 'd'))).toBe(false);
    expect(existsSync(path.resolve(root, '..', 'evil'))).toBe(false);
    expect(await workspace.verify(`${md5(text)}.dir`)).toBe('corrupt');
  });

  it('reports a missing object as a TvcError', async () => {
    const { root, cleanup } = makeRepo({});
    cleanups.push(cleanup);
    const error = await new Workspace(root)
      .checkout(md5('nothing'), path.join(root, 'f'))
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(TvcError);
    expect((error as TvcError).code).toBe('CACHE_MISSING');
  });
});

describe('Workspace.currentHash and verify, through stat digests', () => {
  const settle = () => new Promise((resolve) => setTimeout(resolve, 2100));

  it('answers an unchanged directory from its digest, and sees a rewrite that puts the mtime back', async () => {
    const { root, cleanup } = makeRepo({ 'data/a.txt': 'a\n', 'data/sub/b.txt': 'b\n' });
    cleanups.push(cleanup);
    const data = path.join(root, 'data');
    await settle();
    const first = new Workspace(root);
    const hashed = await first.hash(data);
    expect(await first.currentHash(data)).toEqual({ kind: 'directory', md5: hashed!.md5 });
    await first.close();

    const second = new Workspace(root);
    const trees = await second.trees();
    expect(trees.get(data, (await digestDirectory(data)).digest)).toBe(hashed!.md5);
    expect(await second.currentHash(data)).toEqual({ kind: 'directory', md5: hashed!.md5 });

    const file = path.join(data, 'sub/b.txt');
    const { atime, mtime } = statSync(file);
    writeFileSync(file, 'B\n');
    utimesSync(file, atime, mtime);
    await settle();
    const third = new Workspace(root);
    const changed = await third.currentHash(data);
    expect(changed?.md5).not.toBe(hashed!.md5);
    expect(changed?.md5).toBe((await new Workspace(root).hash(data))?.md5);
  });

  it('verifies a .dir object from its digest only while no object changed', async () => {
    const { root, cleanup } = makeRepo({ 'data/a.txt': 'a\n', 'data/b.txt': 'b\n' });
    cleanups.push(cleanup);
    const data = path.join(root, 'data');
    const workspace = new Workspace(root);
    const hash = await workspace.hash(data);
    await workspace.save(data, hash!);
    await settle();
    expect(await workspace.verify(hash!.md5)).toBe('ok'); // recorded
    expect(await workspace.verify(hash!.md5)).toBe('ok'); // from the digest
    await workspace.close();
    rmSync(workspace.cache.objectPath(md5('b\n')), { force: true });
    expect(await new Workspace(root).verify(hash!.md5)).toBe('missing');
  });
});
