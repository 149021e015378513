import { RepoLock, TvcError } from '@tvc/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expRefName } from './refs';
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
function repository(options: { commit?: boolean } = {}): TestRepo {
  const repo = TestRepo.create(options);
  repos.push(repo);
  return repo;
}

describe('runExperiment', () => {
  it("runs with the user's EDITOR, PAGER and GIT_SSH_COMMAND set (simple-git refused them in .env())", async () => {
    const saved = {
      EDITOR: process.env.EDITOR,
      PAGER: process.env.PAGER,
      GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND,
    };
    Object.assign(process.env, { EDITOR: 'vim', PAGER: 'less', GIT_SSH_COMMAND: 'ssh -o BatchMode=yes' });
    try {
      const repo = repository();
      const result = await runExperiment(await repo.tvc(), { overrides: ['lr=0.3'], name: 'with-editor' });
      expect(repo.run('rev-parse', result.ref)).toBe(result.sha);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('applies -S, reproduces and commits the result on HEAD under refs/exps; HEAD and the index stay', async () => {
    const repo = repository();
    const baseline = repo.head();
    const index = repo.run('ls-files', '-s');
    const started: string[] = [];
    const result = await runExperiment(await repo.tvc(), {
      overrides: ['lr=0.3'],
      name: 'first',
      onStart: (name) => started.push(name),
    });
    expect(started).toEqual(['first']);
    expect(result.name).toBe('first');
    expect(result.baseline).toBe(baseline);
    expect(result.ref).toBe(expRefName(baseline, 'first'));
    expect(repo.run('rev-parse', result.ref)).toBe(result.sha);
    expect(repo.run('rev-parse', `${result.sha}^`)).toBe(baseline);
    expect(result.expHash).toMatch(/^[0-9a-f]{64}$/);
    expect(repo.run('log', '-1', '--format=%B', result.sha)).toBe(`dvc: commit experiment ${result.expHash}`);
    // The commit holds the new params, the lock and the uncached metric, not the cached model.
    expect(repo.show(result.sha, 'params.yaml')).toContain('lr: 0.3');
    expect(repo.show(result.sha, 'metrics.json')).toBe('{"loss": 0.3}');
    expect(repo.show(result.sha, 'dvc.lock')).toContain('lr: 0.3');
    expect(repo.files(result.sha)).not.toContain('model.bin');
    // The results stay in the workspace; HEAD, the branch and the index do not move.
    expect(repo.read('metrics.json')).toBe('{"loss": 0.3}\n');
    expect(repo.head()).toBe(baseline);
    expect(repo.run('symbolic-ref', 'HEAD')).toBe('refs/heads/main');
    expect(repo.run('ls-files', '-s')).toBe(index);
    expect(result.repro.reproduced.map((stage) => stage.name)).toEqual(['train']);
  });

  it('picks a free adjective-noun name when none is given', async () => {
    const repo = repository();
    const result = await runExperiment(await repo.tvc(), { overrides: ['lr=0.4'] });
    expect(result.name).toMatch(/^[a-z]+-[a-z]+$/);
    expect([...repo.expRefs().keys()]).toEqual([expRefName(repo.head(), result.name)]);
  });

  it('a failed stage throws, records no ref and leaves the partial results', async () => {
    const repo = repository();
    const error = await runExperiment(await repo.tvc(), { overrides: ['lr=13'], name: 'broken' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TvcError);
    expect((error as Error).message).toContain('exited with code 3');
    expect(repo.expRefs().size).toBe(0);
    expect(repo.read('metrics.json')).toBe('{"loss": 13}\n');
    expect(repo.read('params.yaml')).toContain('lr: 13');
  });

  it('refuses a taken name before changing anything, and replaces it with force', async () => {
    const repo = repository();
    const first = await runExperiment(await repo.tvc(), { overrides: ['lr=0.2'], name: 'same' });
    const error = await runExperiment(await repo.tvc(), { overrides: ['lr=0.9'], name: 'same' }).catch(
      (caught: unknown) => caught,
    );
    expect((error as TvcError).code).toBe('EXP_EXISTS');
    expect(repo.read('params.yaml')).toContain('lr: 0.2');
    expect(repo.run('rev-parse', first.ref)).toBe(first.sha);
    const forced = await runExperiment(await repo.tvc(), {
      overrides: ['lr=0.9'],
      name: 'same',
      force: true,
    });
    expect(forced.ref).toBe(first.ref);
    expect(repo.run('rev-parse', first.ref)).toBe(forced.sha);
    expect(repo.show(forced.sha, 'params.yaml')).toContain('lr: 0.9');
  });

  it('refuses an invalid name, a repository without commits, and a run while another holds the lock', async () => {
    const repo = repository();
    await expect(runExperiment(await repo.tvc(), { name: 'a/b' })).rejects.toMatchObject({
      code: 'EXP_INVALID_NAME',
    });
    const held = RepoLock.acquire(repo.root, 'exp run');
    try {
      await expect(runExperiment(await repo.tvc(), { name: 'locked' })).rejects.toThrow(/locked/);
    } finally {
      held.release();
    }
    expect(repo.expRefs().size).toBe(0);
    const empty = repository({ commit: false });
    await expect(runExperiment(await empty.tvc(), { name: 'x' })).rejects.toMatchObject({
      code: 'NO_COMMITS',
    });
  });
});
