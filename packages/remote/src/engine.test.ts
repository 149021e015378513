import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RemoteError } from './errors';
import { oidsExist, remoteHas } from './exists';
import { objectKey, oidFromKey } from './keys';
import { MemoryStorage } from './memory-storage';
import { withRetry } from './pool';
import { RemoteIndex } from './remote-index';
import { cachePath, fetchObjects, pushObjects } from './transfer';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const noSleep = { sleep: async () => {}, attempts: 4 };

let cache: string;

beforeEach(async () => {
  cache = await mkdtemp(path.join(tmpdir(), 'tvc-remote-'));
});
afterEach(async () => {
  await rm(cache, { recursive: true, force: true });
});

async function store(text: string): Promise<string> {
  const oid = md5(text);
  await mkdir(path.dirname(cachePath(cache, oid)), { recursive: true });
  await writeFile(cachePath(cache, oid), text);
  return oid;
}

/** A directory of `files`: their objects and the manifest, as DVC writes it. */
async function storeDir(files: Record<string, string>): Promise<{ dir: string; files: string[] }> {
  const entries = Object.entries(files)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([relpath, text]) => ({ md5: md5(text), relpath }));
  for (const text of Object.values(files)) await store(text);
  const manifest = JSON.stringify(entries).replaceAll('","', '", "').replaceAll('},{', '}, {');
  const dir = `${md5(manifest)}.dir`;
  await mkdir(path.dirname(cachePath(cache, dir)), { recursive: true });
  await writeFile(cachePath(cache, dir), manifest);
  return { dir, files: entries.map((entry) => entry.md5) };
}

describe('keys', () => {
  it('maps object ids to DVC 3 keys and back', () => {
    expect(objectKey('3B5D5C3712955042212316173CCF37BE')).toBe('files/md5/3b/5d5c3712955042212316173ccf37be');
    expect(objectKey('562ee692a592790b08e880eff9046f72.dir')).toBe(
      'files/md5/56/2ee692a592790b08e880eff9046f72.dir',
    );
    expect(oidFromKey('files/md5/56/2ee692a592790b08e880eff9046f72.dir')).toBe(
      '562ee692a592790b08e880eff9046f72.dir',
    );
    expect(oidFromKey('files/md5/56/.2ee692a592790b08e880eff9046f72.123-abcdef.tmp')).toBeUndefined();
    expect(() => objectKey('../../etc/passwd')).toThrow(RemoteError);
  });
});

describe('withRetry', () => {
  it('retries retryable errors with growing, jittered waits, then gives up', async () => {
    const waits: number[] = [];
    let calls = 0;
    const failing = withRetry(
      async () => {
        calls++;
        throw new RemoteError('THROTTLED', 'slow down');
      },
      { attempts: 4, baseDelayMs: 100, maxDelayMs: 250, sleep: async (ms) => void waits.push(ms) },
    );
    await expect(failing).rejects.toThrow('slow down');
    expect(calls).toBe(4);
    expect(waits).toHaveLength(3);
    expect(waits[0]).toBeLessThan(100);
    expect(waits[1]).toBeLessThan(200);
    expect(waits[2]).toBeLessThan(250);
  });

  it("waits at least what the server's Retry-After asked, up to a minute", async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls === 1) throw new RemoteError('THROTTLED', 'busy', { retryAfterMs: 3000 });
        if (calls === 2) throw new RemoteError('THROTTLED', 'busy', { retryAfterMs: 3_600_000 });
        return 'done';
      },
      { baseDelayMs: 100, sleep: async (ms) => void waits.push(ms) },
    );
    expect(result).toBe('done');
    expect(waits).toEqual([3000, 60_000]);
  });

  it('does not retry an error that is not retryable', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new RemoteError('AUTH', 'denied');
      }, noSleep),
    ).rejects.toThrow('denied');
    expect(calls).toBe(1);
  });
});

