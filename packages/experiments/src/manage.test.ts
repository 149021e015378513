import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { TvcError } from '@tvc/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  APPLY_SAVED,
  applyExperiment,
  branchExperiment,
  describe as describeCommits,
  listByBaseline,
  removeExperiments,
  saveExperiment,
} from './manage';
import { APPLY_HEAD, EXEC_APPLY, expRefName } from './refs';
import { runExperiment } from './run';
import { TestRepo, withGitIdentity } from './test-git-repo';

let restore: () => void;
beforeAll(() => {
  restore = withGitIdentity();
});
afterAll(() => restore());

const repos: TestRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.remove();
});

/** A repository with experiments `a` (lr 0.2) and `b` (lr 0.5) on its baseline; `b`'s results in the workspace. */
async function withExperiments(): Promise<TestRepo> {
  const repo = TestRepo.create();
  repos.push(repo);
  await runExperiment(await repo.tvc(), { overrides: ['lr=0.2'], name: 'a' });
  await runExperiment(await repo.tvc(), { overrides: ['lr=0.5'], name: 'b' });
  return repo;
}

describe('list and describe', () => {
  it('groups experiments by baseline, named as DVC describes commits', async () => {
    const repo = await withExperiments();
    const first = repo.head();
    repo.run('tag', 'v1');
    repo.write('note.txt', 'x\n');
    const second = repo.commitAll('second');
    await runExperiment(await repo.tvc(), { overrides: ['lr=0.7'], name: 'c' });
    const onHead = await listByBaseline(repo.git);
    expect(onHead.map((group) => [group.label, group.experiments.map((exp) => exp.name)])).toEqual([
      ['main', ['c']],
    ]);
    const all = await listByBaseline(repo.git, { all: true });
    const byBaseline = new Map(all.map((group) => [group.baseline, group]));
    expect(byBaseline.get(first)?.label).toBe('v1');
    expect(
      byBaseline
        .get(first)
        ?.experiments.map((exp) => exp.name)
        .sort(),
    ).toEqual(['a', 'b']);
    expect(byBaseline.get(second)?.label).toBe('main');
    expect((await listByBaseline(repo.git, { num: 2 })).length).toBe(2);
    await expect(listByBaseline(repo.git, { revs: ['nope'] })).rejects.toThrow("unknown Git revision 'nope'");
    expect(await describeCommits(repo.git, [first, second, 'f'.repeat(40)])).toEqual(
      new Map([
        [first, 'v1'],
        [second, 'main'],
      ]),
    );
  });
});

describe('remove', () => {
  it('deletes the named refs in one go, and EXEC_APPLY when it points at one', async () => {
    const repo = await withExperiments();
    const baseline = repo.head();
    await applyExperiment(await repo.tvc(), 'a');
    expect(repo.expRefs().has(EXEC_APPLY)).toBe(true);
    expect(await removeExperiments(repo.git, { names: ['a'] })).toEqual(['a']);
    const left = repo.expRefs();
    expect(left.has(expRefName(baseline, 'a'))).toBe(false);
    expect(left.has(expRefName(baseline, 'b'))).toBe(true);
    expect(left.has(EXEC_APPLY)).toBe(false);
  });

  it('names every unknown experiment and removes nothing then; -A removes all', async () => {
    const repo = await withExperiments();
    await expect(removeExperiments(repo.git, { names: ['a', 'x', 'y'] })).rejects.toThrow(
      "'x; y' are not valid experiment names",
    );
    expect(repo.expRefs().size).toBe(2);
    expect((await removeExperiments(repo.git, { all: true })).sort()).toEqual(['a', 'b']);
    expect(repo.expRefs().size).toBe(0);
  });
});

describe('branch', () => {
  it("creates <name>-branch at the experiment's commit, and refuses an existing or invalid one", async () => {
    const repo = await withExperiments();
    const { branch, experiment } = await branchExperiment(repo.git, 'a');
    expect(branch).toBe('a-branch');
    expect(repo.run('rev-parse', 'refs/heads/a-branch')).toBe(experiment.sha);
    await expect(branchExperiment(repo.git, 'a')).rejects.toThrow("Git branch 'a-branch' already exists.");
    await expect(branchExperiment(repo.git, 'b', 'bad..name')).rejects.toThrow('not a valid branch name');
    expect((await branchExperiment(repo.git, 'b', 'chosen')).branch).toBe('chosen');
  });
});

