import { describe, expect, it } from 'vitest';
import { checkRecorded, dataFileText, updateDataFileText } from './data-file';

const FILE = { kind: 'file' as const, md5: '60b725f10c9c85c70d97880dfe8191b3', size: 2, isexec: false };
const DIRECTORY = {
  kind: 'directory' as const,
  md5: 'aae8724c6ae56da7262bf018cfd2cc88.dir',
  size: 4,
  nfiles: 2,
  entries: [],
};

describe('.dvc file text', () => {
  it('is what dvc add writes for a file, an executable and a directory', () => {
    expect(dataFileText([{ path: 'raw.csv', hash: FILE }])).toBe(
      'outs:\n- md5: 60b725f10c9c85c70d97880dfe8191b3\n  size: 2\n  hash: md5\n  path: raw.csv\n',
    );
    expect(dataFileText([{ path: 'run.sh', hash: { ...FILE, isexec: true } }])).toBe(
      'outs:\n- md5: 60b725f10c9c85c70d97880dfe8191b3\n  size: 2\n  isexec: true\n  hash: md5\n  path: run.sh\n',
    );
    expect(dataFileText([{ path: 'sub', hash: DIRECTORY }])).toBe(
      'outs:\n- md5: aae8724c6ae56da7262bf018cfd2cc88.dir\n  size: 4\n  nfiles: 2\n  hash: md5\n  path: sub\n',
    );
  });

  it('quotes a path YAML would misread', () => {
    const text = dataFileText([{ path: 'yes: no', hash: FILE }]);
    expect(text).toContain("path: 'yes: no'\n");
  });

  it('keeps what else a .dvc file holds when its hash changes', () => {
    const before =
      '# the raw data\nouts:\n- md5: 00000000000000000000000000000000\n  size: 9\n  hash: md5\n  path: raw.csv\n  desc: raw\n  push: false\nmeta:\n  owner: me\n';
    expect(updateDataFileText(before, [{ path: 'raw.csv', hash: FILE }])).toBe(
      '# the raw data\nouts:\n- md5: 60b725f10c9c85c70d97880dfe8191b3\n  size: 2\n  hash: md5\n  path: raw.csv\n  desc: raw\n  push: false\nmeta:\n  owner: me\n',
    );
  });
});

describe('a recorded entry', () => {
  const root = '/repo';
  const location = { file: 'evil.dvc', line: 1, column: 1 };
  it('is refused when its path leaves the repository, with where it is', () => {
    for (const [written, absolute] of [
      ['../x', '/x'],
      ['/etc/passwd', '/etc/passwd'],
      ['.', '/repo'],
    ]) {
      expect(() =>
        checkRecorded(root, { path: written!, absolute: absolute!, md5: FILE.md5 }, location),
      ).toThrow(/leaves the repository/);
    }
    try {
      checkRecorded(root, { path: '../x', absolute: '/x', md5: FILE.md5 }, location);
    } catch (error) {
      expect((error as { location?: unknown }).location).toEqual(location);
    }
  });

  it('is refused when its hash is not one', () => {
    for (const md5 of ['../../etc/passwd', 'ABC', 42, `${FILE.md5}.dirx`, FILE.md5.toUpperCase()]) {
      expect(() => checkRecorded(root, { path: 'x', absolute: '/repo/x', md5 }, location)).toThrow(
        /is not an md5 hash/,
      );
    }
    expect(checkRecorded(root, { path: 'x', absolute: '/repo/x', md5: DIRECTORY.md5 }, location)).toBe(
      DIRECTORY.md5,
    );
  });
});
