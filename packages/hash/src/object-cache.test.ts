import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { HashError } from './errors.js';
import { hashDirectory, hashFile, hashPath } from './hash.js';
import { manifestMd5 } from './manifest.js';
import { HashMemo } from './memo.js';
import { needsRelink, ObjectCache } from './object-cache.js';
import { ageFiles, cleanup, codeOf, DVC_FIXTURE, temporaryDirectory, writeFixture } from './test-fixtures.js';
import type { LinkType } from './types.js';

afterAll(cleanup);

/** relpath → content (or '-> target' for symlinks), to compare whole trees. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const dirent of await readdir(root, { withFileTypes: true, recursive: true })) {
    const file = path.join(dirent.parentPath, dirent.name);
    const relpath = path.relative(root, file);
    if (dirent.isSymbolicLink()) out[relpath] = `-> ${await readlink(file)}`;
    else if (dirent.isFile()) out[relpath] = (await readFile(file)).toString('base64');
    else out[`${relpath}/`] = 'dir';
  }
  return out;
}

/** A fixture, hashed and saved into a fresh cache. */
async function savedFixture(options: { memo?: HashMemo } = {}) {
  const root = temporaryDirectory();
  const data = writeFixture(root);
  const cache = new ObjectCache(path.join(root, '.dvc/cache'), options);
  const hash = await hashPath(data);
  if (hash?.kind !== 'directory') throw new Error('expected a directory');
  await cache.save(data, hash);
  return { root, data, cache, hash };
}

const HELLO = 'b1946ac92492d2347c6235b4d2611184';

describe('ObjectCache.objectPath', () => {
  const cache = new ObjectCache('/repo/.dvc/cache');

  it('maps hashes to DVC 3 paths', () => {
    expect(cache.objectPath(HELLO)).toBe('/repo/.dvc/cache/files/md5/b1/946ac92492d2347c6235b4d2611184');
    expect(cache.objectPath(`${HELLO}.dir`)).toBe(
      '/repo/.dvc/cache/files/md5/b1/946ac92492d2347c6235b4d2611184.dir',
    );
    expect(cache.objectPath(HELLO.toUpperCase())).toBe(cache.objectPath(HELLO));
  });

  it('refuses anything that is not 32 hex digits (+ .dir)', async () => {
    const hostile = [
      '../../x',
      '../../../../etc/passwd',
      '',
      'b1/946ac92492d2347c6235b4d2611184',
      `${HELLO.slice(0, 31)}`,
      `${HELLO}0`,
      `${HELLO}.dir/../../x`,
      `${HELLO}/`,
      `${HELLO}.DIR`,
      `${HELLO}.tmp`,
      ` ${HELLO}`,
      `${HELLO}\0`,
      'g'.repeat(32),
    ];
    for (const md5 of hostile) {
      expect(() => cache.objectPath(md5), JSON.stringify(md5)).toThrow(HashError);
      expect(await codeOf(cache.has(md5))).toBe('INVALID_HASH');
      expect(await codeOf(cache.verify(md5))).toBe('INVALID_HASH');
      expect(await codeOf(cache.checkout(md5, '/tmp/never-written'))).toBe('INVALID_HASH');
    }
    expect(existsSync('/tmp/never-written')).toBe(false);
  });
});