describe('apply', () => {
  it("writes the experiment's files and checks out its cached outputs; HEAD stays", async () => {
    const repo = await withExperiments();
    const baseline = repo.head();
    const applied = await applyExperiment(await repo.tvc(), 'a');
    expect(applied.experiment.name).toBe('a');
    expect(applied.changed).toEqual(['dvc.lock', 'metrics.json', 'params.yaml']);
    expect(repo.read('params.yaml')).toContain('lr: 0.2');
    expect(repo.read('model.bin')).toBe('model 0.2\n');
    expect(repo.head()).toBe(baseline);
    expect(repo.run('rev-parse', APPLY_HEAD)).toBe(baseline);
    expect(repo.run('rev-parse', EXEC_APPLY)).toBe(applied.experiment.sha);
  });

  it('refuses to overwrite uncommitted work git holds nowhere; with force saves it first', async () => {
    const repo = await withExperiments();
    repo.write('params.yaml', 'lr: 42\nepochs: 3\n');
    const error = await applyExperiment(await repo.tvc(), 'a').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TvcError);
    expect((error as TvcError).code).toBe('EXP_APPLY_CONFLICT');
    expect((error as TvcError).message).toBe(
      "applying 'a' would overwrite uncommitted changes to: params.yaml",
    );
    expect(repo.read('params.yaml')).toBe('lr: 42\nepochs: 3\n');
    const forced = await applyExperiment(await repo.tvc(), 'a', { force: true });
    expect(forced.saved).toEqual(['params.yaml']);
    expect(repo.show(APPLY_SAVED, 'params.yaml')).toBe('lr: 42\nepochs: 3');
    expect(repo.read('params.yaml')).toContain('lr: 0.2');
  });

  it('a missing cache object: refused before anything changes, every such output named', async () => {
    const repo = await withExperiments();
    const md5 = createHash('md5').update('model 0.2\n').digest('hex');
    rmSync(path.join(repo.root, '.dvc/cache/files/md5', md5.slice(0, 2), md5.slice(2)), { force: true });
    const before = {
      params: repo.read('params.yaml'),
      lock: repo.read('dvc.lock'),
      model: repo.read('model.bin'),
    };
    const error = await applyExperiment(await repo.tvc(), 'a').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TvcError);
    expect((error as TvcError).code).toBe('CHECKOUT_FAILED');
    expect((error as TvcError).message).toBe(
      'Checkout failed for following targets:\nmodel.bin\nIs your cache up to date?',
    );
    expect((error as TvcError).hint).toContain('tvc pull');
    expect({
      params: repo.read('params.yaml'),
      lock: repo.read('dvc.lock'),
      model: repo.read('model.bin'),
    }).toEqual(before);
    expect(existsSync(path.join(repo.root, '.dvc/tmp', `exp-apply-${process.pid}`))).toBe(false);
  });

  it('an output the workspace already holds needs no cache object', async () => {
    const repo = await withExperiments();
    // the workspace holds b's model.bin: applying b again does not need its object
    const md5 = createHash('md5').update('model 0.5\n').digest('hex');
    rmSync(path.join(repo.root, '.dvc/cache/files/md5', md5.slice(0, 2), md5.slice(2)), { force: true });
    await applyExperiment(await repo.tvc(), 'a');
    await expect(applyExperiment(await repo.tvc(), 'b')).rejects.toThrow('Checkout failed');
    rmSync(path.join(repo.root, 'model.bin')); // never write through a link into the cache
    repo.write('model.bin', 'model 0.5\n');
    const applied = await applyExperiment(await repo.tvc(), 'b');
    expect(applied.experiment.name).toBe('b');
    expect(repo.read('model.bin')).toBe('model 0.5\n');
    expect(repo.read('params.yaml')).toContain('lr: 0.5');
  });

  it('overwrites without asking what another experiment already holds', async () => {
    const repo = await withExperiments();
    // The workspace holds b's results, which git has in b's commit: nothing is at risk.
    const applied = await applyExperiment(await repo.tvc(), 'a');
    expect(applied.saved).toEqual([]);
  });
});

describe('save', () => {
  it('commits the stages first: edited outputs hashed into the cache and dvc.lock updated', async () => {
    const repo = TestRepo.create();
    repos.push(repo);
    await runExperiment(await repo.tvc(), { name: 'ran' });
    repo.write('model.bin', 'by hand\n');
    repo.write('params.yaml', 'lr: 0.8\nepochs: 3\n');
    const saved = await saveExperiment(await repo.tvc(), { name: 'kept', message: 'kept by hand' });
    expect(saved.ref).toBe(expRefName(repo.head(), 'kept'));
    expect(repo.run('log', '-1', '--format=%B', saved.sha)).toBe('kept by hand');
    const md5 = createHash('md5').update('by hand\n').digest('hex');
    const lock = repo.show(saved.sha, 'dvc.lock');
    expect(lock).toContain(md5);
    expect(lock).toContain('lr: 0.8');
    expect(repo.read('dvc.lock')).toBe(`${lock}\n`);
    expect(
      existsSync(path.join(repo.root, '.dvc', 'cache', 'files', 'md5', md5.slice(0, 2), md5.slice(2))),
    ).toBe(true);
  });

  it('names an experiment at random, refuses a taken name, and includes -I paths', async () => {
    const repo = TestRepo.create();
    repos.push(repo);
    await runExperiment(await repo.tvc(), { name: 'ran' });
    await expect(saveExperiment(await repo.tvc(), { name: 'ran' })).rejects.toMatchObject({
      code: 'EXP_EXISTS',
    });
    repo.write('extra.txt', 'untracked\n');
    const saved = await saveExperiment(await repo.tvc(), { include: ['extra.txt'] });
    expect(saved.name).toMatch(/^[a-z]+-[a-z]+$/);
    expect(repo.show(saved.sha, 'extra.txt')).toBe('untracked');
    expect(repo.run('log', '-1', '--format=%B', saved.sha)).toMatch(/^dvc: commit experiment [0-9a-f]{64}$/);
  });

  it('fails on a missing output and records nothing', async () => {
    const repo = TestRepo.create();
    repos.push(repo);
    await runExperiment(await repo.tvc(), { name: 'ran' });
    rmSync(path.join(repo.root, 'model.bin'));
    await expect(saveExperiment(await repo.tvc(), { name: 'broken' })).rejects.toThrow(/model\.bin/);
    expect([...repo.expRefs().keys()].some((ref) => ref.endsWith('/broken'))).toBe(false);
  });
});
