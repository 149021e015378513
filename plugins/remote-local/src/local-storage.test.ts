import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cachePath, fetchObjects, objectKey, pushObjects, RemoteError } from '@tvc/remote';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStorage, localRoot } from './local-storage';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'tvc-remote-local-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function list(storage: LocalStorage, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of storage.list(prefix)) keys.push(key);
  return keys.sort();
}

describe('LocalStorage', () => {
  it('resolves a relative URL against the config directory', () => {
    expect(localRoot('../store', '/repo/.dvc')).toBe('/repo/store');
    expect(localRoot('/abs/store', '/repo/.dvc')).toBe('/abs/store');
    expect(localRoot('file:///abs/store', '/repo/.dvc')).toBe('/abs/store');
  });

  it('uploads atomically and read-only, lists, checks, downloads and removes objects', async () => {
    const storage = new LocalStorage(path.join(base, 'remote'));
    const source = path.join(base, 'source');
    await writeFile(source, 'payload');
    const key = 'files/md5/32/1c3cf486ed509164edec1e1981fec8';
    await storage.upload(source, key);
    const stored = path.join(base, 'remote', 'files', 'md5', '32', '1c3cf486ed509164edec1e1981fec8');
    expect(await readFile(stored, 'utf8')).toBe('payload');
    expect((await stat(stored)).mode & 0o777).toBe(0o444);
    // a leftover of a killed upload is never listed
    await writeFile(
      path.join(path.dirname(stored), '.1c3cf486ed509164edec1e1981fec8.123-0123456789ab.tmp'),
      'pay',
    );
    expect(await list(storage, 'files/md5/')).toEqual([key]);
    expect(await list(storage, 'files/md5/32/')).toEqual([key]);
    expect(await list(storage, 'files/md5/32/1')).toEqual([key]);
    expect(await list(storage, 'files/md5/32/2')).toEqual([]);
    expect(await list(storage, 'files/md5/ff/')).toEqual([]);
    expect(await storage.exists(key)).toBe(true);
    expect(await storage.exists('files/md5/ff/00')).toBe(false);
    const back = path.join(base, 'back');
    await storage.download(key, back);
    expect(await readFile(back, 'utf8')).toBe('payload');
    await expect(storage.download('files/md5/ff/00', back)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await storage.remove(key);
    await storage.remove(key);
    expect(await storage.exists(key)).toBe(false);
    await expect(storage.exists('files/../../etc/passwd')).rejects.toBeInstanceOf(RemoteError);
  });

  it('serves the transfer engine: push then fetch into another cache', async () => {
    const storage = new LocalStorage(path.join(base, 'remote'));
    const cache = path.join(base, 'cache');
    const oid = createHash('md5').update('data\n').digest('hex');
    await mkdir(path.dirname(cachePath(cache, oid)), { recursive: true });
    await writeFile(cachePath(cache, oid), 'data\n');
    const pushed = await pushObjects(storage, cache, { files: [oid], dirs: new Map() }, { jobs: 2 });
    expect(pushed.transferred).toEqual([oid]);
    expect(await storage.exists(objectKey(oid))).toBe(true);
    const other = path.join(base, 'other');
    const fetched = await fetchObjects(storage, other, [oid], { jobs: 2 });
    expect(fetched.transferred).toEqual([oid]);
    expect(await readFile(cachePath(other, oid), 'utf8')).toBe('data\n');
  });
});