describe('ObjectCache.save', () => {
  it('writes the objects DVC writes, read-only, manifest included', async () => {
    const { root, cache, hash } = await savedFixture();
    expect(hash.md5).toBe(DVC_FIXTURE.md5);
    const objects = path.join(root, '.dvc/cache/files/md5');
    const written = readdirSync(objects, { recursive: true, withFileTypes: true })
      .filter((dirent) => dirent.isFile())
      .map((dirent) => path.relative(objects, path.join(dirent.parentPath, dirent.name)))
      .sort();
    expect(written).toEqual([...DVC_FIXTURE.objects]);
    for (const object of written) expect(statSync(path.join(objects, object)).mode & 0o777).toBe(0o444);
    expect(readFileSync(cache.objectPath(DVC_FIXTURE.md5), 'utf8')).toBe(DVC_FIXTURE.manifest);
    expect(await cache.has(DVC_FIXTURE.md5)).toBe(true);
    expect(await cache.has(HELLO)).toBe(true);
    expect(await cache.has('0'.repeat(32))).toBe(false);
  });

  it('stores a directory while hashing it (one read per file), then saves without reading', async () => {
    const root = temporaryDirectory();
    const data = writeFixture(root);
    const memo = await HashMemo.open(path.join(root, 'memo.json'));
    const cache = new ObjectCache(path.join(root, '.dvc/cache'));
    const hash = await hashPath(data, { memo, store: cache.storeWhileHashing(memo) });
    if (hash?.kind !== 'directory') throw new Error('expected a directory');
    expect(hash.md5).toBe(DVC_FIXTURE.md5);
    const read = memo.stats.bytesRead;
    expect(read).toBe(hash.size);
    await cache.save(data, hash, { memo });
    expect(memo.stats.bytesRead).toBe(read); // nothing read again
    const objects = path.join(root, '.dvc/cache/files/md5');
    const written = readdirSync(objects, { recursive: true, withFileTypes: true })
      .filter((dirent) => dirent.isFile())
      .map((dirent) => path.relative(objects, path.join(dirent.parentPath, dirent.name)))
      .sort();
    expect(written).toEqual([...DVC_FIXTURE.objects]); // no temporary left in 00/
    for (const object of written) expect(statSync(path.join(objects, object)).mode & 0o777).toBe(0o444);
    expect(await cache.verify(DVC_FIXTURE.md5)).toBe('ok');
  });

  it('stores a single file and is idempotent', async () => {
    const root = temporaryDirectory();
    const file = path.join(root, 'f');
    writeFileSync(file, 'hello\n');
    const cache = new ObjectCache(path.join(root, 'cache'));
    const hash = { kind: 'file' as const, ...(await hashFile(file)) };
    await cache.save(file, hash);
    const object = cache.objectPath(HELLO);
    const first = statSync(object);
    await cache.save(file, hash);
    expect(statSync(object).ino).toBe(first.ino);
    expect(readFileSync(object, 'utf8')).toBe('hello\n');
    expect(readdirSync(path.dirname(object))).toEqual([path.basename(object)]); // no temporary left
  });

  it('refuses to store content that no longer matches its hash, leaving nothing behind', async () => {
    const root = temporaryDirectory();
    const file = path.join(root, 'f');
    writeFileSync(file, 'hello\n');
    const cache = new ObjectCache(path.join(root, 'cache'));
    const hash = { kind: 'file' as const, ...(await hashFile(file)) };
    writeFileSync(file, 'HELLO\n');
    expect(await codeOf(cache.save(file, hash))).toBe('HASH_MISMATCH');
    expect(existsSync(cache.objectPath(HELLO))).toBe(false);
    expect(readdirSync(path.dirname(cache.objectPath(HELLO)))).toEqual([]);
    const wrong = { kind: 'directory' as const, md5: `${HELLO}.dir`, size: 0, nfiles: 0, entries: [] };
    expect(await codeOf(cache.save(root, wrong))).toBe('INVALID_HASH');
  });

  it('lets many saves of the same objects race, in threads and in processes', async () => {
    const { data, cache, hash } = await savedFixture();
    const other = new ObjectCache(cache.root);
    await Promise.all(Array.from({ length: 8 }, (_, index) => (index % 2 ? cache : other).save(data, hash)));
    expect(await cache.verify(hash.md5)).toBe('ok');

    // Several processes saving one 8 MiB file into an empty cache at once.
    const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    if (!existsSync(built)) return; // needs `pnpm --filter @tvc/hash build`
    const root = temporaryDirectory();
    const file = path.join(root, 'big');
    const bytes = Buffer.alloc(8 << 20);
    for (let index = 0; index < bytes.length; index += 4096) bytes.writeUInt32LE(index, index);
    writeFileSync(file, bytes);
    const fileHash = { kind: 'file' as const, ...(await hashFile(file)) };
    const script = `
      const { ObjectCache } = await import(${JSON.stringify(built)});
      await new ObjectCache(process.argv[1]).save(process.argv[2], JSON.parse(process.argv[3]));`;
    const codes = await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<number | null>((resolve) => {
            const child = spawn(
              process.execPath,
              ['--input-type=module', '-e', script, path.join(root, 'cache'), file, JSON.stringify(fileHash)],
              { stdio: 'inherit' },
            );
            child.on('exit', resolve);
          }),
      ),
    );
    expect(codes).toEqual([0, 0, 0, 0]);
    const fresh = new ObjectCache(path.join(root, 'cache'));
    expect(await fresh.verify(fileHash.md5)).toBe('ok');
    expect(readdirSync(path.dirname(fresh.objectPath(fileHash.md5)))).toHaveLength(1);
  });
});

