import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashDirectory, hashFile, hashPath, md5Dos2Unix } from './hash.js';
import { compareRelpaths, manifestMd5, serializeManifest } from './manifest.js';
import { HashMemo } from './memo.js';
import {
  ageFiles,
  cleanup,
  codeOf,
  DVC_FIXTURE,
  FIXTURE_FILES,
  temporaryDirectory,
  writeFixture,
} from './test-fixtures.js';

afterAll(cleanup);

const md5 = (data: string | Buffer) => createHash('md5').update(data).digest('hex');

describe('hashDirectory', () => {
  it('hashes the fixture exactly as DVC 3.67.1 does', async () => {
    const data = writeFixture(temporaryDirectory());
    const hash = await hashDirectory(data);
    expect(hash.md5).toBe(DVC_FIXTURE.md5);
    expect(hash.size).toBe(DVC_FIXTURE.size);
    expect(hash.nfiles).toBe(DVC_FIXTURE.nfiles);
    expect(serializeManifest(hash.entries)).toBe(DVC_FIXTURE.manifest);
    expect(hash.entries.map((entry) => entry.relpath)).toEqual(
      [...FIXTURE_FILES.map(([relpath]) => relpath), 'link-to-file'].sort(compareRelpaths),
    );
  });

  it('follows symlinks to files, skips symlinks to directories and empty directories', async () => {
    const data = writeFixture(temporaryDirectory());
    const { entries } = await hashDirectory(data);
    const byPath = new Map(entries.map((entry) => [entry.relpath, entry]));
    expect(byPath.get('link-to-file')).toEqual({
      relpath: 'link-to-file',
      md5: md5('outside\n'),
      size: 8,
      isexec: false,
    });
    expect(
      [...byPath.keys()].filter((relpath) => relpath.startsWith('link-to-dir') || relpath.startsWith('void')),
    ).toEqual([]);
  });

  it('records the execute bit per entry (the manifest does not)', async () => {
    const data = writeFixture(temporaryDirectory());
    const { entries } = await hashDirectory(data);
    expect(entries.filter((entry) => entry.isexec).map((entry) => entry.relpath)).toEqual(['run.sh']);
    // `dvc add run.sh` writes md5 3e2b31c72181b87149ff995e7202c0e3, size 10, isexec: true
    expect(await hashFile(path.join(data, 'run.sh'))).toEqual({
      md5: '3e2b31c72181b87149ff995e7202c0e3',
      size: 10,
      isexec: true,
    });
  });

  it('gives the empty-directory hash for a tree of empty directories', async () => {
    const root = temporaryDirectory();
    mkdirSync(path.join(root, 'e/x/y'), { recursive: true });
    // `dvc add e` on such a tree: md5 d751713988987e9331980363e24189ce.dir, size 0, nfiles 0
    expect(await hashDirectory(path.join(root, 'e'))).toEqual({
      md5: 'd751713988987e9331980363e24189ce.dir',
      size: 0,
      nfiles: 0,
      entries: [],
    });
  });

  it('leaves out what ignore() refuses, with posix relpaths', async () => {
    const data = writeFixture(temporaryDirectory());
    const seen: [string, boolean][] = [];
    const hash = await hashDirectory(data, {
      ignore: (relpath, isDirectory) => {
        seen.push([relpath, isDirectory]);
        return relpath === 'nested' || relpath === 'b/x';
      },
    });
    const all = await hashDirectory(data);
    const kept = all.entries.filter(
      (entry) => !entry.relpath.startsWith('nested/') && entry.relpath !== 'b/x',
    );
    expect(hash.entries).toEqual(kept);
    expect(hash.md5).toBe(manifestMd5(kept));
    expect(seen).toContainEqual(['nested', true]);
    expect(seen).toContainEqual(['ünï/ф.txt', false]);
    expect(seen.some(([relpath]) => relpath.startsWith('nested/'))).toBe(false);
  });

  it('fails on a broken symlink as DVC does, and refuses FIFOs', async () => {
    const root = temporaryDirectory();
    mkdirSync(path.join(root, 'd'));
    writeFileSync(path.join(root, 'd/a'), 'a');
    symlinkSync('/nonexistent/tvc', path.join(root, 'd/broken'));
    expect(await codeOf(hashDirectory(path.join(root, 'd')))).toBe('NOT_FOUND');
    mkdirSync(path.join(root, 'f'));
    execFileSync('mkfifo', [path.join(root, 'f/fifo')]);
    expect(await codeOf(hashDirectory(path.join(root, 'f')))).toBe('NOT_A_FILE');
    expect(await codeOf(hashDirectory(path.join(root, 'f'), { memo: HashMemo.inMemory() }))).toBe(
      'NOT_A_FILE',
    );
    // ignored, it is not looked at (as DVC, whose walk applies .dvcignore first)
    const ignored = await hashDirectory(path.join(root, 'f'), { ignore: (relpath) => relpath === 'fifo' });
    expect(ignored.nfiles).toBe(0);
  });

  it('reports progress and can be aborted', async () => {
    const data = writeFixture(temporaryDirectory());
    const progress: { files: number; bytes: number }[] = [];
    await hashDirectory(data, { onProgress: (value) => progress.push(value) });
    expect(progress.at(-1)).toEqual({ files: DVC_FIXTURE.nfiles, bytes: DVC_FIXTURE.size });

    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(hashDirectory(data, { signal: controller.signal })).rejects.toThrow('stop');

    const root = temporaryDirectory();
    for (let index = 0; index < 2000; index++) {
      mkdirSync(path.join(root, `d${index % 20}`), { recursive: true });
      writeFileSync(path.join(root, `d${index % 20}`, `f${index}`), `${index}`);
    }
    const later = new AbortController();
    const pending = hashDirectory(root, {
      signal: later.signal,
      onProgress: () => later.abort(new Error('stopped midway')),
    });
    await expect(pending).rejects.toThrow('stopped midway');
  });
});

