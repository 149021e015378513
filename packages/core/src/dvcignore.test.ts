import { afterEach, describe, expect, it } from 'vitest';
import { DvcIgnore } from './dvcignore';
import { makeRepo } from './test-repo';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('.dvcignore', () => {
  it('applies gitignore patterns from the root and from subdirectories', () => {
    const { root, cleanup } = makeRepo({
      '.dvcignore': '# comment\n*.tmp\n/build/\n!keep.tmp\n',
      'sub/.dvcignore': 'local/\n',
    });
    cleanups.push(cleanup);
    const ignore = new DvcIgnore(root);
    expect(ignore.ignores('x.tmp', false)).toBe(true);
    expect(ignore.ignores('a/b/x.tmp', false)).toBe(true);
    expect(ignore.ignores('keep.tmp', false)).toBe(false);
    expect(ignore.ignores('build', true)).toBe(true);
    expect(ignore.ignores('build/dvc.yaml', false)).toBe(true);
    expect(ignore.ignores('src/build/dvc.yaml', false)).toBe(false);
    expect(ignore.ignores('sub/local/dvc.yaml', false)).toBe(true);
    expect(ignore.ignores('local/dvc.yaml', false)).toBe(false);
    expect(ignore.ignores('.git/config', false)).toBe(true);
    expect(ignore.ignores('a/.dvc/config', false)).toBe(true);
  });
});