describe('ObjectCache.verify', () => {
  it('finds missing and corrupt objects, in files and in directories', async () => {
    const { cache, hash } = await savedFixture();
    expect(await cache.verify(hash.md5)).toBe('ok');
    expect(await cache.verify(HELLO)).toBe('ok');
    expect(await cache.verify('0'.repeat(32))).toBe('missing');
    expect(await cache.verify(`${'0'.repeat(32)}.dir`)).toBe('missing');

    // same size, other bytes: only hashing can tell
    const object = cache.objectPath(HELLO);
    await chmod(object, 0o644);
    await writeFile(object, 'HELLO\n');
    expect(await cache.verify(HELLO)).toBe('corrupt');
    expect(await cache.verify(hash.md5)).toBe('corrupt');
    await writeFile(object, 'hello\n');
    expect(await cache.verify(hash.md5)).toBe('ok');
    await rm(object);
    expect(await cache.verify(hash.md5)).toBe('missing');
  });

  it('calls a manifest corrupt when its bytes do not match its name', async () => {
    const { cache, hash } = await savedFixture();
    const manifest = cache.objectPath(hash.md5);
    await chmod(manifest, 0o644);
    await writeFile(manifest, DVC_FIXTURE.manifest.replace('"a"', '"A"'));
    expect(await cache.verify(hash.md5)).toBe('corrupt');
    expect(await codeOf(cache.readManifest(hash.md5))).toBe('CACHE_CORRUPT');
  });

  it('does not re-read unchanged cache objects when given a memo', async () => {
    const memo = HashMemo.inMemory();
    const { root, cache, hash } = await savedFixture({ memo });
    // objects the cache wrote itself are memoised as they are written
    const afterSave = memo.stats.bytesRead;
    expect(await cache.verify(hash.md5)).toBe('ok');
    expect(memo.stats.bytesRead).toBe(afterSave);

    const cold = HashMemo.inMemory();
    await ageFiles(path.join(root, '.dvc/cache'));
    expect(await cache.verify(hash.md5, { memo: cold })).toBe('ok');
    // the fixture's 21 files are all different: 21 file objects holding 307 bytes
    expect(cold.stats).toEqual({ hits: 0, misses: DVC_FIXTURE.nfiles, bytesRead: DVC_FIXTURE.size });
    expect(await cache.verify(hash.md5, { memo: cold })).toBe('ok');
    expect(cold.stats).toEqual({
      hits: DVC_FIXTURE.nfiles,
      misses: DVC_FIXTURE.nfiles,
      bytesRead: DVC_FIXTURE.size,
    });
  });
});

describe('ObjectCache.readManifest', () => {
  it('lists entries with the cached sizes', async () => {
    const { cache, hash } = await savedFixture();
    const entries = await cache.readManifest(hash.md5);
    expect(entries).toEqual(hash.entries.map((entry) => ({ ...entry, isexec: false })));
    expect(await codeOf(cache.readManifest(`${'0'.repeat(32)}.dir`))).toBe('CACHE_MISSING');
    expect(await codeOf(cache.readManifest(HELLO))).toBe('INVALID_HASH');
  });
});

