import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { comparisonDvc, TempRepo } from './harness';

/**
 * `tvc diff` against the real DVC: each repository state is made once (with tvc's own commands),
 * then `dvc diff` and `tvc diff` run in it with the same arguments and must print the same bytes
 * (plain, `--json`, `--md`) and exit the same way.
 */
const binary = comparisonDvc('tvc diff');

const repos: TempRepo[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) await repo.remove();
});

async function repo(options: { commit?: boolean } = {}): Promise<TempRepo> {
  const created = await TempRepo.create(undefined, options);
  repos.push(created);
  return created;
}

async function commitAll(repo: TempRepo, message = 'data'): Promise<void> {
  await repo.git('add', '-A');
  await repo.git('commit', '-q', '-m', message);
}

async function run(repo: TempRepo, ...args: string[]): Promise<void> {
  const result = await repo.tvc(...args);
  if (result.code !== 0) throw new Error(`tvc ${args.join(' ')}: ${result.stderr}`);
}

const FORMATS: string[][] = [[], ['--json'], ['--md']];

/** Runs `diff ARGS` (in each format) through DVC, then tvc, in the same repository. */
async function expectSame(repo: TempRepo, args: string[], expectOutput = true): Promise<void> {
  for (const format of FORMATS) {
    const command = ['diff', ...args, ...format];
    const theirs = await repo.dvc(...command);
    const ours = await repo.tvc(...command);
    expect({ command, stdout: ours.stdout, code: ours.code }).toEqual({
      command,
      stdout: theirs.stdout,
      code: theirs.code,
    });
    expect(ours.stderr).toBe('');
  }
  if (expectOutput) expect((await repo.tvc('diff', ...args)).stdout).not.toBe('');
}

async function withData(): Promise<TempRepo> {
  const created = await repo();
  await created.write('foo', 'foo\n');
  await created.write('dir/a', 'a\n');
  await created.write('dir/b', 'b\n');
  await created.write('dir/sub/c', 'c\n');
  await created.write('keep', 'keep\n');
  return created;
}

describe.skipIf(!binary)('tvc diff prints what dvc diff prints', () => {
  it('the workspace against HEAD after tvc add of a file and a directory', async () => {
    const repo = await withData();
    await run(repo, 'add', 'foo', 'dir');
    await expectSame(repo, []);
  });

  it('a modified file inside a tracked directory, a file added to it, a deleted output', async () => {
    const repo = await withData();
    await run(repo, 'add', 'foo', 'dir', 'keep');
    await commitAll(repo);
    await expectSame(repo, [], false);
    await repo.write('dir/a', 'changed\n');
    await repo.write('dir/sub/d', 'new\n');
    // foo's data is gone (still tracked); keep's .dvc file is gone (no longer tracked).
    await rm(repo.path('foo'));
    await rm(repo.path('keep.dvc'));
    await expectSame(repo, []);
    await expectSame(repo, ['--hide-missing']);
    await expectSame(repo, ['--show-hash']);
  });

  it('a renamed file and a renamed directory', async () => {
    const repo = await withData();
    await run(repo, 'add', 'foo', 'dir');
    await commitAll(repo);
    await run(repo, 'move', 'foo', 'bar');
    await run(repo, 'move', 'dir', 'moved');
    await expectSame(repo, []);
    await commitAll(repo, 'moved');
    await expectSame(repo, ['HEAD~1', 'HEAD']);
    await expectSame(repo, ['HEAD~1']);
    await expectSame(repo, ['HEAD~1', '--show-hash']);
  });

  it('dvc.yaml stage outputs recorded in dvc.lock, between two revisions', async () => {
    const repo = await fresh();
    await repo.write(
      'dvc.yaml',
      'stages:\n  make:\n    cmd: mkdir -p out && echo 1 > out/x && echo 2 > out/y && echo m > model.bin\n    outs:\n    - out\n    - model.bin\n',
    );
    await run(repo, 'repro');
    await commitAll(repo, 'first');
    await expectSame(repo, ['HEAD~1', 'HEAD']);
    await repo.write(
      'dvc.yaml',
      'stages:\n  make:\n    cmd: mkdir -p out && echo 3 > out/x && echo 2 > out/y && echo n > model.bin\n    outs:\n    - out\n    - model.bin\n',
    );
    await run(repo, 'repro');
    await commitAll(repo, 'second');
    await expectSame(repo, ['HEAD~1', 'HEAD']);
    await expectSame(repo, ['HEAD~2', 'HEAD']);
    await expectSame(repo, ['HEAD~2', 'HEAD', '--show-hash']);
    await expectSame(repo, ['HEAD', 'HEAD'], false);
  });

  it('--targets: an output, a path inside a tracked directory, a .dvc file', async () => {
    const repo = await withData();
    await run(repo, 'add', 'foo', 'dir');
    await commitAll(repo);
    await repo.write('foo', 'other\n');
    await repo.write('dir/a', 'changed\n');
    await repo.write('dir/b', 'changed too\n');
    await run(repo, 'add', 'foo', 'dir');
    await expectSame(repo, ['--targets', 'foo']);
    await expectSame(repo, ['--targets', 'dir/a']);
    await expectSame(repo, ['--targets', 'dir']);
    await expectSame(repo, ['--targets', 'dir.dvc', 'foo']);
    await commitAll(repo);
    await expectSame(repo, ['HEAD~1', 'HEAD', '--targets', 'dir']);
  });

  it('a repository without commits', async () => {
    const repo = await TempRepo.create(undefined, { commit: false });
    repos.push(repo);
    await repo.write('foo', 'foo\n');
    await run(repo, 'add', 'foo');
    await expectSame(repo, [], false);
  });
});

function fresh(): Promise<TempRepo> {
  return repo();
}
