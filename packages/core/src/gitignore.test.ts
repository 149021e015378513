import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addToGitignore, assertInGitRepository, GitIgnoreRules, gitignoreEntry } from './gitignore';

let root: string;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'tvc-gitignore-'));
  mkdirSync(path.join(root, '.git', 'info'), { recursive: true });
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const at = (...parts: string[]) => path.join(root, ...parts);
const read = (...parts: string[]) => readFileSync(at(...parts), 'utf8');
const write = (file: string, text: string) => {
  mkdirSync(path.dirname(at(file)), { recursive: true });
  writeFileSync(at(file), text);
};

describe('addToGitignore', () => {
  it('writes /<name> lines in the order of the outputs (05a add-full, with -w sub)', async () => {
    mkdirSync(at('sub'));
    const changed = await addToGitignore(root, [
      at('sub', 'metrics.json'),
      at('sub', 'plots.csv'),
      at('sub', 'model.pkl'),
    ]);
    expect(changed).toEqual(['sub/.gitignore']);
    expect(read('sub', '.gitignore')).toBe('/metrics.json\n/plots.csv\n/model.pkl\n');
  });

  it('puts each entry beside its output (05a add-wdir-outs)', async () => {
    mkdirSync(at('sub'));
    const changed = await addToGitignore(root, [at('up.txt'), at('sub', 'here.txt')]);
    expect(changed).toEqual(['.gitignore', 'sub/.gitignore']);
    expect(read('.gitignore')).toBe('/up.txt\n');
    expect(read('sub', '.gitignore')).toBe('/here.txt\n');
  });

  it('appends to an existing file, adding the missing newline, and never repeats a line', async () => {
    write('.gitignore', '/third.txt\n/zz.txt');
    expect(await addToGitignore(root, [at('aa.txt'), at('zz.txt')])).toEqual(['.gitignore']);
    expect(read('.gitignore')).toBe('/third.txt\n/zz.txt\n/aa.txt\n');
    expect(await addToGitignore(root, [at('aa.txt'), at('third.txt')])).toEqual([]);
    expect(read('.gitignore')).toBe('/third.txt\n/zz.txt\n/aa.txt\n');
  });

  it('adds nothing for a path git already ignores, as DVC asks git first', async () => {
    write('.gitignore', '*.pkl\n!keep.pkl\nbuild/\n');
    write('.git/info/exclude', 'secret.txt\n');
    mkdirSync(at('build'));
    mkdirSync(at('deep', 'er'), { recursive: true });
    const changed = await addToGitignore(root, [
      at('model.pkl'),
      at('deep', 'er', 'x.pkl'),
      at('build', 'out.bin'),
      at('secret.txt'),
      at('keep.pkl'),
    ]);
    expect(changed).toEqual(['.gitignore']);
    expect(read('.gitignore')).toBe('*.pkl\n!keep.pkl\nbuild/\n/keep.pkl\n');
  });

  it('lets a deeper .gitignore win over a shallower one', () => {
    write('.gitignore', '*.csv\n');
    write('data/.gitignore', '!raw.csv\n');
    const rules = new GitIgnoreRules(root);
    expect(rules.ignores(at('data', 'raw.csv'))).toBe(false);
    expect(rules.ignores(at('data', 'other.csv'))).toBe(true);
    expect(rules.ignores(at('a.txt'))).toBe(false);
  });

  it('escapes the characters gitignore would read as patterns (05e out-glob)', async () => {
    expect(gitignoreEntry(at('*.txt'))).toBe('/\\*.txt');
    expect(gitignoreEntry(at('a[1]!#?.txt'))).toBe('/a\\[1\\]\\!\\#\\?.txt');
    await addToGitignore(root, [at('*.txt')]);
    expect(read('.gitignore')).toBe('/\\*.txt\n');
  });

  it('skips an output whose directory does not exist, or stops there as `stage add` does', async () => {
    const outputs = [at('top.txt'), at('out', 'deep', 'x.txt'), at('top2.txt')];
    expect(await addToGitignore(root, outputs)).toEqual(['.gitignore']);
    expect(read('.gitignore')).toBe('/top.txt\n/top2.txt\n');

    rmSync(at('.gitignore'));
    const missing: string[] = [];
    const changed = await addToGitignore(root, outputs, {
      onMissingDirectory: (gitignore) => {
        missing.push(gitignore);
        return 'stop';
      },
    });
    // 05a add-nested-outs-existing-parent-first: only /top.txt, and the warning names the file.
    expect(changed).toEqual(['.gitignore']);
    expect(read('.gitignore')).toBe('/top.txt\n');
    expect(missing).toEqual([at('out', 'deep', '.gitignore')]);
  });

  it('writes through a temporary file that does not stay behind', async () => {
    await addToGitignore(root, [at('a.txt'), at('b.txt')]);
    expect(readdirSync(root).sort()).toEqual(['.git', '.gitignore']);
  });

  it('refuses an output outside the git work tree', async () => {
    await expect(addToGitignore(root, [path.join(path.dirname(root), 'elsewhere.txt')])).rejects.toThrow(
      /is outside of git repository/,
    );
  });
});

describe('addToGitignore and symlinks leading out of the repository (issue 14 item 11)', () => {
  it('refuses, as DVC, to write a .gitignore through a symlinked directory, and writes nothing there', async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'tvc-gitignore-outside-'));
    try {
      symlinkSync(outside, at('link'));
      await expect(addToGitignore(root, [at('link', 'out.txt')])).rejects.toThrow(
        `'${at('link', 'out.txt')}' is outside of git repository '${root}'`,
      );
      expect(readdirSync(outside)).toEqual([]);
      expect(() => assertInGitRepository(root, at('link', 'out.txt'))).toThrow(/outside of git repository/);
      expect(() => assertInGitRepository(root, at('data', 'out.txt'))).not.toThrow();
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
