import { TvcError } from '@tvc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expRefName, findExperiment, listExperiments, parseExpRef, resolveExperiment } from './refs';
import { TestRepo } from './test-git-repo';

describe('parseExpRef', () => {
  const baseline = 'ab'.padEnd(40, 'c');
  it('reads refs/exps/<sha[:2]>/<sha[2:]>/<name>', () => {
    expect(parseExpRef(expRefName(baseline, 'exp-1'))).toEqual({ baseline, name: 'exp-1' });
    expect(expRefName(baseline, 'n')).toBe(`refs/exps/ab/${baseline.slice(2)}/n`);
  });
  it('skips DVC’s bookkeeping namespaces, stashes and other shapes', () => {
    for (const ref of [
      'refs/exps/stash',
      'refs/exps/celery/stash',
      'refs/exps/exec/EXEC_APPLY',
      'refs/exps/apply/ORIG_HEAD',
      'refs/exps/temp/x/y/z',
      'refs/exps/ab/cd',
      'refs/heads/main',
      `refs/exps/ab/${baseline.slice(2)}/a/b`,
    ]) {
      expect(parseExpRef(ref), ref).toBeUndefined();
    }
  });
});

describe('finding experiments in a repository', () => {
  let repo: TestRepo;
  let first: string;
  let second: string;
  const commits: Record<string, string> = {};

  beforeAll(() => {
    repo = TestRepo.create();
    first = repo.head();
    repo.write('note.txt', 'two\n');
    second = repo.commitAll('second');
    // Experiment commits made with plumbing: `dup` exists under both baselines.
    const make = (baseline: string, name: string) => {
      const tree = repo.run('rev-parse', `${baseline}^{tree}`);
      const sha = repo.run('commit-tree', tree, '-p', baseline, '-m', name);
      repo.run('update-ref', expRefName(baseline, name), sha);
      commits[`${baseline}:${name}`] = sha;
    };
    make(first, 'old');
    make(first, 'dup');
    make(second, 'dup');
    make(second, 'new');
    const stray = repo.run('commit-tree', repo.run('rev-parse', `${first}^{tree}`), '-m', 'stray');
    repo.run('update-ref', 'refs/exps/exec/EXEC_APPLY', stray);
    repo.run('update-ref', 'refs/exps/celery/stash', stray);
  });
  afterAll(() => repo.remove());

  it('lists only experiments, with their baseline, name and commit', async () => {
    const listed = await listExperiments(repo.git);
    expect(listed.map((exp) => `${exp.baseline}:${exp.name}`).sort()).toEqual(
      [`${first}:dup`, `${first}:old`, `${second}:dup`, `${second}:new`].sort(),
    );
    for (const exp of listed) {
      expect(exp.sha).toBe(commits[`${exp.baseline}:${exp.name}`]);
      expect(exp.ref).toBe(expRefName(exp.baseline, exp.name));
    }
  });

  it('finds by full ref, by name, and by commit or its prefix', async () => {
    expect((await findExperiment(repo.git, expRefName(first, 'dup')))?.sha).toBe(commits[`${first}:dup`]);
    expect((await findExperiment(repo.git, 'old'))?.sha).toBe(commits[`${first}:old`]);
    const sha = commits[`${second}:new`]!;
    expect((await findExperiment(repo.git, sha))?.name).toBe('new');
    expect((await findExperiment(repo.git, sha.slice(0, 7)))?.name).toBe('new');
    expect(await findExperiment(repo.git, 'nothing-like-it')).toBeUndefined();
  });

  it('takes the HEAD baseline’s experiment when a name is on several baselines', async () => {
    expect((await findExperiment(repo.git, 'dup'))?.baseline).toBe(second);
  });

  it('lists the full refnames when a shared name is on none of HEAD’s', async () => {
    repo.run(
      'checkout',
      '-q',
      '--detach',
      repo.run('commit-tree', repo.run('rev-parse', `${first}^{tree}`), '-m', 'elsewhere'),
    );
    try {
      const error = await findExperiment(repo.git, 'dup').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TvcError);
      expect((error as TvcError).code).toBe('EXP_AMBIGUOUS');
      expect((error as TvcError).message).toContain(`\t${expRefName(first, 'dup')}`);
      expect((error as TvcError).message).toContain(`\t${expRefName(second, 'dup')}`);
    } finally {
      repo.run('checkout', '-q', 'main');
    }
  });

  it('says a name is not an experiment, as DVC does', async () => {
    await expect(resolveExperiment(repo.git, 'nope')).rejects.toThrow(
      "'nope' is not a valid experiment name",
    );
  });
});
