import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Git } from './git';
import { parseStashMessage, stashMessage } from './stash';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function repo(): { dir: string; git: (...args: string[]) => string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tvc-stash-'));
  dirs.push(dir);
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    });
  git('init', '-q', '-b', 'main');
  return { dir, git };
}

describe('stash messages', () => {
  it("round-trips DVC's dvc-exp:<rev>:<baseline>:<name> format", () => {
    const rev = 'a'.repeat(40);
    const baseline = 'b'.repeat(40);
    expect(stashMessage(rev, baseline, 'my-exp')).toBe(`dvc-exp:${rev}:${baseline}:my-exp`);
    expect(parseStashMessage(`dvc-exp:${rev}:${baseline}:my-exp`)).toEqual({
      rev,
      baseline,
      name: 'my-exp',
      branch: undefined,
    });
    expect(parseStashMessage(`dvc-exp:${rev}:${baseline}:x:refs/heads/b`)?.branch).toBe('refs/heads/b');
    expect(parseStashMessage('Index stash')).toBeUndefined();
  });
});

describe('Git.copyIndex', () => {
  it('keeps the index time, so a same-size rewrite in the same second is still seen (racy git)', async () => {
    const { dir, git } = repo();
    const file = path.join(dir, 'm.json');
    const index = path.join(dir, '.git', 'index');
    // a checkout writes the file and the index in one second; a fast stage rewrites the file,
    // same size, in that second: only git's racy-entry check (entry time >= index time) sees it
    const second = new Date(Math.floor(Date.now() / 1000) * 1000 - 5000);
    writeFileSync(file, '{"loss": 1}\n');
    utimesSync(file, second, second);
    git('add', 'm.json');
    git('commit', '-q', '-m', 'base');
    writeFileSync(file, '{"loss": 7}\n');
    utimesSync(file, second, second);
    utimesSync(index, second, second);
    const copy = `${index}.copy`;
    expect(await new Git(dir).copyIndex(copy)).toBe(true);
    expect(statSync(copy).mtimeMs).toBe(statSync(index).mtimeMs);
    const env = { ...process.env, GIT_INDEX_FILE: copy };
    execFileSync('git', ['add', '-u'], { cwd: dir, env });
    const blob = execFileSync('git', ['ls-files', '-s', 'm.json'], { cwd: dir, env, encoding: 'utf8' }).split(
      ' ',
    )[1];
    expect(execFileSync('git', ['cat-file', '-p', blob!], { cwd: dir, encoding: 'utf8' })).toBe(
      '{"loss": 7}\n',
    );
  });

  it('reports a repository without an index', async () => {
    const { dir } = repo();
    expect(await new Git(dir).copyIndex(path.join(dir, 'x'))).toBe(false);
  });
});
