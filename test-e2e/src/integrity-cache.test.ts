import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { TempRepo } from './harness';

// The cache must never lie: an object rewritten in place is not vouched for, a wrong object is
// replaced when the stage that makes it runs again, a persistent output checked out as a link is
// not appended to through the cache, and a hostile manifest is reported as such.

const run = promisify(execFile);
const repos: TempRepo[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) await repo.remove();
});

async function create(files: Record<string, string>): Promise<TempRepo> {
  const repo = await TempRepo.create(undefined, { commit: false });
  repos.push(repo);
  for (const [file, text] of Object.entries(files)) await repo.write(file, text);
  await repo.git('add', '-A');
  await repo.git('commit', '-q', '-m', 'project');
  return repo;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const objectPath = (repo: TempRepo, hash: string) =>
  repo.path('.dvc', 'cache', 'files', 'md5', hash.slice(0, 2), hash.slice(2));

/**
 * Rewrites a file in place with bytes of the same length and puts its atime and mtime back to the
 * nanosecond (as `cp -p` over an existing file or `rsync --inplace` do): inode, size and mtime
 * are unchanged, only the content (and the ctime, which cannot be set) differ.
 */
async function rewriteInPlace(file: string, text: string): Promise<void> {
  const before = statSync(file, { bigint: true });
  const reference = `${file}.times`;
  await run('touch', ['-r', file, reference]);
  chmodSync(file, 0o644);
  writeFileSync(file, text, { flag: 'r+' });
  chmodSync(file, Number(before.mode) & 0o777);
  await run('touch', ['-r', reference, file]);
  await rm(reference);
  const after = statSync(file, { bigint: true });
  expect([after.ino, after.size, after.mtimeNs]).toEqual([before.ino, before.size, before.mtimeNs]);
  expect(readFileSync(file, 'utf8')).toBe(text);
}

const lockedMd5 = async (repo: TempRepo, out: string) => {
  const lock = await repo.read('dvc.lock');
  const at = lock.indexOf(`path: ${out}\n`);
  return /md5: ([0-9a-f]+(?:\.dir)?)/.exec(lock.slice(at))?.[1];
};

/**
 * Lets what was just written age past the hash memo's racy window (2 s), then runs `tvc status`,
 * which hashes the outputs and the cache objects it verifies and memoises them: the memo can then
 * vouch for them, which is what an in-place rewrite must not fool.
 */
async function memoise(repo: TempRepo): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 2100));
  expect((await repo.tvc('status')).stdout).toContain('up to date');
  expect(existsSync(repo.path('.dvc', 'tmp', 'tvc-hash-memo.json'))).toBe(true);
}

const COPY_STAGE = `stages:
  gen:
    cmd: cat in.txt > out.txt && echo ran >> runs.log
    deps: [in.txt]
    outs: [out.txt]
`;

describe('a cache object rewritten in place', () => {
  it('is not vouched for by status, and the next repro reruns the stage and heals it', async () => {
    const repo = await create({ 'dvc.yaml': COPY_STAGE, 'in.txt': 'good\n', '.gitignore': 'runs.log\n' });
    expect((await repo.tvc('repro')).code).toBe(0);
    const object = objectPath(repo, md5('good\n'));
    expect(readFileSync(object, 'utf8')).toBe('good\n');
    await memoise(repo);

    await rewriteInPlace(object, 'evil\n');
    const status = await repo.tvc('status');
    expect(status.stdout).not.toContain('up to date');
    expect(status.stdout).toContain('not in cache');

    const repro = await repo.tvc('repro');
    expect(repro.code, repro.stderr).toBe(0);
    expect(await repo.read('runs.log')).toBe('ran\nran\n');
    // healed: the object holds its content again, so the stage is up to date and stays so
    expect(readFileSync(object, 'utf8')).toBe('good\n');
    expect((statSync(object).mode & 0o777).toString(8)).toBe('444');
    expect((await repo.tvc('status')).stdout).toContain('up to date');
    expect((await repo.tvc('repro')).code).toBe(0);
    expect(await repo.read('runs.log')).toBe('ran\nran\n');
  });

  it('is not checked out by the run-cache, nor recorded in dvc.lock or the run-cache', async () => {
    const repo = await create({ 'dvc.yaml': COPY_STAGE, 'in.txt': 'good\n', '.gitignore': 'runs.log\n' });
    expect((await repo.tvc('repro')).code).toBe(0);
    await memoise(repo);
    await repo.write('in.txt', 'other\n');
    expect((await repo.tvc('repro')).code).toBe(0);
    const object = objectPath(repo, md5('good\n'));
    await rewriteInPlace(object, 'evil\n');

    // back to the first input: the run-cache has the run, but its object is corrupt
    await repo.write('in.txt', 'good\n');
    const repro = await repo.tvc('repro');
    expect(repro.code, repro.stderr).toBe(0);
    expect(await repo.read('out.txt')).toBe('good\n');
    expect(await lockedMd5(repo, 'out.txt')).toBe(md5('good\n'));
    expect(await repo.read('runs.log')).toBe('ran\nran\nran\n');
    expect(readFileSync(object, 'utf8')).toBe('good\n');
    const runs = await readdir(repo.path('.dvc', 'cache', 'runs'), { recursive: true });
    for (const entry of runs) {
      const file = repo.path('.dvc', 'cache', 'runs', entry);
      if (statSync(file).isFile()) expect(await readFile(file, 'utf8')).not.toContain(md5('evil\n'));
    }
    expect((await repo.tvc('status')).stdout).toContain('up to date');
  });

  it('in a directory output is healed too', async () => {
    const repo = await create({
      'dvc.yaml': `stages:
  gen:
    cmd: mkdir -p d && cp in.txt d/a && echo fixed > d/b && echo ran >> runs.log
    deps: [in.txt]
    outs: [d]
`,
      'in.txt': 'good\n',
      '.gitignore': 'runs.log\n',
    });
    expect((await repo.tvc('repro')).code).toBe(0);
    await memoise(repo);
    const object = objectPath(repo, md5('good\n'));
    await rewriteInPlace(object, 'evil\n');
    expect((await repo.tvc('status')).stdout).toContain('not in cache');
    expect((await repo.tvc('repro')).code).toBe(0);
    expect(readFileSync(object, 'utf8')).toBe('good\n');
    expect((await repo.tvc('status')).stdout).toContain('up to date');
  });
});

