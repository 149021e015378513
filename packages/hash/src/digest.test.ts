import { mkdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestDirectory, digestObjects, TreeMemo } from './digest.js';
import { hashDirectory } from './hash.js';
import { ObjectCache } from './object-cache.js';
import { cleanup, temporaryDirectory } from './test-fixtures.js';

afterAll(cleanup);

/** Past the two seconds in which a digest does not trust a changed file. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 2100));

function tree(root: string): string {
  for (const [relpath, text] of Object.entries({
    'a.txt': 'a\n',
    'sub/b.txt': 'b\n',
    'sub/deeper/c.txt': 'c\n',
    'z/d.txt': 'd\n',
  })) {
    mkdirSync(path.dirname(path.join(root, relpath)), { recursive: true });
    writeFileSync(path.join(root, relpath), text);
  }
  return root;
}

describe('digestDirectory', () => {
  let data: string;
  let settled: string | undefined;
  beforeAll(async () => {
    data = tree(path.join(temporaryDirectory(), 'data'));
    const fresh = await digestDirectory(data);
    expect(fresh.digest).toBeUndefined(); // just written: racy
    await settle();
    settled = (await digestDirectory(data)).digest;
  });

  it('is the same for an unchanged directory, with its file count and size', async () => {
    expect(settled).toMatch(/^[0-9a-f]{32}$/);
    const again = await digestDirectory(data);
    expect(again).toEqual({ digest: settled, files: 4, size: 8 });
  });

  it('changes with any write, even one that puts the mtime back, and with renames', async () => {
    const file = path.join(data, 'sub/deeper/c.txt');
    const { atime, mtime } = statSync(file);
    writeFileSync(file, 'C\n');
    utimesSync(file, atime, mtime);
    expect((await digestDirectory(data)).digest).toBeUndefined(); // racy (its ctime)
    await settle();
    const rewritten = (await digestDirectory(data)).digest;
    expect(rewritten).toMatch(/^[0-9a-f]{32}$/);
    expect(rewritten).not.toBe(settled);

    renameSync(path.join(data, 'z/d.txt'), path.join(data, 'z/e.txt'));
    await settle();
    const renamed = (await digestDirectory(data)).digest;
    expect(renamed).toMatch(/^[0-9a-f]{32}$/);
    expect(renamed).not.toBe(rewritten);
  });

  it('vouches for nothing with a .dvcignore inside', async () => {
    const root = tree(path.join(temporaryDirectory(), 'ignored'));
    writeFileSync(path.join(root, 'sub/.dvcignore'), 'b.txt\n');
    await settle();
    expect((await digestDirectory(root)).digest).toBeUndefined();
    rmSync(path.join(root, 'sub/.dvcignore'));
    await settle();
    expect((await digestDirectory(root)).digest).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('digestObjects', () => {
  it('is stable while the objects are, and vouches for nothing once one is missing', async () => {
    const base = temporaryDirectory();
    const data = tree(path.join(base, 'data'));
    const cache = new ObjectCache(path.join(base, 'cache'));
    const hash = await hashDirectory(data);
    await cache.save(data, { kind: 'directory', ...hash });
    await settle();
    const first = await digestObjects(cache.root, hash.md5);
    expect(first.digest).toMatch(/^[0-9a-f]{32}$/);
    expect(first.files).toBe(4);
    expect((await digestObjects(cache.root, hash.md5)).digest).toBe(first.digest);
    rmSync(cache.objectPath(hash.entries[0]!.md5), { force: true });
    expect((await digestObjects(cache.root, hash.md5)).digest).toBeUndefined();
    expect((await digestObjects(cache.root, `${'0'.repeat(32)}.dir`)).digest).toBeUndefined();
  });
});

describe('TreeMemo', () => {
  it('answers only for the digest recorded, and survives a save', async () => {
    const file = path.join(temporaryDirectory(), 'tmp', 'tree-memo.json');
    const memo = await TreeMemo.open(file);
    memo.set('/data', 'd1', 'abc.dir');
    expect(memo.get('/data', 'd1')).toBe('abc.dir');
    expect(memo.get('/data', 'd2')).toBeUndefined();
    expect(memo.get('/data', undefined)).toBeUndefined();
    await memo.save();
    const reopened = await TreeMemo.open(file);
    expect(reopened.get('/data', 'd1')).toBe('abc.dir');
    writeFileSync(file, 'not json');
    expect((await TreeMemo.open(file)).get('/data', 'd1')).toBeUndefined();
  });
});
