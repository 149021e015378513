import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listFiles, TempRepo } from './harness';

/**
 * A `.dvc` file or dvc.lock entry whose path or hash is hostile (a path leaving the repository,
 * an absolute path, a hash that is not 32 hex digits) is refused by every data command, with the
 * file, line and column of the entry, before anything is read or written for it.
 */
const repos: TempRepo[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) await repo.remove();
});

const GOOD_MD5 = '0123456789abcdef0123456789abcdef';

/** A `.dvc` file with one output; `md5` and `out` are written as given (YAML scalars). */
function dataFile(md5: string, out: string): string {
  return `outs:\n- md5: ${md5}\n  size: 1\n  hash: md5\n  path: ${out}\n`;
}

const HOSTILE_HASHES: [string, string][] = [
  ['a hash that is not hex', 'zzz'],
  ['32 characters, not all hex', 'g123456789abcdef0123456789abcdef'],
  ['31 hex digits', GOOD_MD5.slice(1)],
  ['33 hex digits', `${GOOD_MD5}0`],
  ['a path as hash', '../../../../etc/passwd'],
  ['a number', '12345'],
  ['a directory hash with a bad stem', 'zz3456789abcdef0123456789abcdef.dir'],
];

const HOSTILE_PATHS: [string, string][] = [
  ['a path leaving the repository', '../outside.txt'],
  ['a path climbing out through a directory', 'sub/../../outside.txt'],
  ['an absolute path', '/etc/hostname'],
];

/** Every data command, run with the hostile `evil.dvc` (tracking `evil.txt`) in the repository. */
const COMMANDS: string[][] = [
  ['add', 'good.txt'],
  ['checkout'],
  ['checkout', 'evil.dvc'],
  ['commit', '-f'],
  ['commit', '-f', 'evil.dvc'],
  ['remove', '--outs', 'evil.dvc'],
  ['move', 'evil.txt', 'moved.txt'],
  ['diff'],
  ['diff', 'HEAD'],
  ['status'],
  ['status', '--json'],
  ['status', 'evil.dvc'],
];

async function hostileRepo(text: string, lock = false): Promise<TempRepo> {
  const side = await TempRepo.create();
  repos.push(side);
  await side.write('evil.txt', 'x\n');
  await side.write('sub/keep.txt', 'keep\n');
  if (lock) {
    await side.write('dvc.yaml', 'stages:\n  make:\n    cmd: echo x > evil.txt\n    outs:\n    - evil.txt\n');
    await side.write('dvc.lock', text);
  } else {
    await side.write('evil.dvc', text);
  }
  await side.git('add', '-A');
  await side.git('commit', '-q', '-m', 'hostile');
  await side.write('good.txt', 'good\n');
  return side;
}

/** The repository's files (git's and tvc's scratch space aside) and their bytes. */
async function snapshot(side: TempRepo): Promise<Record<string, string>> {
  const files = (await listFiles(side.dir)).filter(
    (file) => !file.startsWith('.git/') && !file.startsWith('.dvc/tmp/'),
  );
  return Object.fromEntries(files.map((file) => [file, readFileSync(path.join(side.dir, file), 'latin1')]));
}

async function expectRefused(side: TempRepo, command: string[], where: RegExp): Promise<void> {
  const before = await snapshot(side);
  const result = await side.tvc(...command);
  const what = `tvc ${command.join(' ')}: ${result.stdout}${result.stderr}`;
  expect(result.code, what).not.toBe(0);
  expect(result.stderr, what).toMatch(where);
  expect(result.stderr, what).not.toMatch(/unexpected error/i);
  expect(await snapshot(side), what).toEqual(before);
}

describe('a hostile hash in a .dvc file is refused with its place by every data command', () => {
  for (const [name, md5] of HOSTILE_HASHES) {
    it(name, async () => {
      const side = await hostileRepo(dataFile(md5, 'evil.txt'));
      for (const command of COMMANDS) {
        // the md5's value: line 2, column 8
        await expectRefused(side, command, /evil\.dvc:2:8\b/);
      }
    });
  }
});

describe('a hostile path in a .dvc file is refused with its place by every data command', () => {
  for (const [name, out] of HOSTILE_PATHS) {
    it(name, async () => {
      const side = await hostileRepo(dataFile(GOOD_MD5, out));
      for (const command of COMMANDS.filter((args) => args[0] !== 'move')) {
        await expectRefused(side, command, /evil\.dvc:\d+:\d+\b/);
      }
      await expectRefused(side, ['move', out, 'moved.txt'], /evil\.dvc:\d+:\d+\b/);
    });
  }
});

describe('a hostile hash in a dvc.lock entry is refused with its place by every data command', () => {
  const lock = (md5: string) =>
    `schema: '2.0'\nstages:\n  make:\n    cmd: echo x > evil.txt\n    outs:\n    - path: evil.txt\n      hash: md5\n      md5: ${md5}\n      size: 2\n`;
  for (const [name, md5] of HOSTILE_HASHES) {
    it(name, async () => {
      const side = await hostileRepo(lock(md5), true);
      const commands: string[][] = [
        ['add', 'good.txt'],
        ['checkout'],
        ['checkout', 'make'],
        ['commit'],
        ['remove', '--outs', 'make'],
        ['diff'],
        ['diff', 'HEAD'],
        ['status'],
        ['status', '--json'],
      ];
      for (const command of commands) {
        // the md5's value: line 8, column 12
        await expectRefused(side, command, /dvc\.lock:8:12\b/);
      }
    });
  }
});

describe('a clean repository is not refused', () => {
  it('upper-case hex is a hash, as DVC reads it (lower-cased; DVC 3.67.1 answers the same)', async () => {
    const side = await hostileRepo(dataFile('B1946AC92492D2347C6235B4D2611184', 'evil.txt'));
    const result = await side.tvc('status', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      'evil.dvc': [{ 'changed outs': { 'evil.txt': 'not in cache' } }],
    });
  });

  it('good entries pass', async () => {
    const side = await hostileRepo(dataFile('b1946ac92492d2347c6235b4d2611184', 'evil.txt'));
    for (const command of [['status'], ['diff'], ['add', 'good.txt']]) {
      const result = await side.tvc(...command);
      expect(result.code, result.stderr).toBe(0);
    }
  });
});