describe('ObjectCache.checkout', () => {
  it('restores a directory, removing what the manifest does not have', async () => {
    const { root, data, cache, hash } = await savedFixture();
    const dest = path.join(root, 'restored');
    await cache.checkout(hash.md5, dest);
    const { kind: _kind, ...expected } = hash;
    expect(await hashDirectory(dest)).toEqual({
      ...expected,
      entries: hash.entries.map((entry) => ({ ...entry, isexec: false })),
    });
    expect(await snapshot(dest)).not.toHaveProperty('void/');

    // extra files and directories go; files in the way of directories go; kept files stay
    const keptIno = statSync(path.join(dest, 'a.txt')).ino;
    await writeFile(path.join(dest, 'extra.txt'), 'extra');
    await mkdir(path.join(dest, 'newdir/inner'), { recursive: true });
    await writeFile(path.join(dest, 'newdir/inner/f'), 'f');
    await rm(path.join(dest, 'b'), { recursive: true });
    await writeFile(path.join(dest, 'b'), 'a file where a directory belongs');
    await rm(path.join(dest, 'nested'), { recursive: true });
    await symlink(path.join(root, 'outside-dir'), path.join(dest, 'nested'));
    await chmod(path.join(dest, 'a-b'), 0o644);
    await writeFile(path.join(dest, 'a-b'), 'changed');
    await cache.checkout(hash.md5, dest);
    expect((await hashDirectory(dest)).md5).toBe(hash.md5);
    expect(await snapshot(dest)).toEqual(await snapshot((await restoredCopy(cache, hash.md5)).dest));
    expect(statSync(path.join(dest, 'a.txt')).ino).toBe(keptIno);
    expect(readdirSync(path.join(root, 'outside-dir'))).toEqual(['f']); // not written through the symlink
    expect(existsSync(data)).toBe(true);
  });

  it('replaces a file or a broken symlink where the directory goes', async () => {
    const { root, cache, hash } = await savedFixture();
    const asFile = path.join(root, 'as-file');
    await writeFile(asFile, 'in the way');
    await cache.checkout(hash.md5, asFile);
    expect((await hashDirectory(asFile)).md5).toBe(hash.md5);
    const asLink = path.join(root, 'as-link');
    await symlink('/nonexistent/tvc', asLink);
    await cache.checkout(hash.md5, asLink);
    expect((await lstat(asLink)).isDirectory()).toBe(true);
    expect((await hashDirectory(asLink)).md5).toBe(hash.md5);
  });

  it('leaves ignored paths alone', async () => {
    const { root, cache, hash } = await savedFixture();
    const dest = path.join(root, 'restored');
    await cache.checkout(hash.md5, dest);
    await writeFile(path.join(dest, 'keep.me'), 'mine');
    await cache.checkout(hash.md5, dest, { ignore: (relpath) => relpath === 'keep.me' });
    expect(readFileSync(path.join(dest, 'keep.me'), 'utf8')).toBe('mine');
  });

  it('refuses a corrupt or missing object without touching dest', async () => {
    const { root, cache, hash } = await savedFixture();
    const dest = path.join(root, 'restored');
    await cache.checkout(hash.md5, dest);
    await writeFile(path.join(dest, 'extra.txt'), 'extra');
    await chmod(path.join(dest, 'a.txt'), 0o644);
    await writeFile(path.join(dest, 'a.txt'), 'local edit');
    const before = await snapshot(dest);

    const object = cache.objectPath('9dd4e461268c8034f5c8564e155c67a6'); // b/x
    await chmod(object, 0o644);
    await writeFile(object, 'X');
    expect(await codeOf(cache.checkout(hash.md5, dest))).toBe('CACHE_CORRUPT');
    expect(await snapshot(dest)).toEqual(before);
    expect(await codeOf(cache.checkout('9dd4e461268c8034f5c8564e155c67a6', path.join(dest, 'a.txt')))).toBe(
      'CACHE_CORRUPT',
    );
    expect(await snapshot(dest)).toEqual(before);

    await rm(object);
    expect(await codeOf(cache.checkout(hash.md5, dest))).toBe('CACHE_MISSING');
    expect(await codeOf(cache.checkout('9dd4e461268c8034f5c8564e155c67a6', path.join(dest, 'a.txt')))).toBe(
      'CACHE_MISSING',
    );
    expect(await snapshot(dest)).toEqual(before);
  });

  it('never writes outside dest for a hostile manifest', async () => {
    const root = temporaryDirectory();
    const cache = new ObjectCache(path.join(root, 'cache'));
    const source = path.join(root, 'src');
    await mkdir(source);
    await writeFile(path.join(source, 'x'), 'hello\n');
    await cache.save(path.join(source, 'x'), { kind: 'file', md5: HELLO, size: 6, isexec: false });
    const text = `[{"md5": "${HELLO}", "relpath": "../escaped"}]`;
    const md5dir = `${createHash('md5').update(text).digest('hex')}.dir`;
    const manifest = cache.objectPath(md5dir);
    await mkdir(path.dirname(manifest), { recursive: true });
    await writeFile(manifest, text);
    expect(await cache.verify(md5dir)).toBe('corrupt');
    expect(await codeOf(cache.checkout(md5dir, path.join(root, 'dest')))).toBe('CACHE_CORRUPT');
    expect(existsSync(path.join(root, 'escaped'))).toBe(false);
    expect(existsSync(path.join(root, 'dest'))).toBe(false);
  });

  const supportsReflink = (() => {
    const root = temporaryDirectory();
    writeFileSync(path.join(root, 'a'), 'a');
    try {
      copyFileSync(path.join(root, 'a'), path.join(root, 'b'), constants.COPYFILE_FICLONE_FORCE);
      return true;
    } catch {
      return false;
    }
  })();

  it.each<[LinkType]>([['reflink'], ['hardlink'], ['symlink'], ['copy']])(
    'links files with %s as DVC does',
    async (link) => {
      const { root, cache, hash } = await savedFixture();
      const dest = path.join(root, `restored-${link}`);
      if (link === 'reflink' && !supportsReflink) {
        expect(await codeOf(cache.checkout(hash.md5, dest, { linkTypes: ['reflink'] }))).toBe('LINK_FAILED');
        await cache.checkout(hash.md5, dest, { linkTypes: ['reflink', 'copy'] });
        expect((await hashDirectory(dest)).md5).toBe(hash.md5);
        return;
      }
      await cache.checkout(hash.md5, dest, { linkTypes: [link] });
      expect((await hashDirectory(dest)).md5).toBe(hash.md5);
      const file = path.join(dest, 'a.txt');
      const object = cache.objectPath(HELLO);
      const umask = process.umask();
      const [fileStats, objectStats] = [await lstat(file), await stat(object)];
      if (link === 'hardlink') {
        expect(fileStats.ino).toBe(objectStats.ino);
        // empty files are created, not linked (DVC: too many links to one inode)
        expect((await lstat(path.join(dest, 'empty'))).ino).not.toBe(
          (await stat(cache.objectPath('d41d8cd98f00b204e9800998ecf8427e'))).ino,
        );
      } else if (link === 'symlink') {
        expect(fileStats.isSymbolicLink()).toBe(true);
        expect(await readlink(file)).toBe(object);
      } else {
        expect(fileStats.ino).not.toBe(objectStats.ino);
        expect(fileStats.mode & 0o777).toBe(0o666 & ~umask);
      }
      expect(objectStats.mode & 0o777).toBe(0o444);
    },
  );

  it('restores a file with its execute bit, keeping a file that already matches', async () => {
    const root = temporaryDirectory();
    const tool = path.join(root, 'tool.sh');
    await writeFile(tool, '#!/bin/sh\n');
    await chmod(tool, 0o755);
    const hash = await hashPath(tool);
    expect(hash).toEqual({ kind: 'file', md5: '3e2b31c72181b87149ff995e7202c0e3', size: 10, isexec: true });
    const cache = new ObjectCache(path.join(root, 'cache'));
    await cache.save(tool, hash!);
    await rm(tool);
    await cache.checkout(hash!.md5, tool, { isexec: true });
    // as `dvc checkout` of an isexec output: 0o666 & ~umask, plus u+x
    expect((await stat(tool)).mode & 0o777).toBe((0o666 & ~process.umask()) | 0o100);
    expect(await hashFile(tool)).toEqual({ md5: hash!.md5, size: 10, isexec: true });
    const ino = (await stat(tool)).ino;
    await cache.checkout(hash!.md5, tool, { isexec: true });
    expect((await stat(tool)).ino).toBe(ino);
    // as `dvc checkout` with cache.type hardlink or symlink (DVC 3.67.1): the link points at the
    // object, and u+x lands on the object itself, which becomes 0544
    for (const link of ['hardlink', 'symlink'] as const) {
      await rm(tool);
      await cache.checkout(hash!.md5, tool, { isexec: true, linkTypes: [link] });
      expect((await stat(cache.objectPath(hash!.md5))).mode & 0o777).toBe(0o544);
      expect((await lstat(tool)).isSymbolicLink()).toBe(link === 'symlink');
      await chmod(cache.objectPath(hash!.md5), 0o444);
    }
    // a directory in the way of a file is replaced
    await rm(tool);
    await mkdir(path.join(tool, 'sub'), { recursive: true });
    await cache.checkout(hash!.md5, tool);
    expect(readFileSync(tool, 'utf8')).toBe('#!/bin/sh\n');
  });
});