describe('pushObjects', () => {
  it('uploads what the remote lacks, each .dir after all its files, and nothing the second time', async () => {
    const storage = new MemoryStorage();
    const { dir, files } = await storeDir({ a: 'a\n', b: 'b\n', 'sub/c': 'c\n' });
    const single = await store('hello\n');
    const plan = { files: [single], dirs: new Map([[dir, files]]) };
    const first = await pushObjects(storage, cache, plan, { jobs: 3, retry: noSleep });
    expect(first.transferred.sort()).toEqual([dir, single, ...files].sort());
    expect(first.failed).toEqual([]);
    expect(storage.uploads.at(-1)).toBe(objectKey(dir));
    expect(await readFile(cachePath(cache, dir))).toEqual(storage.objects.get(objectKey(dir)));
    const second = await pushObjects(storage, cache, plan, { jobs: 3 });
    expect(second.transferred).toEqual([]);
    expect(storage.calls.upload).toBe(5);
  });

  it('retries a flaky upload and reports progress in files and bytes', async () => {
    const storage = new MemoryStorage();
    const oid = await store('flaky\n');
    storage.failNext('upload', objectKey(oid), new RemoteError('NETWORK', 'connection reset'), 2);
    const seen: number[] = [];
    const result = await pushObjects(
      storage,
      cache,
      { files: [oid], dirs: new Map() },
      { retry: noSleep, onProgress: (progress) => seen.push(progress.bytes) },
    );
    expect(result.transferred).toEqual([oid]);
    expect(storage.calls.upload).toBe(3);
    expect(seen.at(-1)).toBe(6);
  });

  it('names a final failure with its path and never uploads the .dir of a failed file', async () => {
    const storage = new MemoryStorage();
    const { dir, files } = await storeDir({ a: 'one\n', b: 'two\n' });
    storage.failNext('upload', objectKey(files[0]!), new RemoteError('THROTTLED', 'SlowDown'), 4);
    const result = await pushObjects(
      storage,
      cache,
      { files: [], dirs: new Map([[dir, files]]) },
      { retry: noSleep },
    );
    expect(result.transferred).toEqual([files[1]]);
    expect(result.failed.map((failure) => failure.oid).sort()).toEqual([dir, files[0]].sort());
    const failure = result.failed.find((each) => each.oid === files[0])!;
    expect(failure.key).toBe(objectKey(files[0]!));
    expect(failure.path).toBe(cachePath(cache, files[0]!));
    expect(failure.error.message).toBe('SlowDown');
    expect(storage.objects.has(objectKey(dir))).toBe(false);
    // the next push completes it
    const again = await pushObjects(
      storage,
      cache,
      { files: [], dirs: new Map([[dir, files]]) },
      { retry: noSleep },
    );
    expect(again.transferred.sort()).toEqual([dir, files[0]].sort());
  });

  it('reports objects the cache lacks as missing, and keeps their .dir back', async () => {
    const storage = new MemoryStorage();
    const { dir, files } = await storeDir({ a: 'x\n', b: 'y\n' });
    await rm(cachePath(cache, files[1]!));
    const result = await pushObjects(
      storage,
      cache,
      { files: [], dirs: new Map([[dir, files]]) },
      { retry: noSleep },
    );
    expect(result.missing.sort()).toEqual([dir, files[1]].sort());
    expect(result.transferred).toEqual([files[0]]);
    expect(storage.objects.has(objectKey(dir))).toBe(false);
  });

  it('never takes a half upload as present', async () => {
    const storage = new MemoryStorage();
    const oid = await store('big\n');
    // a storage killed mid-upload leaves only its temporary name behind
    storage.objects.set(
      `files/md5/${oid.slice(0, 2)}/.${oid.slice(2)}.99-abcdefabcdef.tmp`,
      Buffer.from('bi'),
    );
    storage.objects.set(`files/md5/${oid.slice(0, 2)}/${oid.slice(2)}.tmp`, Buffer.from('bi'));
    const other = await store('other\n');
    const result = await pushObjects(
      storage,
      cache,
      { files: [oid, other], dirs: new Map() },
      { retry: noSleep },
    );
    expect(result.transferred.sort()).toEqual([oid, other].sort());
    expect(storage.objects.get(objectKey(oid))?.toString()).toBe('big\n');
  });

  it('uses the index: an indexed .dir vouches for its files; a vanished one drops the index', async () => {
    const storage = new MemoryStorage();
    const { dir, files } = await storeDir({ a: 'i\n', b: 'j\n' });
    const plan = { files: [], dirs: new Map([[dir, files]]) };
    const indexFile = RemoteIndex.fileFor(cache, storage.url);
    await pushObjects(storage, cache, plan, { index: await RemoteIndex.load(indexFile), retry: noSleep });
    expect((await readFile(indexFile, 'utf8')).split('\n')).toContain(dir);
    storage.calls.exists = 0;
    storage.calls.list = 0;
    const index = await RemoteIndex.load(indexFile);
    expect(await remoteHas(storage, plan, { jobs: 2, index })).toEqual(new Set([dir, ...files]));
    expect(storage.calls).toMatchObject({ exists: 1, list: 0 });
    // the remote was garbage-collected: the index is dropped and everything is pushed again
    storage.objects.clear();
    const again = await pushObjects(storage, cache, plan, { index, retry: noSleep });
    expect(again.transferred.sort()).toEqual([dir, ...files].sort());
  });
});

