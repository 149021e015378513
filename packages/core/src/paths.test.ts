import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isContainedRepoPath,
  isWithin,
  isWithinReal,
  realPathOfExisting,
  repoFsName,
  resolvePath,
  toPosix,
} from './paths';

/** What resolvePath must give: path.resolve, then path.relative when inside the root. */
function reference(root: string, baseDir: string, value: string) {
  const absolute = path.resolve(baseDir, value);
  if (!isWithin(root, absolute)) return { absolute, repoPath: undefined };
  return { absolute, repoPath: toPosix(path.relative(root, absolute)) };
}

describe('isWithin', () => {
  it('counts names that begin with two dots as inside', () => {
    expect(isWithin('/r', '/r/...')).toBe(true);
    expect(isWithin('/r', '/r/..data')).toBe(true);
    expect(isWithin('/r', '/r')).toBe(true);
    expect(isWithin('/r', '/')).toBe(false);
    expect(isWithin('/r', '/r2')).toBe(false);
    expect(isWithin('/r/a', '/r/b')).toBe(false);
  });
});

describe('resolvePath', () => {
  it('resolves paths as written in pipelines', () => {
    expect(resolvePath('/r', '/r', 'data/x.csv')).toEqual({
      absolute: '/r/data/x.csv',
      repoPath: 'data/x.csv',
    });
    expect(resolvePath('/r', '/r/sub', 'x')).toEqual({ absolute: '/r/sub/x', repoPath: 'sub/x' });
    expect(resolvePath('/r', '/r/sub', '../x')).toEqual({ absolute: '/r/x', repoPath: 'x' });
    expect(resolvePath('/r', '/r', './input/year=2020/x.zip')).toEqual({
      absolute: '/r/input/year=2020/x.zip',
      repoPath: 'input/year=2020/x.zip',
    });
    expect(resolvePath('/r', '/r', '../outside')).toEqual({ absolute: '/outside', repoPath: undefined });
    expect(resolvePath('/r', '/r', '/abs/file')).toEqual({ absolute: '/abs/file', repoPath: undefined });
    expect(resolvePath('/r', '/r', '.')).toEqual({ absolute: '/r', repoPath: '' });
  });

  it('agrees with path.resolve and path.relative on random paths', () => {
    // A fixed-seed generator, so that a failure names an input that can be replayed.
    let seed = 42;
    const next = (n: number) => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const segments = ['a', 'b c', '.', '..', '', 'x=1', '.hidden', '...', 'ä', 'a\\b'];
    const randomPath = () => {
      const count = 1 + next(4);
      const parts = Array.from({ length: count }, () => segments[next(segments.length)]!);
      return (next(6) === 0 ? '/' : '') + parts.join('/') + (next(6) === 0 ? '/' : '');
    };
    const roots = ['/r', '/', '/r/deep/root'];
    for (let index = 0; index < 5000; index++) {
      const root = roots[next(roots.length)]!;
      const baseDir = path.resolve(root, next(3) === 0 ? randomPath() : '.');
      const value = randomPath();
      expect(resolvePath(root, baseDir, value), `${root} ${baseDir} ${value}`).toEqual(
        reference(root, baseDir, value),
      );
    }
  });
});

describe('repository containment (issue 14 items 9-11)', () => {
  it('isContainedRepoPath refuses absolute paths and paths climbing out', () => {
    for (const inside of ['m.json', 'a/../m.json', 'a/./b', '..data/x', '...']) {
      expect(isContainedRepoPath(inside)).toBe(true);
    }
    for (const outside of ['../x', '../../../etc/passwd', 'a/../../x', '..', '/etc/passwd', '/tmp/x.json']) {
      expect(isContainedRepoPath(outside)).toBe(false);
    }
  });

  it("repoFsName names a path as DVC's rooted file system does", () => {
    expect(repoFsName('../outside.json')).toBe('outside.json');
    expect(repoFsName('../../inp/x.json')).toBe('inp/x.json');
    expect(repoFsName('a/b.json')).toBe('a/b.json');
  });

  it('isWithinReal resolves the symlinks of the existing part of a path', () => {
    const base = mkdtempSync(path.join(tmpdir(), 'tvc-paths-'));
    try {
      const root = path.join(base, 'repo');
      const outside = path.join(base, 'outside');
      mkdirSync(path.join(root, 'data'), { recursive: true });
      mkdirSync(outside);
      symlinkSync(outside, path.join(root, 'link'));
      symlinkSync(path.join(root, 'data'), path.join(root, 'inner'));
      expect(isWithin(root, path.join(root, 'link', 'x', '.gitignore'))).toBe(true);
      expect(isWithinReal(root, path.join(root, 'link', 'x', '.gitignore'))).toBe(false);
      expect(isWithinReal(root, path.join(root, 'inner', 'new', '.gitignore'))).toBe(true);
      expect(isWithinReal(root, path.join(root, 'missing', 'deeper', 'x'))).toBe(true);
      expect(realPathOfExisting(path.join(root, 'link', 'a', 'b'))).toBe(
        path.join(realpathSync(outside), 'a', 'b'),
      );
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