/** A clean checkout of `md5` into a new directory, to compare another against. */
async function restoredCopy(cache: ObjectCache, md5: string) {
  const dest = path.join(temporaryDirectory(), 'clean');
  await cache.checkout(md5, dest);
  return { dest };
}

describe('against the real DVC', () => {
  // TVC_DVC, or the DVC `.ci/run` installs in the repository's .venv; CI must have one.
  const dvc = [process.env.TVC_DVC, fileURLToPath(new URL('../../../.venv/bin/dvc', import.meta.url))].find(
    (candidate) => candidate && existsSync(candidate),
  );
  if (!dvc && process.env.CI) throw new Error('CI must compare the cache with DVC, but DVC is not installed');

  it.skipIf(!dvc)('dvc add and ObjectCache.save leave the same cache and .dvc values', async () => {
    const root = temporaryDirectory();
    const environment = { ...process.env, DVC_NO_ANALYTICS: '1' };
    execFileSync('git', ['init', '-q'], { cwd: root });
    execFileSync(dvc!, ['init', '-q'], { cwd: root, env: environment });
    const data = writeFixture(root);
    const ours = await hashDirectory(data);
    const cache = new ObjectCache(path.join(root, 'tvc-cache'));
    await cache.save(data, { kind: 'directory', ...ours });
    execFileSync(dvc!, ['add', '-q', 'data'], { cwd: root, env: environment });
    const dvcFile = readFileSync(path.join(root, 'data.dvc'), 'utf8');
    expect(dvcFile).toContain(`md5: ${ours.md5}\n  size: ${ours.size}\n  nfiles: ${ours.nfiles}\n`);
    const theirs = await snapshot(path.join(root, '.dvc/cache/files'));
    expect(await snapshot(path.join(root, 'tvc-cache/files'))).toEqual(theirs);
    expect(manifestMd5(await cache.readManifest(ours.md5))).toBe(ours.md5);
  });
});

