import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { comparisonDvc, TempRepo, TVC_BIN } from './harness';

/**
 * DVC's flags tvc lacked (issue 18): `repro --no-commit`, `exp run --dry`/`-k`/`--ignore-errors`/
 * `--no-commit`, `stage add --run`. Compared with DVC where DVC has the flag.
 */
const DVC = comparisonDvc('the repro, exp run and stage add flags');

const PIPELINE =
  'stages:\n' +
  '  a:\n    cmd: echo a > a.txt\n    params: [lr]\n    outs: [a.txt]\n' +
  '  b:\n    cmd: cat a.txt > b.txt\n    deps: [a.txt]\n    outs: [b.txt]\n';

async function project(): Promise<TempRepo> {
  const repo = await TempRepo.create();
  await repo.write('params.yaml', 'lr: 1 # the rate\n');
  await repo.write('dvc.yaml', PIPELINE);
  await repo.git('add', '-A');
  await repo.git('commit', '-q', '-m', 'pipeline');
  return repo;
}

describe('missing DVC flags', () => {
  let repo: TempRepo;
  beforeEach(async () => {
    repo = await project();
  });
  afterEach(async () => {
    await repo.remove();
  });

  it('repro --no-commit writes dvc.lock but caches nothing (status: not in cache), as DVC', async () => {
    const ours = await repo.tvc('repro', '--no-commit');
    expect(ours.code, ours.stderr).toBe(0);
    expect(await repo.read('dvc.lock')).toContain('md5: 60b725f10c9c85c70d97880dfe8191b3');
    expect(existsSync(repo.path('.dvc/cache/files'))).toBe(false);
    const status = await repo.tvc('status');
    expect(status.stdout).toBe(
      'a:\n\tchanged outs:\n\t\tnot in cache:       a.txt\nb:\n\tchanged outs:\n\t\tnot in cache:       b.txt\n',
    );
    if (DVC) expect(status.stdout).toBe((await repo.dvc('status')).stdout);
    // `tvc commit` caches them afterwards.
    expect((await repo.tvc('commit', '-f', '-q')).code).toBe(0);
    expect((await repo.tvc('status')).stdout).toBe('Data and pipelines are up to date.\n');
  });

  it('exp run --dry prints the commands with the -S overrides seen, and changes nothing', async () => {
    await repo.tvc('repro', '-q');
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'ran');
    const unchanged = await repo.tvc('exp', 'run', '--dry');
    expect(unchanged.code, unchanged.stderr).toBe(0);
    expect(unchanged.stdout).toContain('Data and pipelines are up to date.');
    const ours = await repo.tvc('exp', 'run', '--dry', '-S', 'lr=2');
    expect(ours.code, ours.stderr).toBe(0);
    expect(ours.stdout).toContain("Running stage 'a':\n> echo a > a.txt\n");
    expect(ours.stdout).not.toContain("stage 'b'");
    expect(await repo.read('params.yaml')).toBe('lr: 1 # the rate\n');
    expect(await repo.git('status', '--porcelain')).toBe('');
    expect(await repo.git('for-each-ref', 'refs/exps')).toBe('');
    const refused = await repo.tvc('exp', 'run', '--dry', '--queue');
    expect(refused.code).toBe(255);
    expect(refused.stderr).toContain('--dry cannot be combined with --queue');
  });

  it('exp run -k runs the stages that do not depend on a failure, and records no experiment', async () => {
    await repo.write(
      'dvc.yaml',
      `${PIPELINE}  bad:\n    cmd: exit 3\n  c:\n    cmd: echo c > c.txt\n    outs: [c.txt]\n`,
    );
    const ours = await repo.tvc('exp', 'run', '-k', 'bad', 'c');
    expect(ours.code).toBe(255);
    expect(ours.stderr).toContain('bad');
    expect(existsSync(repo.path('c.txt'))).toBe(true);
    expect(await repo.git('for-each-ref', 'refs/exps')).toBe('');
    const ignored = await repo.tvc('exp', 'run', '--ignore-errors', '-f', 'bad', 'c');
    expect(ignored.code, ignored.stderr).toBe(0);
    expect(ignored.stdout).toContain('Ran experiment(s):');
  });

  it('exp run --no-commit records the experiment without caching its outputs', async () => {
    const ours = await repo.tvc('exp', 'run', '--no-commit', '-S', 'lr=5');
    expect(ours.code, ours.stderr).toBe(0);
    expect(ours.stdout).toContain('Ran experiment(s):');
    expect(existsSync(repo.path('.dvc/cache/files'))).toBe(false);
    expect((await repo.git('for-each-ref', 'refs/exps')).trim()).not.toBe('');
  });

  it('exp run -i asks before each stage; no stops without recording anything', async () => {
    const ask = (answer: string) =>
      spawnSync(process.execPath, [TVC_BIN, 'exp', 'run', '-i', '-S', 'lr=4'], {
        cwd: repo.dir,
        input: answer,
        encoding: 'utf8',
      });
    const refused = ask('n\n');
    expect(refused.stdout).toContain(
      "Going to reproduce stage: 'a'. Are you sure you want to continue? [y/n]",
    );
    expect(refused.status).toBe(255);
    expect(await repo.git('for-each-ref', 'refs/exps')).toBe('');
    const accepted = ask('y\ny\n');
    expect(accepted.status, accepted.stderr).toBe(0);
    expect(accepted.stdout).toContain('Ran experiment(s):');
  });

  it('exp run --pull brings the data from the remote instead of running the stages again', async () => {
    await repo.tvc('repro', '-q');
    const remote = repo.path('..', `${path.basename(repo.dir)}-remote`);
    try {
      expect((await repo.tvc('remote', 'add', '-d', 'store', remote)).code).toBe(0);
      expect((await repo.tvc('push', '-q')).code).toBe(0);
      await repo.git('add', '-A');
      await repo.git('commit', '-q', '-m', 'ran');
      await rm(repo.path('.dvc', 'cache'), { recursive: true, force: true });
      await rm(repo.path('a.txt'));
      await rm(repo.path('b.txt'));
      const ours = await repo.tvc('exp', 'run', '--pull');
      expect(ours.code, ours.stderr).toBe(0);
      expect(ours.stdout).toContain("Stage 'a' didn't change, skipping");
      expect(ours.stdout).not.toContain('Running stage');
      expect(await repo.read('b.txt')).toBe('a\n');
    } finally {
      await rm(remote, { recursive: true, force: true });
    }
  });

  it('stage add --run adds the stage, runs it and writes its lock entry, as DVC', async () => {
    const ours = await repo.tvc('stage', 'add', '-n', 'c', '--run', '-o', 'c.txt', 'echo c > c.txt');
    expect(ours.code, ours.stderr).toBe(0);
    expect(ours.stdout).toContain("Added stage 'c' in 'dvc.yaml'\nRunning stage 'c':\n> echo c > c.txt\n");
    expect(ours.stdout).toContain('dvc.lock');
    expect(await repo.read('c.txt')).toBe('c\n');
    expect(await repo.read('dvc.lock')).toContain('  c:\n    cmd: echo c > c.txt\n');
    expect(await repo.read('.gitignore')).toContain('/c.txt');
    if (DVC) {
      const theirs = await project();
      try {
        const dvc = await theirs.dvc('stage', 'add', '-n', 'c', '--run', '-o', 'c.txt', 'echo c > c.txt');
        expect(dvc.code).toBe(0);
        expect(await repo.read('dvc.lock')).toBe(await theirs.read('dvc.lock'));
      } finally {
        await theirs.remove();
      }
    }
  });
});