describe.each(['hardlink', 'symlink'])('a persistent output checked out as a %s', (linkType) => {
  it('becomes a private copy before the command appends to it', async () => {
    const repo = await create({
      '.dvc/config': `[cache]\n    type = ${linkType}\n`,
      'dvc.yaml': `stages:
  grow:
    cmd: cat in.txt >> log.txt
    deps: [in.txt]
    outs:
    - log.txt:
        persist: true
`,
      'in.txt': 'one\n',
    });
    const first = await repo.tvc('exp', 'run', '-n', 'first');
    expect(first.code, first.stderr).toBe(0);
    expect(await repo.read('log.txt')).toBe('one\n');
    const object = objectPath(repo, md5('one\n'));
    expect(readFileSync(object, 'utf8')).toBe('one\n');

    // the experiment's output comes back from the cache as a link
    await rm(repo.path('log.txt'));
    const apply = await repo.tvc('exp', 'apply', 'first');
    expect(apply.code, apply.stderr).toBe(0);
    const linked = lstatSync(repo.path('log.txt'));
    if (linkType === 'hardlink') expect(linked.nlink).toBeGreaterThan(1);
    else expect(linked.isSymbolicLink()).toBe(true);

    await repo.write('in.txt', 'two\n');
    const repro = await repo.tvc('repro');
    expect(repro.code, repro.stderr).toBe(0);
    expect(await repo.read('log.txt')).toBe('one\ntwo\n');
    // the first experiment's object is untouched
    expect(readFileSync(object, 'utf8')).toBe('one\n');
    expect(lstatSync(repo.path('log.txt')).isSymbolicLink()).toBe(false);
    expect((await repo.tvc('status')).stdout).toContain('up to date');
  });
});

describe('a hostile directory manifest', () => {
  it('is reported as corrupt or hostile, with its path, not as an internal error', async () => {
    const repo = await create({
      'dvc.yaml': `stages:
  gen:
    cmd: mkdir -p d && cp in.txt d/f
    deps: [in.txt]
    outs: [d]
`,
      'in.txt': 'x\n',
    });
    expect((await repo.tvc('exp', 'run', '-n', 'first')).code).toBe(0);

    // a manifest whose name matches its bytes, listing a file outside the directory
    const text = `[{"md5": "${md5('x\n')}", "relpath": "../../evil"}]`;
    const hostile = `${md5(text)}.dir`;
    const manifest = objectPath(repo, hostile);
    await mkdir(path.dirname(manifest), { recursive: true });
    await writeFile(manifest, text);

    // the experiment's commit, rewritten to record the hostile manifest for d
    const ref = (await repo.git('for-each-ref', '--format=%(refname)', 'refs/exps')).trim();
    const commit = (await repo.git('rev-parse', ref)).trim();
    const lock = await repo.git('show', `${commit}:dvc.lock`);
    const tampered = lock.replace(/[0-9a-f]{32}\.dir/, hostile);
    expect(tampered).not.toBe(lock);
    const blob = (await runIn(repo, ['git', 'hash-object', '-w', '--stdin'], tampered)).trim();
    const tree = (
      await runIn(
        repo,
        ['git', 'mktree'],
        (
          await repo.git('ls-tree', commit)
        )
          .split('\n')
          .filter(Boolean)
          .map((line) => (line.endsWith('\tdvc.lock') ? `100644 blob ${blob}\tdvc.lock` : line))
          .join('\n'),
      )
    ).trim();
    const parent = (await repo.git('rev-parse', `${commit}^`)).trim();
    const rewritten = (await repo.git('commit-tree', tree, '-p', parent, '-m', 'hostile')).trim();
    await repo.git('update-ref', ref, rewritten);

    await rm(repo.path('d'), { recursive: true, force: true });
    const apply = await repo.tvc('exp', 'apply', 'first');
    expect(apply.code).not.toBe(0);
    expect(apply.stderr).not.toContain('unexpected error');
    expect(apply.stderr).toMatch(/corrupt or hostile/);
    expect(apply.stderr).toContain(manifest);
    expect(apply.stderr).toContain('../../evil');
    expect(existsSync(path.resolve(repo.dir, '..', 'evil'))).toBe(false);
  });
});

function runIn(repo: TempRepo, [command, ...args]: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command!, args, { cwd: repo.dir }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
    child.stdin!.end(input);
  });
}