/**
 * Rewrites a file in place with bytes of the same length and puts its atime and mtime back to the
 * nanosecond, as `cp -p` over an existing file or `rsync --inplace` do: inode, size and mtime are
 * unchanged; only the content and the ctime (which nothing can set) differ.
 */
function rewriteInPlace(file: string, text: string): void {
  const before = statSync(file, { bigint: true });
  const reference = `${file}.times`;
  execFileSync('touch', ['-r', file, reference]);
  chmodSync(file, 0o644);
  writeFileSync(file, text, { flag: 'r+' });
  chmodSync(file, Number(before.mode) & 0o777);
  execFileSync('touch', ['-r', reference, file]);
  rmSync(reference);
  const after = statSync(file, { bigint: true });
  expect([after.ino, after.size, after.mtimeNs]).toEqual([before.ino, before.size, before.mtimeNs]);
}

describe('integrity: objects rewritten in place', () => {
  it('are not vouched for by the memo (its key holds the ctime)', async () => {
    const memo = HashMemo.inMemory();
    const { root, cache, hash } = await savedFixture({ memo });
    await ageFiles(path.join(root, '.dvc/cache'));
    expect(await cache.verify(hash.md5)).toBe('ok');
    expect(await cache.verify(HELLO)).toBe('ok');
    const hits = memo.stats.hits;
    expect(await cache.verify(HELLO)).toBe('ok');
    expect(memo.stats.hits).toBe(hits + 1); // the memo does vouch for an untouched object

    rewriteInPlace(cache.objectPath(HELLO), 'HELLO\n');
    expect(await cache.verify(HELLO)).toBe('corrupt');
    expect(await cache.verify(hash.md5)).toBe('corrupt');
    const dest = path.join(root, 'dest');
    expect(await codeOf(cache.checkout(hash.md5, dest))).toBe('CACHE_CORRUPT');
    expect(await codeOf(cache.checkout(HELLO, path.join(root, 'one')))).toBe('CACHE_CORRUPT');
    expect(existsSync(dest)).toBe(false);
  });

  it('are read again before a small object is checked out, whatever the memo says', async () => {
    const memo = HashMemo.inMemory();
    const { root, cache } = await savedFixture({ memo });
    await ageFiles(path.join(root, '.dvc/cache'));
    const object = cache.objectPath(HELLO);
    // bit rot: the bytes change and no stat field does; here the memo is told the old md5
    rewriteInPlace(object, 'HELLO\n');
    const stats = statSync(object, { bigint: true });
    memo.learn(object, `${stats.ino}:${stats.mtimeNs}:${stats.ctimeNs}:${stats.size}`, HELLO);
    expect(await cache.verify(HELLO)).toBe('ok'); // status trusts the memo (stat only)
    expect(await cache.verify(HELLO, { beforeCheckout: true })).toBe('corrupt');
    expect(await codeOf(cache.checkout(HELLO, path.join(root, 'one')))).toBe('CACHE_CORRUPT');
    expect(existsSync(path.join(root, 'one'))).toBe(false);
  });

  it('are replaced when the object is saved again (files and manifests)', async () => {
    const memo = HashMemo.inMemory();
    const { root, data, cache, hash } = await savedFixture({ memo });
    await ageFiles(path.join(root, '.dvc/cache'));
    expect(await cache.verify(hash.md5)).toBe('ok'); // memoised
    const object = cache.objectPath(HELLO);
    const manifest = cache.objectPath(hash.md5);
    rewriteInPlace(object, 'HELLO\n');
    rewriteInPlace(manifest, DVC_FIXTURE.manifest.replace('"a"', '"A"'));
    expect(await cache.verify(hash.md5)).toBe('corrupt');

    await cache.save(data, hash);
    expect(readFileSync(object, 'utf8')).toBe('hello\n');
    expect(readFileSync(manifest, 'utf8')).toBe(DVC_FIXTURE.manifest);
    expect(statSync(object).mode & 0o777).toBe(0o444);
    expect(statSync(manifest).mode & 0o777).toBe(0o444);
    expect(await cache.verify(hash.md5)).toBe('ok');
    expect(readdirSync(path.dirname(object)).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    // a single file too, without a memo
    const plain = new ObjectCache(cache.root);
    rewriteInPlace(object, 'jello\n');
    await plain.save(path.join(data, 'a.txt'), { kind: 'file', md5: HELLO, size: 6, isexec: false });
    expect(readFileSync(object, 'utf8')).toBe('hello\n');
  });
});

describe('integrity: saving over intact objects', () => {
  it('reads an existing object only when the memo cannot vouch for it', async () => {
    const memo = HashMemo.inMemory();
    const { data, cache, hash } = await savedFixture({ memo });
    const read = memo.stats.bytesRead;
    await cache.save(data, hash);
    expect(memo.stats.bytesRead).toBe(read); // the objects it wrote are known

    const cold = HashMemo.inMemory();
    await cache.save(data, hash, { memo: cold });
    expect(cold.stats.bytesRead).toBe(DVC_FIXTURE.size); // each object read once, then known
    await cache.save(data, hash, { memo: cold });
    expect(cold.stats.bytesRead).toBe(DVC_FIXTURE.size);
    expect(await cache.verify(hash.md5, { memo: cold })).toBe('ok');
    expect(cold.stats.bytesRead).toBe(DVC_FIXTURE.size);
  });
});

describe('ObjectCache.unprotect', () => {
  it.each<[LinkType]>([['hardlink'], ['symlink']])(
    'turns files checked out as a %s into private copies, leaving the cache alone',
    async (link) => {
      const { root, cache, hash } = await savedFixture();
      const dest = path.join(root, `out-${link}`);
      await cache.checkout(hash.md5, dest, { linkTypes: [link] });
      const single = path.join(root, `single-${link}`);
      await cache.checkout(HELLO, single, { linkTypes: [link] });
      await cache.unprotect(dest);
      await cache.unprotect(single);
      for (const file of [single, path.join(dest, 'a.txt')]) {
        const stats = await lstat(file);
        expect(stats.isSymbolicLink()).toBe(false);
        expect(stats.nlink).toBe(1);
        expect(stats.ino).not.toBe((await stat(cache.objectPath(HELLO))).ino);
        expect(stats.mode & 0o777).toBe(0o666 & ~process.umask());
        await writeFile(file, 'appended\n', { flag: 'a' });
      }
      expect(readFileSync(cache.objectPath(HELLO), 'utf8')).toBe('hello\n');
      expect(await cache.verify(hash.md5)).toBe('ok');
      // the rest of the tree is intact and no temporary is left behind
      await writeFile(path.join(dest, 'a.txt'), 'hello\n');
      expect((await hashDirectory(dest)).md5).toBe(hash.md5);
    },
  );

  it('leaves plain files, missing paths and broken links alone', async () => {
    const root = temporaryDirectory();
    const cache = new ObjectCache(path.join(root, 'cache'));
    const file = path.join(root, 'f');
    writeFileSync(file, 'mine\n');
    const before = statSync(file);
    await cache.unprotect(file);
    expect(statSync(file).ino).toBe(before.ino);
    await cache.unprotect(path.join(root, 'missing'));
    await symlink(path.join(root, 'nowhere'), path.join(root, 'broken'));
    await cache.unprotect(path.join(root, 'broken'));
    expect((await lstat(path.join(root, 'broken'))).isSymbolicLink()).toBe(true);
  });
});

describe('integrity: hostile manifests', () => {
  it('are reported as corrupt or hostile, naming the manifest and the relpath', async () => {
    const root = temporaryDirectory();
    const cache = new ObjectCache(path.join(root, 'cache'));
    const text = `[{"md5": "${HELLO}", "relpath": "../../escaped"}]`;
    const md5dir = `${createHash('md5').update(text).digest('hex')}.dir`;
    const manifest = cache.objectPath(md5dir);
    await mkdir(path.dirname(manifest), { recursive: true });
    await writeFile(manifest, text);
    const error = await cache.checkout(md5dir, path.join(root, 'dest')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HashError);
    expect((error as HashError).code).toBe('CACHE_CORRUPT');
    expect((error as HashError).path).toBe(manifest);
    expect((error as HashError).message).toContain('corrupt or hostile');
    expect((error as HashError).message).toContain('../../escaped');
    expect((error as HashError).message).toContain(manifest);
  });
});

describe('relink (DVC checkout --relink, and add/commit under hardlink or symlink)', () => {
  it('needsRelink follows the link types in order, as DVC', async () => {
    const root = await temporaryDirectory();
    const cache = new ObjectCache(path.join(root, 'cache'));
    await writeFile(path.join(root, 'a.txt'), 'a\n');
    const hash = (await hashPath(path.join(root, 'a.txt')))!;
    await cache.save(path.join(root, 'a.txt'), hash);
    const object = cache.objectPath(hash.md5);
    const copy = path.join(root, 'a.txt');
    expect(await needsRelink(copy, object, ['copy'])).toBe(false);
    expect(await needsRelink(copy, object, ['hardlink', 'copy'])).toBe(false);
    expect(await needsRelink(copy, object, ['hardlink'])).toBe(true);
    expect(await needsRelink(copy, object, ['symlink'])).toBe(true);
    const linked = path.join(root, 'linked.txt');
    await cache.checkout(hash.md5, linked, { linkTypes: ['hardlink'] });
    expect(await needsRelink(linked, object, ['hardlink'])).toBe(false);
    expect(await needsRelink(linked, object, ['copy'])).toBe(true);
    const pointed = path.join(root, 'pointed.txt');
    await cache.checkout(hash.md5, pointed, { linkTypes: ['symlink'] });
    expect(await needsRelink(pointed, object, ['symlink'])).toBe(false);
    expect(await needsRelink(pointed, object, ['hardlink'])).toBe(true);
  });

  it("relink 'always' over a hardlink of the same object leaves no temporary", async () => {
    const root = await temporaryDirectory();
    const cache = new ObjectCache(path.join(root, 'cache'));
    await mkdir(path.join(root, 'ws'));
    await writeFile(path.join(root, 'ws', 'a.txt'), 'a\n');
    const hash = (await hashPath(path.join(root, 'ws', 'a.txt')))!;
    await cache.save(path.join(root, 'ws', 'a.txt'), hash);
    const dest = path.join(root, 'ws', 'a.txt');
    await cache.checkout(hash.md5, dest, { linkTypes: ['hardlink'], relink: 'always' });
    await cache.checkout(hash.md5, dest, { linkTypes: ['hardlink'], relink: 'always' });
    expect(readdirSync(path.join(root, 'ws'))).toEqual(['a.txt']);
    expect(statSync(dest).ino).toBe(statSync(cache.objectPath(hash.md5)).ino);
  });

  it("relink 'needed' turns a directory's copies into symlinks", async () => {
    const root = await temporaryDirectory();
    const cache = new ObjectCache(path.join(root, 'cache'));
    const dir = path.join(root, 'd');
    await mkdir(path.join(dir, 'n'), { recursive: true });
    await writeFile(path.join(dir, 'a.txt'), 'a\n');
    await writeFile(path.join(dir, 'n', 'b.txt'), 'b\n');
    const hash = (await hashPath(dir))!;
    await cache.save(dir, hash);
    await cache.checkout(hash.md5, dir, { linkTypes: ['symlink'], relink: 'needed' });
    expect((await lstat(path.join(dir, 'n', 'b.txt'))).isSymbolicLink()).toBe(true);
    expect(await readFile(path.join(dir, 'n', 'b.txt'), 'utf8')).toBe('b\n');
  });
});