describe('oidsExist', () => {
  const oids = (count: number, prefix = '') =>
    Array.from({ length: count }, (_, index) => `${prefix}${md5(String(index)).slice(prefix.length)}`);

  it('asks per object for one object, or when the storage cannot list', async () => {
    const methods: string[] = [];
    const listing = new MemoryStorage();
    await oidsExist(listing, oids(1), { jobs: 2, onMethod: (method) => methods.push(method) });
    const http = new MemoryStorage({ canList: false });
    await oidsExist(http, oids(20), { jobs: 2, onMethod: (method) => methods.push(method) });
    expect(methods).toEqual(['exists', 'exists']);
    expect(listing.calls.list + http.calls.list).toBe(0);
    expect(http.calls.exists).toBe(20);
  });

  it('lists the whole small remote when many objects are wanted', async () => {
    const storage = new MemoryStorage();
    const wanted = oids(50);
    for (const oid of wanted.slice(0, 30)) storage.objects.set(objectKey(oid), Buffer.from(''));
    const methods: string[] = [];
    const present = await oidsExist(storage, wanted, { jobs: 8, onMethod: (method) => methods.push(method) });
    expect(present).toEqual(new Set(wanted.slice(0, 30)));
    expect(methods).toEqual(['traverse']);
    expect(storage.calls.exists).toBe(0);
  });

  it('estimates a large remote from one prefix and then asks per object for a few', async () => {
    const storage = new MemoryStorage();
    // 40 objects under 00: the remote is estimated at 40 × 256 = 10,240 objects (11 pages)
    for (const oid of oids(40, '00')) storage.objects.set(objectKey(oid), Buffer.from(''));
    const wanted = [...oids(3, 'ab'), oids(40, '00')[0]!];
    storage.objects.set(objectKey(wanted[0]!), Buffer.from(''));
    const methods: string[] = [];
    const present = await oidsExist(storage, wanted, { jobs: 8, onMethod: (method) => methods.push(method) });
    expect(methods).toEqual(['estimate+exists']);
    expect(present).toEqual(new Set([wanted[0], wanted[3]]));
    expect(storage.calls.list).toBe(1);
    expect(storage.calls.exists).toBe(3);
  });

  it('lists by 3-digit prefixes on object stores', async () => {
    const storage = new MemoryStorage({ kind: 's3' });
    const prefixes: string[] = [];
    const original = storage.list.bind(storage);
    storage.list = (prefix: string) => {
      prefixes.push(prefix);
      return original(prefix);
    };
    await oidsExist(storage, oids(5), { jobs: 4 });
    expect(prefixes[0]).toBe('files/md5/00/0');
  });
});

