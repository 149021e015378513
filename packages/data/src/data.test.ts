import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PipelineFilesPlugin, Tvc, TvcError } from '@tvc/core';
import { afterEach, describe, expect, it } from 'vitest';
import { addData } from './add';
import { checkoutData } from './checkout';
import { commitData } from './commit';
import { moveData } from './move';
import { removeData } from './remove';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A repository without git (a `.dvc/` directory) holding `files`. */
async function repo(files: Record<string, string>): Promise<{ root: string; tvc: Tvc }> {
  const root = mkdtempSync(path.join(tmpdir(), 'tvc-data-'));
  roots.push(root);
  mkdirSync(path.join(root, '.dvc'));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  const tvc = await Tvc.open({ cwd: root, plugins: [new PipelineFilesPlugin()] });
  return { root, tvc };
}

async function reopen(root: string): Promise<Tvc> {
  return Tvc.open({ cwd: root, plugins: [new PipelineFilesPlugin()] });
}

describe('add, then checkout', () => {
  it('puts back what was added, and reports nothing left to do', async () => {
    const { root, tvc } = await repo({ 'data/a.txt': 'a\n', 'data/deep/b.txt': 'b\n', 'f.txt': 'f\n' });
    const added = await addData(tvc, ['data', 'f.txt']);
    expect(added.dataFiles).toEqual(['data.dvc', 'f.txt.dvc']);
    rmSync(path.join(root, 'data'), { recursive: true });
    rmSync(path.join(root, 'f.txt'));
    const summary = await checkoutData(await reopen(root));
    expect([...summary.added].sort()).toEqual(['data/', 'f.txt']);
    expect(summary.stats).toEqual({ added: 3, modified: 0, deleted: 0 });
    expect(readFileSync(path.join(root, 'data/deep/b.txt'), 'utf8')).toBe('b\n');
    const again = await checkoutData(await reopen(root));
    expect(again.added).toEqual([]);
    expect(again.modified).toEqual([]);
  });

  it('re-adding a directory takes unchanged files from the memo, without reading them', async () => {
    const { root, tvc } = await repo({ 'data/a.txt': 'a\n', 'data/b.txt': 'b\n' });
    const rewritten = path.join(root, 'data/a.txt');
    utimesSync(rewritten, 1_700_000_000, 1_700_000_000);
    utimesSync(path.join(root, 'data/b.txt'), 1_700_000_000, 1_700_000_000);
    const first = await addData(tvc, ['data']);
    expect(first.hashed.read).toBe(2);
    // b.txt stays as it was; a.txt is rewritten in place with the same size and mtime (cp -p,
    // rsync --inplace): its ctime moved, so the memo must not vouch for it (issue 14 item 1).
    writeFileSync(rewritten, 'X\n');
    utimesSync(rewritten, 1_700_000_000, 1_700_000_000);
    writeFileSync(path.join(root, 'data/c.txt'), 'c\n');
    const second = await addData(await reopen(root), ['data']);
    expect(second.hashed).toEqual({ fromMemo: 1, read: 2 }); // b.txt from the memo; a.txt and c.txt read
    const text = readFileSync(path.join(root, 'data.dvc'), 'utf8');
    expect(text).toContain('nfiles: 3');
    const md5 = /md5: ([0-9a-f]{32}\.dir)/.exec(text)![1]!;
    const manifest = readFileSync(
      path.join(root, '.dvc/cache/files/md5', md5.slice(0, 2), md5.slice(2)),
      'utf8',
    );
    // md5('X\n'): the new content, not the memo's old answer.
    expect(manifest).toContain(
      `"md5": "${createHash('md5').update('X\n').digest('hex')}", "relpath": "a.txt"`,
    );
  });

  it('refuses to overwrite a change the cache lacks, and overwrites it with force', async () => {
    const { root, tvc } = await repo({ 'f.txt': 'f\n' });
    await addData(tvc, ['f.txt']);
    writeFileSync(path.join(root, 'f.txt'), 'mine\n');
    const refused = await checkoutData(await reopen(root)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TvcError);
    expect((refused as TvcError).message).toContain('f.txt');
    expect(readFileSync(path.join(root, 'f.txt'), 'utf8')).toBe('mine\n');
    const forced = await checkoutData(await reopen(root), [], { force: true });
    expect(forced.modified).toEqual(['f.txt']);
    expect(readFileSync(path.join(root, 'f.txt'), 'utf8')).toBe('f\n');
  });

  it('removes what an interrupted checkout left half-placed without asking', async () => {
    const { root, tvc } = await repo({ 'd/a.txt': 'a\n' });
    await addData(tvc, ['d']);
    writeFileSync(path.join(root, 'd/.b.txt.4242-0123456789ab.tmp'), 'half');
    writeFileSync(path.join(root, 'd/mine.txt'), 'mine');
    await expect(checkoutData(await reopen(root))).rejects.toThrow(/d\/mine\.txt$/);
    rmSync(path.join(root, 'd/mine.txt'));
    const summary = await checkoutData(await reopen(root));
    expect(summary.modified).toEqual(['d/']);
    expect(existsSync(path.join(root, 'd/.b.txt.4242-0123456789ab.tmp'))).toBe(false);
  });

  it('skips an output whose object is corrupt, and names it', async () => {
    const { root, tvc } = await repo({ 'f.txt': 'f\n', 'g.txt': 'g\n' });
    await addData(tvc, ['f.txt', 'g.txt']);
    const md5 = /md5: ([0-9a-f]{32})/.exec(readFileSync(path.join(root, 'f.txt.dvc'), 'utf8'))![1]!;
    const object = path.join(root, '.dvc/cache/files/md5', md5.slice(0, 2), md5.slice(2));
    rmSync(object);
    writeFileSync(object, 'not f\n');
    rmSync(path.join(root, 'f.txt'));
    rmSync(path.join(root, 'g.txt'));
    const summary = await checkoutData(await reopen(root));
    expect(summary.failed).toEqual(['f.txt']);
    expect(summary.added).toEqual(['g.txt']);
    expect(existsSync(path.join(root, 'f.txt'))).toBe(false);
  });

  it('a target inside a tracked directory puts back only what is under it', async () => {
    const { root, tvc } = await repo({ 'd/a.txt': 'a\n', 'd/sub/b.txt': 'b\n', 'd/c.txt': 'c\n' });
    await addData(tvc, ['d']);
    for (const file of ['d/a.txt', 'd/sub/b.txt', 'd/c.txt']) rmSync(path.join(root, file));
    const summary = await checkoutData(await reopen(root), ['d/sub']);
    expect(summary.modified).toEqual(['d/']);
    expect(summary.stats).toEqual({ added: 1, modified: 0, deleted: 0 });
    expect(readFileSync(path.join(root, 'd/sub/b.txt'), 'utf8')).toBe('b\n');
    expect(existsSync(path.join(root, 'd/a.txt'))).toBe(false);
    await checkoutData(await reopen(root), ['d/a.txt']);
    expect(existsSync(path.join(root, 'd/a.txt'))).toBe(true);
    expect(existsSync(path.join(root, 'd/c.txt'))).toBe(false);
  });

  it('with --no-commit writes the .dvc file and caches nothing', async () => {
    const { root, tvc } = await repo({ 'f.txt': 'f\n' });
    await addData(tvc, ['f.txt'], { noCommit: true });
    expect(existsSync(path.join(root, 'f.txt.dvc'))).toBe(true);
    expect(existsSync(path.join(root, '.dvc/cache'))).toBe(false);
  });
});