/**
 * A tree that exercises the workers' walk: a directory of several runs (more than 256 files)
 * with a subdirectory sorting among its files, files over the main thread's size limit between
 * small ones, names that need escapes or sort differently by code point, symlinks, executable
 * files and empty directories.
 */
function writeLargeTree(root: string): string {
  const data = path.join(root, 'tree');
  const file = (relpath: string, content: string | Buffer, mode?: number) => {
    const absolute = path.join(data, relpath);
    mkdirSync(path.dirname(absolute), { recursive: true });
    writeFileSync(absolute, content);
    if (mode !== undefined) chmodSync(absolute, mode);
  };
  for (let index = 0; index < 700; index++) {
    if (index !== 35) file(`many/f${index}`, `file ${index}\n`.repeat(index % 7));
  }
  file('many/f35/inner', 'a directory among the files');
  file('many/f35.x', 'sorts before f35/');
  for (let index = 0; index < 300; index++)
    file(`many/g${index}`, `${index}`, index % 50 === 0 ? 0o755 : undefined);
  const big = Buffer.alloc((3 << 20) + 5);
  for (let index = 0; index < big.length; index++) big[index] = (index * 31) % 253;
  file('mixed/a-small', 'small');
  file('mixed/b-big', big);
  file('mixed/c-small', 'small too');
  file('mixed/d-big', big.subarray(0, (1 << 20) + 1));
  file('mixed/e-small', '');
  for (const name of ['é', 'e\u0301', '😀', 'ａ', 'quote"', 'back\\slash', 'tab\t', 'z'])
    file(`names/${name}`, name);
  file('deep/a/b/c/d/e/f', 'deep');
  mkdirSync(path.join(data, 'empty/inner'), { recursive: true });
  symlinkSync('../many/f1', path.join(data, 'names/link'));
  symlinkSync('../deep', path.join(data, 'names/dirlink'));
  return data;
}

/** DVC's walk done naively: the reference the workers' walk must agree with. */
function referenceEntries(root: string, ignore?: (relpath: string) => boolean) {
  const entries: { relpath: string; md5: string; size: number; isexec: boolean }[] = [];
  const visit = (directory: string, prefix: string) => {
    for (const dirent of readdirSync(directory, { withFileTypes: true })) {
      const absolute = path.join(directory, dirent.name);
      const relpath = prefix ? `${prefix}/${dirent.name}` : dirent.name;
      if (ignore?.(relpath)) continue;
      const stats = statSync(absolute);
      if (stats.isDirectory()) {
        if (!dirent.isSymbolicLink()) visit(absolute, relpath);
        continue;
      }
      const content = readFileSync(absolute);
      entries.push({ relpath, md5: md5(content), size: content.length, isexec: (stats.mode & 0o111) !== 0 });
    }
  };
  visit(root, '');
  return entries.sort((a, b) => compareRelpaths(a.relpath, b.relpath));
}