describe('fetchObjects', () => {
  it('downloads into the cache read-only, checking each object against its name', async () => {
    const storage = new MemoryStorage();
    const good = md5('good\n');
    const bad = md5('bad\n');
    const gone = md5('gone\n');
    storage.objects.set(objectKey(good), Buffer.from('good\n'));
    storage.objects.set(objectKey(bad), Buffer.from('tampered\n'));
    storage.failNext('download', objectKey(good), new RemoteError('NETWORK', 'ETIMEDOUT'), 2);
    const result = await fetchObjects(storage, cache, [good, bad, gone], { retry: noSleep });
    expect(result.transferred).toEqual([good]);
    expect(result.missing).toEqual([gone]);
    expect(result.failed.map((failure) => [failure.oid, (failure.error as RemoteError).code])).toEqual([
      [bad, 'CORRUPT'],
    ]);
    expect(await readFile(cachePath(cache, good), 'utf8')).toBe('good\n');
    expect((await stat(cachePath(cache, good))).mode & 0o777).toBe(0o444);
    await expect(stat(cachePath(cache, bad))).rejects.toThrow();
    // nothing but whole objects in the cache's directories
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(path.dirname(cachePath(cache, bad)))).toEqual([]);
    // already there: not downloaded again
    const again = await fetchObjects(storage, cache, [good], { retry: noSleep });
    expect(again.transferred).toEqual([]);
  });
});

describe('fetchObjects from a storage of local files (filePath)', () => {
  /** A directory of objects at `files/md5/ab/…` offered through `filePath`, as the local remote. */
  async function fileStorage(
    objects: Record<string, Buffer>,
  ): Promise<MemoryStorage & { filePath(key: string): string }> {
    const root = path.join(cache, 'remote');
    for (const [key, data] of Object.entries(objects)) {
      await mkdir(path.dirname(path.join(root, key)), { recursive: true });
      await writeFile(path.join(root, key), data);
    }
    const storage = new MemoryStorage() as MemoryStorage & { filePath(key: string): string };
    storage.filePath = (key) => path.join(root, ...key.split('/'));
    return storage;
  }

  it('copies and checks small and large objects in one pass; a damaged one never reaches the cache', async () => {
    const large = Buffer.alloc(5 * 2 ** 20 + 3, 7); // above the whole-read limit: streamed
    const largeOid = createHash('md5').update(large).digest('hex');
    const small = md5('small\n');
    const bad = md5('bad\n');
    const badLarge = createHash('md5')
      .update(Buffer.alloc(5 * 2 ** 20, 1))
      .digest('hex');
    const gone = md5('gone\n');
    const storage = await fileStorage({
      [objectKey(small)]: Buffer.from('small\n'),
      [objectKey(bad)]: Buffer.from('tampered\n'),
      [objectKey(largeOid)]: large,
      [objectKey(badLarge)]: Buffer.alloc(5 * 2 ** 20, 2),
    });
    const store = path.join(cache, 'cache');
    const result = await fetchObjects(storage, store, [small, bad, largeOid, badLarge, gone], {
      retry: noSleep,
    });
    expect(result.transferred.sort()).toEqual([small, largeOid].sort());
    expect(result.missing).toEqual([gone]);
    expect(result.failed.map((failure) => [failure.oid, (failure.error as RemoteError).code]).sort()).toEqual(
      [
        [bad, 'CORRUPT'],
        [badLarge, 'CORRUPT'],
      ].sort(),
    );
    expect(storage.calls.download).toBe(0);
    expect(await readFile(cachePath(store, small), 'utf8')).toBe('small\n');
    expect((await readFile(cachePath(store, largeOid))).equals(large)).toBe(true);
    expect((await stat(cachePath(store, largeOid))).mode & 0o777).toBe(0o444);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(path.dirname(cachePath(store, bad)))).toEqual([]);
    expect(await readdir(path.dirname(cachePath(store, badLarge)))).toEqual([]);
  });

  it('lists the cache instead of checking each of many objects, and skips those it has', async () => {
    const texts = Array.from({ length: 300 }, (_, index) => `object ${index}\n`);
    const objects = Object.fromEntries(texts.map((text) => [objectKey(md5(text)), Buffer.from(text)]));
    const storage = await fileStorage(objects);
    const store = path.join(cache, 'cache');
    const first = await fetchObjects(storage, store, texts.slice(0, 10).map(md5), { retry: noSleep });
    expect(first.transferred).toHaveLength(10);
    const rest = await fetchObjects(storage, store, texts.map(md5), { retry: noSleep });
    expect(rest.transferred).toHaveLength(290);
    expect(rest.failed).toEqual([]);
  });
});