describe('add of a path already tracked', () => {
  it('inside a tracked directory updates that directory; around a tracked path is refused', async () => {
    const { root, tvc } = await repo({ 'd/in/a.txt': 'a\n', 'd/b.txt': 'b\n' });
    await addData(tvc, ['d/in']);
    writeFileSync(path.join(root, 'd/in/new.txt'), 'new\n');
    const result = await addData(await reopen(root), ['d/in/a.txt']);
    expect(result.dataFiles).toEqual(['d/in.dvc']);
    expect(readFileSync(path.join(root, 'd/in.dvc'), 'utf8')).toContain('nfiles: 2');
    expect(existsSync(path.join(root, 'd/in/a.txt.dvc'))).toBe(false);
    await expect(addData(await reopen(root), ['d'])).rejects.toThrow(
      "Cannot add 'd', because it is overlapping with other DVC tracked output: 'd/in'.",
    );
  });
});

describe('remove and move', () => {
  it('remove keeps the data unless --outs', async () => {
    const { root, tvc } = await repo({ 'f.txt': 'f\n', 'g.txt': 'g\n' });
    await addData(tvc, ['f.txt', 'g.txt']);
    await removeData(await reopen(root), ['f.txt.dvc']);
    expect(existsSync(path.join(root, 'f.txt.dvc'))).toBe(false);
    expect(existsSync(path.join(root, 'f.txt'))).toBe(true);
    await removeData(await reopen(root), ['g.txt.dvc'], { outs: true });
    expect(existsSync(path.join(root, 'g.txt'))).toBe(false);
    await expect(removeData(await reopen(root), ['nothing.dvc'])).rejects.toThrow(/not a \.dvc file/);
    await expect(removeData(await reopen(root), ['f.txt'])).rejects.toThrow(/not found inside/);
  });

  it('move renames the data and its .dvc file', async () => {
    const { root, tvc } = await repo({ 'f.txt': 'f\n' });
    await addData(tvc, ['f.txt']);
    const result = await moveData(await reopen(root), 'f.txt', 'g.txt');
    expect(result.dataFile).toBe('g.txt.dvc');
    expect(readFileSync(path.join(root, 'g.txt.dvc'), 'utf8')).toContain('path: g.txt\n');
    expect(existsSync(path.join(root, 'f.txt.dvc'))).toBe(false);
    expect(readFileSync(path.join(root, 'g.txt'), 'utf8')).toBe('f\n');
  });
});

describe('temporaries a killed placement left inside a directory output', () => {
  // pid 2^22 + 1 is above Linux's pid_max default: no process has it
  const leftover = '.a.txt.4194305-0123456789ab.tmp';

  it('are removed before add and commit hash the directory, never recorded as data', async () => {
    const { root, tvc } = await repo({ 'data/a.txt': 'a\n', 'data/deep/b.txt': 'b\n' });
    await addData(tvc, ['data']);
    const clean = readFileSync(path.join(root, 'data.dvc'), 'utf8');
    writeFileSync(path.join(root, 'data/deep', leftover), 'half');
    await commitData(await reopen(root), ['data.dvc'], { force: true });
    expect(existsSync(path.join(root, 'data/deep', leftover))).toBe(false);
    expect(readFileSync(path.join(root, 'data.dvc'), 'utf8')).toBe(clean);
    writeFileSync(path.join(root, 'data', leftover), 'half');
    await addData(await reopen(root), ['data']);
    expect(existsSync(path.join(root, 'data', leftover))).toBe(false);
    expect(readFileSync(path.join(root, 'data.dvc'), 'utf8')).toBe(clean);
  });

  it("one of a running process's is left alone", async () => {
    const { root, tvc } = await repo({ 'data/a.txt': 'a\n' });
    const live = `.a.txt.${process.pid}-0123456789ab.tmp`;
    writeFileSync(path.join(root, 'data', live), 'in flight');
    await addData(tvc, ['data']);
    expect(existsSync(path.join(root, 'data', live))).toBe(true);
  });
});