describe('hashDirectory on a larger tree', () => {
  it('agrees with a naive walk, file for file, in every mode', async () => {
    const data = writeLargeTree(temporaryDirectory());
    await ageFiles(data);
    const expected = referenceEntries(data);
    const expectedMd5 = manifestMd5(expected);
    const size = expected.reduce((sum, entry) => sum + entry.size, 0);

    const progress: { files: number; bytes: number }[] = [];
    const plain = await hashDirectory(data, { onProgress: (value) => progress.push(value) });
    expect(plain.md5).toBe(expectedMd5);
    expect(plain.nfiles).toBe(expected.length);
    expect(plain.size).toBe(size);
    expect(plain.entries).toEqual(expected);
    expect(progress.at(-1)).toEqual({ files: expected.length, bytes: size });

    const memo = HashMemo.inMemory();
    expect(await hashDirectory(data, { memo })).toEqual(plain);
    expect(memo.stats).toEqual({ hits: 0, misses: expected.length, bytesRead: size });
    expect(await hashDirectory(data, { memo })).toEqual(plain);
    expect(memo.stats).toEqual({ hits: expected.length, misses: expected.length, bytesRead: size });

    const ignored = (relpath: string) => relpath === 'many' || relpath.endsWith('-big');
    const kept = referenceEntries(data, ignored);
    const filtered = await hashDirectory(data, { ignore: (relpath) => ignored(relpath) });
    expect(filtered.entries).toEqual(kept);
    expect(filtered.md5).toBe(manifestMd5(kept));
  });

  it('gives the same answer when hashed many times at once', async () => {
    const data = writeLargeTree(temporaryDirectory());
    const expected = manifestMd5(referenceEntries(data));
    const hashes = await Promise.all(Array.from({ length: 6 }, () => hashDirectory(data)));
    expect(hashes.map((hash) => hash.md5)).toEqual(Array(6).fill(expected));
  });

  it('keeps entries lazy through hashPath, and lets them be replaced', async () => {
    const data = writeLargeTree(temporaryDirectory());
    const hash = await hashPath(data);
    if (hash?.kind !== 'directory') throw new Error('expected a directory');
    expect(Object.keys(hash)).toEqual(['kind', 'md5', 'size', 'nfiles', 'entries']);
    expect(hash.entries).toHaveLength(hash.nfiles);
    expect(hash.entries).toBe(hash.entries);
    hash.entries = [];
    expect(hash.entries).toEqual([]);
  });
});

describe('hashFile and hashPath', () => {
  it('hashes files of several chunks', async () => {
    const root = temporaryDirectory();
    // 3 MiB + 17 bytes of varied data: several 1 MiB reads
    const data = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let index = 0; index < data.length; index++) data[index] = (index * 7919) % 251;
    writeFileSync(path.join(root, 'big'), data);
    expect(await hashFile(path.join(root, 'big'))).toEqual({
      md5: md5(data),
      size: data.length,
      isexec: false,
    });
  });

  it('tells files, directories and nothing apart', async () => {
    const data = writeFixture(temporaryDirectory());
    expect(await hashPath(path.join(data, 'missing'))).toBeUndefined();
    expect(await hashPath(path.join(data, 'a.txt'))).toEqual({
      kind: 'file',
      md5: 'b1946ac92492d2347c6235b4d2611184',
      size: 6,
      isexec: false,
    });
    expect(await hashPath(data)).toMatchObject({ kind: 'directory', md5: DVC_FIXTURE.md5 });
    symlinkSync('/nonexistent/tvc', path.join(data, 'broken'));
    expect(await codeOf(hashPath(path.join(data, 'broken')))).toBe('NOT_FOUND');
    expect(await codeOf(hashFile(data))).toBe('NOT_A_FILE');
    expect(await codeOf(hashFile(path.join(data, 'missing')))).toBe('NOT_FOUND');
    expect(await codeOf(hashDirectory(path.join(data, 'a.txt')))).toBe('NOT_A_DIRECTORY');
    expect(await codeOf(hashDirectory(path.join(data, 'missing')))).toBe('NOT_FOUND');
  });
});