describe('systemic failures', () => {
  it('stop a push at the first refused object instead of reporting every object', async () => {
    const storage = new MemoryStorage();
    const oids = [await store('one\n'), await store('two\n'), await store('three\n')];
    for (const oid of oids)
      storage.failNext('upload', objectKey(oid), new RemoteError('AUTH', 'access denied'));
    await expect(
      pushObjects(storage, cache, { files: oids, dirs: new Map() }, { jobs: 1, retry: noSleep }),
    ).rejects.toMatchObject({
      code: 'AUTH',
    });
    expect(storage.calls.upload).toBe(1);
  });
});

describe('gcRemote', () => {
  it('removes the unused objects, manifests first, and drops them from the index', async () => {
    const { gcRemote } = await import('./gc');
    const storage = new MemoryStorage();
    const kept = await storeDir({ k: 'keep\n' });
    const gone = await storeDir({ g: 'gone\n', h: 'also gone\n' });
    const index = RemoteIndex.memory();
    await pushObjects(
      storage,
      cache,
      {
        files: [],
        dirs: new Map([
          [kept.dir, kept.files],
          [gone.dir, gone.files],
        ]),
      },
      { index, retry: noSleep },
    );
    const keep = new Set([kept.dir, ...kept.files]);
    expect((await gcRemote(storage, keep, { dry: true })).sort()).toEqual([gone.dir, ...gone.files].sort());
    expect(storage.calls.remove).toBe(0);
    const order: string[] = [];
    const remove = storage.remove.bind(storage);
    storage.remove = async (key: string) => {
      order.push(key);
      await remove(key);
    };
    const removed = await gcRemote(storage, keep, { index, jobs: 1 });
    expect(removed.sort()).toEqual([gone.dir, ...gone.files].sort());
    expect(order[0]).toBe(objectKey(gone.dir));
    expect([...storage.objects.keys()].sort()).toEqual([kept.dir, ...kept.files].map(objectKey).sort());
    expect(index.has(gone.dir)).toBe(false);
    expect(index.has(kept.dir)).toBe(true);
  });
});

describe('the legacy (DVC 2) layout', () => {
  it('keeps md5-dos2unix objects at <2>/<30>, verified by their dos2unix md5', async () => {
    const { LEGACY_LAYOUT } = await import('./keys');
    const storage = new MemoryStorage();
    // a text file with CRLF: its DVC 2 hash is the md5 of the LF text
    const oid = md5('line\n');
    await mkdir(path.dirname(cachePath(cache, oid, LEGACY_LAYOUT)), { recursive: true });
    await writeFile(cachePath(cache, oid, LEGACY_LAYOUT), 'line\r\n');
    expect(cachePath(cache, oid, LEGACY_LAYOUT)).toBe(path.join(cache, oid.slice(0, 2), oid.slice(2)));
    const pushed = await pushObjects(
      storage,
      cache,
      { files: [oid], dirs: new Map() },
      { layout: LEGACY_LAYOUT, retry: noSleep },
    );
    expect(pushed.transferred).toEqual([oid]);
    expect([...storage.objects.keys()]).toEqual([`${oid.slice(0, 2)}/${oid.slice(2)}`]);
    const other = path.join(cache, 'other');
    const fetched = await fetchObjects(storage, other, [oid], { layout: LEGACY_LAYOUT, retry: noSleep });
    expect(fetched.transferred).toEqual([oid]);
    expect(fetched.failed).toEqual([]);
    // a DVC 3 push of the same id looks under files/md5 and finds nothing there
    const modern = await oidsExist(storage, [oid, md5('x')], { jobs: 2 });
    expect(modern.size).toBe(0);
  });
});
