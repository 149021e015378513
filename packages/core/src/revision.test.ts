import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitRevisionReader, isRevisionFile, parseLsTree } from './revision';
import { makeRepo } from './test-repo';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  });

describe('GitRevisionReader', () => {
  let root: string;
  let cleanup: () => void;
  let reader: GitRevisionReader;

  beforeEach(() => {
    ({ root, cleanup } = makeRepo({
      'sub/.dvc/config': '',
      'sub/dvc.yaml': 'stages: {}\n',
      'sub/params.yaml': 'lr: 0.1\n',
      'sub/data/big.csv': 'a,b\n',
      'sub/src/train.py': 'lr = 0.1\n',
      'sub/weird name.toml': 'x = 1\n',
      '.gitignore': '/out\n',
      'outside.yaml': 'a: 1\n',
    }));
    git(root, 'init', '-q');
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'one');
    writeFileSync(path.join(root, 'sub/params.yaml'), 'lr: 0.2\n');
    git(root, 'commit', '-qam', 'two');
    reader = new GitRevisionReader(root);
  });

  afterEach(async () => {
    await reader.close();
    cleanup();
  });

  it('writes the pipeline and params-like files of a revision below the DVC root, and removes them', async () => {
    const tmpDir = path.join(root, 'sub/.dvc/tmp');
    const snapshot = await reader.snapshot('HEAD~1', { dvcRoot: 'sub', tmpDir });
    expect(snapshot.root).toBe(path.join(snapshot.dir, 'sub'));
    expect(readFileSync(path.join(snapshot.root, 'params.yaml'), 'utf8')).toBe('lr: 0.1\n');
    expect(readFileSync(path.join(snapshot.root, 'dvc.yaml'), 'utf8')).toBe('stages: {}\n');
    expect(existsSync(path.join(snapshot.root, 'src/train.py'))).toBe(false);
    expect(existsSync(path.join(snapshot.root, 'weird name.toml'))).toBe(true);
    expect(existsSync(path.join(snapshot.root, '.dvc/config'))).toBe(true);
    expect(existsSync(path.join(snapshot.dir, '.gitignore'))).toBe(true);
    expect(existsSync(path.join(snapshot.dir, '.git'))).toBe(true);
    expect(existsSync(path.join(snapshot.root, 'data/big.csv'))).toBe(false);
    expect(existsSync(path.join(snapshot.dir, 'outside.yaml'))).toBe(false);
    expect(snapshot.has('data/big.csv')).toBe(true);
    expect(await snapshot.materialise(['data', 'nope.yaml', 'src/train.py'])).toEqual([
      'data',
      'src/train.py',
    ]);
    expect(readFileSync(path.join(snapshot.root, 'src/train.py'), 'utf8')).toBe('lr = 0.1\n');
    expect(readFileSync(path.join(snapshot.root, 'data/big.csv'), 'utf8')).toBe('a,b\n');
    await snapshot.dispose();
    expect(readdirSync(tmpDir)).toEqual([]);
  });

  it('serves several revisions from one cat-file process and tells revisions apart', async () => {
    const [one, two] = await Promise.all([reader.snapshot('HEAD~1'), reader.snapshot('HEAD')]);
    try {
      expect(readFileSync(path.join(one.dir, 'sub/params.yaml'), 'utf8')).toBe('lr: 0.1\n');
      expect(readFileSync(path.join(two.dir, 'sub/params.yaml'), 'utf8')).toBe('lr: 0.2\n');
      expect(one.commit).not.toBe(two.commit);
    } finally {
      await one.dispose();
      await two.dispose();
    }
  });

  it('removes the snapshot when the callback throws', async () => {
    let dir = '';
    await expect(
      reader.withSnapshot('HEAD', {}, async (snapshot) => {
        dir = snapshot.dir;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(dir).not.toBe('');
    expect(existsSync(dir)).toBe(false);
  });

  it("refuses an unknown revision with DVC's message", async () => {
    await expect(reader.snapshot('nosuch')).rejects.toThrow("unknown Git revision 'nosuch'");
    await expect(reader.resolve('--output=x')).rejects.toThrow('unknown Git revision');
    await expect(reader.resolve('HEAD\nHEAD')).rejects.toThrow('unknown Git revision');
    await expect(reader.resolve('HEAD:sub/params.yaml')).rejects.toThrow('unknown Git revision');
    expect(await reader.resolve('HEAD~1')).toMatch(/^[0-9a-f]{40}$/);
  });

  it('reads blobs by id, unknown ids as undefined', async () => {
    const entries = await reader.listTree(await reader.resolve('HEAD'));
    const params = entries.find((entry) => entry.path === 'sub/params.yaml')!;
    const blobs = await reader.readBlobs([params.oid, '0'.repeat(40), params.oid]);
    expect(blobs.get(params.oid)?.toString()).toBe('lr: 0.2\n');
    expect(blobs.get('0'.repeat(40))).toBeUndefined();
  });

  it('reports a failing cat-file instead of hanging', async () => {
    const broken = new GitRevisionReader(path.join(root, 'missing-dir'));
    await expect(broken.readBlobs(['0'.repeat(40)])).rejects.toThrow();
    await broken.close();
    rmSync(path.join(root, 'missing-dir'), { recursive: true, force: true });
  });
});

describe('parseLsTree and isRevisionFile', () => {
  it('parses sizes, submodules and paths with spaces', () => {
    const entries = parseLsTree(
      `100644 blob ${'a'.repeat(40)}      12\tdir/a b.yaml\u0000160000 commit ${'b'.repeat(40)}       -\tmod\u0000`,
    );
    expect(entries).toEqual([
      { mode: '100644', type: 'blob', oid: 'a'.repeat(40), size: 12, path: 'dir/a b.yaml' },
      { mode: '160000', type: 'commit', oid: 'b'.repeat(40), size: undefined, path: 'mod' },
    ]);
    expect(isRevisionFile(entries[0]!)).toBe(true);
    expect(isRevisionFile(entries[0]!, 4)).toBe(false);
    expect(isRevisionFile(entries[1]!)).toBe(false);
    expect(isRevisionFile({ ...entries[0]!, path: 'data.xml.dvc', size: 1e9 })).toBe(true);
  });
});
