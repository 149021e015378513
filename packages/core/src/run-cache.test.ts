import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dumpDvcYaml, type LockEntry, LockFile, lockEntryData, readLockEntry } from './lockfile';
import { canUseRunCache, RunCache, runCacheKey, runCacheValue } from './run-cache';

// The run-cache files under __fixtures__/lock/<case>/runs/ were written by DVC 3.67.1 while it
// wrote the case's lock files (see generate.sh there); index.txt lists their paths under runs/.
const FIXTURES = fileURLToPath(new URL('./__fixtures__/lock/', import.meta.url));
const RUNS = readdirSync(FIXTURES).flatMap((name) => {
  const runs = path.join(FIXTURES, name, 'runs');
  if (!existsSync(runs)) return [];
  return readdirSync(runs).map((phase) => ({ name, phase, directory: path.join(runs, phase) }));
});

function entries(name: string, phase: string): [string, LockEntry][] {
  const file = path.join(FIXTURES, name, `${phase}.lock`);
  const lock = LockFile.parse(readFileSync(file, 'utf8'), file, `${phase}.lock`);
  return lock.stages.map((stage) => [stage, lock.get(stage)!]);
}

describe('run-cache names and files against DVC', () => {
  it.each(RUNS)(
    '$name ($phase): every entry of the lock file is where DVC put it',
    ({ name, phase, directory }) => {
      const index = readFileSync(path.join(directory, 'index.txt'), 'utf8').trim().split('\n');
      for (const [stage, entry] of entries(name, phase)) {
        if (name === 'legacy' && stage === 'gone') continue; // hand-written, never run
        const key = runCacheKey(entry);
        const value = runCacheValue(entry);
        expect(index, `${name}:${stage}`).toContain(`${key.slice(0, 2)}/${key}/${value}`);
        // The run-cache file holds the entry as the lock file does, at the top level.
        expect(dumpDvcYaml(lockEntryData(entry))).toBe(
          readFileSync(path.join(directory, `${value}.yaml`), 'utf8'),
        );
      }
    },
  );

  it.each(RUNS)(
    '$name ($phase): every file DVC saved has the name tvc computes and the bytes tvc writes',
    async ({ directory }) => {
      const index = readFileSync(path.join(directory, 'index.txt'), 'utf8').trim().split('\n');
      const root = await mkdtemp(path.join(tmpdir(), 'tvc-runs-'));
      try {
        const cache = new RunCache(root);
        for (const line of index) {
          const [, key, value] = line.split('/') as [string, string, string];
          const text = readFileSync(path.join(directory, `${value}.yaml`), 'utf8');
          const file = path.join(directory, `${value}.yaml`);
          const entry = readLockEntry(text, file);
          expect(runCacheKey(entry)).toBe(key);
          expect(runCacheValue(entry)).toBe(value);
          await cache.save(entry);
          expect(await readFile(cache.entryPath(key, value), 'utf8')).toBe(text);
        }
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
  );
});

describe('RunCache', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'tvc-runs-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const entry = (md5: string): LockEntry => ({
    cmd: 'cat a > b',
    deps: [{ path: 'a', hash: 'md5', md5: '60b725f10c9c85c70d97880dfe8191b3', size: 2 }],
    outs: [{ path: 'b', hash: 'md5', md5, size: 2 }],
  });

  it('keys on the command, deps, params and output paths; sizes do not count', () => {
    const one = entry('60b725f10c9c85c70d97880dfe8191b3');
    const other = entry('3b5d5c3712955042212316173ccf37be');
    expect(runCacheKey(one)).toBe(runCacheKey(other));
    expect(runCacheValue(one)).not.toBe(runCacheValue(other));
    const resized = { ...one, deps: [{ ...one.deps![0]!, size: 999 }] };
    expect(runCacheValue(resized)).toBe(runCacheValue(one));
    // dict_filter drops `size` at every depth, a param named so included.
    const withParams = (size: number): LockEntry => ({ ...one, params: { 'params.yaml': { size, lr: 1 } } });
    expect(runCacheKey(withParams(1))).toBe(runCacheKey(withParams(2)));
    expect(runCacheKey({ ...one, cmd: 'cat a >  b' })).not.toBe(runCacheKey(one));
  });

  it('saves once and lists candidates newest first', async () => {
    const cache = new RunCache(root);
    const older = entry('60b725f10c9c85c70d97880dfe8191b3');
    const newer = entry('3b5d5c3712955042212316173ccf37be');
    await cache.save(older);
    await cache.save(newer);
    const olderFile = cache.entryPath(runCacheKey(older), runCacheValue(older));
    await utimes(olderFile, new Date(1_000_000), new Date(1_000_000));
    await cache.save(older);
    const found = await cache.candidates({ ...older, outs: [{ path: 'b' }] });
    expect(found.map((item) => item.outs?.[0]?.md5)).toEqual([
      '3b5d5c3712955042212316173ccf37be',
      '60b725f10c9c85c70d97880dfe8191b3',
    ]);
    expect(readdirSync(path.dirname(olderFile)).sort()).toHaveLength(2);
    expect(await cache.candidates({ ...older, cmd: 'other' })).toEqual([]);
  });

  it('skips corrupted entries', async () => {
    const cache = new RunCache(root);
    const one = entry('60b725f10c9c85c70d97880dfe8191b3');
    await cache.save(one);
    const key = runCacheKey(one);
    await writeFile(cache.entryPath(key, 'f'.repeat(64)), 'cmd: [unclosed\n');
    await writeFile(cache.entryPath(key, 'e'.repeat(64)), 'deps: []\n');
    expect(await cache.candidates(one)).toHaveLength(1);
  });
});

describe('canUseRunCache', () => {
  const stage = {
    cmd: 'python train.py',
    alwaysChanged: false,
    deps: 2,
    outs: [{ persist: false, inRepo: true }],
  };

  it('follows _can_hash in dvc/stage/cache.py', () => {
    expect(canUseRunCache(stage)).toBe(true);
    expect(canUseRunCache({ ...stage, alwaysChanged: true })).toBe(false);
    expect(canUseRunCache({ ...stage, cmd: '' })).toBe(false);
    expect(canUseRunCache({ ...stage, cmd: [] })).toBe(false);
    expect(canUseRunCache({ ...stage, cmd: ['a', 'b'] })).toBe(true);
    expect(canUseRunCache({ ...stage, deps: 0 })).toBe(false);
    expect(canUseRunCache({ ...stage, deps: [{ hashed: true }, { hashed: false }] })).toBe(false);
    expect(canUseRunCache({ ...stage, outs: [] })).toBe(false);
    expect(canUseRunCache({ ...stage, outs: [{ persist: true, inRepo: true }] })).toBe(false);
    expect(canUseRunCache({ ...stage, outs: [{ persist: false, inRepo: false }] })).toBe(false);
  });
});