describe('md5Dos2Unix', () => {
  // Each expected value is dvc_data.hashfile.hash.file_md5(path, name='md5-dos2unix') from
  // /work/dvcenv (DVC 3.67.1) on a file holding exactly these bytes.
  const CHUNK = 1 << 20;
  const cases: [string, Buffer, string][] = [
    ['CRLF text', Buffer.from('a\r\nb\r\n'), 'dd8c6a395b5dd36c56d23275028f526c'],
    ['binary (NUL)', Buffer.from('\0\r\nA\r\n'), 'cdeb914f24b7fa3586a31fba0a21431e'],
    [
      'a CRLF split across the 1 MiB chunk boundary stays',
      Buffer.concat([Buffer.alloc(CHUNK - 1, 'x'), Buffer.from('\r\n'), Buffer.from('y\r\n'.repeat(10))]),
      'bc1c0fcaf93ada2505d382922c56a829',
    ],
    [
      'a binary first chunk, then a text chunk',
      Buffer.concat([Buffer.from('\0'), Buffer.from('a\r\n'.repeat(349525)), Buffer.from('b\r\n'.repeat(5))]),
      '7852e261a41be08d7c8725425aa49510',
    ],
    [
      'a NUL after the first 512 bytes',
      Buffer.concat([Buffer.from('c\r\n'.repeat(200)), Buffer.from('\0d\r\n')]),
      '164d2fb92a1ab0b4623422614e4caebf',
    ],
    [
      'over 30% non-text bytes',
      Buffer.concat([Buffer.alloc(200, 0xe9), Buffer.from('e\r\n'.repeat(100))]),
      '8b23bdeaaeda4fda3e5d1c8ec9478ce8',
    ],
    ['empty', Buffer.alloc(0), 'd41d8cd98f00b204e9800998ecf8427e'],
  ];
  it.each(cases)('%s', async (_name, bytes, expected) => {
    const file = path.join(temporaryDirectory(), 'f');
    writeFileSync(file, bytes);
    expect(await md5Dos2Unix(file)).toBe(expected);
  });
});

describe('HashMemo', () => {
  it('never reads an unchanged file twice', async () => {
    const data = writeFixture(temporaryDirectory());
    await ageFiles(path.dirname(data));
    const memo = HashMemo.inMemory();
    const first = await hashDirectory(data, { memo });
    expect(memo.stats).toEqual({ hits: 0, misses: DVC_FIXTURE.nfiles, bytesRead: DVC_FIXTURE.size });

    const second = await hashDirectory(data, { memo });
    expect(second).toEqual(first);
    expect(memo.stats).toEqual({
      hits: DVC_FIXTURE.nfiles,
      misses: DVC_FIXTURE.nfiles,
      bytesRead: DVC_FIXTURE.size,
    });

    // same size, new content: only that file is read again
    const changed = path.join(data, 'a.txt');
    writeFileSync(changed, 'HELLO\n');
    const past = new Date(Date.now() - 30_000);
    utimesSync(changed, past, past);
    const third = await hashDirectory(data, { memo });
    expect(third.entries.find((entry) => entry.relpath === 'a.txt')?.md5).toBe(md5('HELLO\n'));
    expect(memo.stats.bytesRead).toBe(DVC_FIXTURE.size + 6);
    expect(memo.stats.misses).toBe(DVC_FIXTURE.nfiles + 1);
  });

  it('does not trust files changed within the racy window', async () => {
    const file = path.join(temporaryDirectory(), 'fresh');
    writeFileSync(file, 'fresh');
    const memo = HashMemo.inMemory();
    await hashFile(file, { memo });
    await hashFile(file, { memo });
    expect(memo.stats).toEqual({ hits: 0, misses: 2, bytesRead: 10 });
  });

  it('persists, reloads, and saves only when changed', async () => {
    const root = temporaryDirectory();
    const data = writeFixture(root);
    await ageFiles(root);
    const memoFile = path.join(root, '.dvc/tmp/tvc-hash-memo.json');
    const memo = await HashMemo.open(memoFile);
    const hash = await hashDirectory(data, { memo });
    await memo.save();
    const written = readFileSync(memoFile, 'utf8');

    const reopened = await HashMemo.open(memoFile);
    expect(reopened.size).toBe(DVC_FIXTURE.nfiles);
    expect(await hashDirectory(data, { memo: reopened })).toEqual(hash);
    expect(reopened.stats).toEqual({ hits: DVC_FIXTURE.nfiles, misses: 0, bytesRead: 0 });
    const past = new Date(Date.now() - 10_000);
    utimesSync(memoFile, past, past);
    await reopened.save();
    expect(readFileSync(memoFile, 'utf8')).toBe(written);
    expect(Math.round(statSync(memoFile).mtimeMs)).toBe(past.getTime());
  });

  it('treats a corrupt memo file as empty', async () => {
    const root = temporaryDirectory();
    const memoFile = path.join(root, 'memo.json');
    writeFileSync(memoFile, '{"format": "tvc-hash-memo", "version": 1, "entries": [');
    expect((await HashMemo.open(memoFile)).size).toBe(0);
    expect((await HashMemo.open(path.join(root, 'absent.json'))).size).toBe(0);
  });
});

describe('the fixture table', () => {
  it('has the files the recorded DVC values were made from', () => {
    expect(FIXTURE_FILES).toHaveLength(DVC_FIXTURE.nfiles - 1); // + link-to-file
  });
});
