import { createHash } from 'node:crypto';
import { statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { TvcError } from '@tvc/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commitExperiment, experimentHash, experimentPaths } from './commit';
import { expRefName } from './refs';
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
function repository(): TestRepo {
  const repo = TestRepo.create();
  repos.push(repo);
  return repo;
}

describe('experimentPaths', () => {
  it('names each stage’s dvc.yaml, dvc.lock, deps, params and uncached outs; forces params.yaml and top-level files', async () => {
    const repo = repository();
    repo.write(
      'dvc.yaml',
      `${repo.read('dvc.yaml')}metrics:\n- summary.json\nplots:\n- curve.csv:\n    x: step\nparams:\n- extra.yaml\n`,
    );
    const tvc = await repo.tvc();
    const pipeline = await tvc.loadPipeline();
    const paths = experimentPaths(pipeline, pipeline.stages);
    expect([...paths.plain].sort()).toEqual([
      'dvc.lock',
      'dvc.yaml',
      'metrics.json',
      'params.yaml',
      'train.sh',
    ]);
    expect([...paths.forced].sort()).toEqual(['curve.csv', 'extra.yaml', 'params.yaml', 'summary.json']);
    // The cached output is never committed.
    expect(paths.plain).not.toContain('model.bin');
  });
});

describe('experimentHash', () => {
  it('is the SHA-256 of the stages’ lock entries as sorted JSON, and follows the lock', async () => {
    const repo = repository();
    repo.write(
      'dvc.lock',
      "schema: '2.0'\nstages:\n  train:\n    cmd: sh train.sh\n    params:\n      params.yaml:\n        lr: 0.1\n",
    );
    const tvc = await repo.tvc();
    const stages = (await tvc.loadPipeline()).stages;
    const expected = createHash('sha256')
      .update('{"train": {"cmd": "sh train.sh", "params": {"params.yaml": {"lr": 0.1}}}}')
      .digest('hex');
    expect(await experimentHash(tvc, stages)).toBe(expected);
    repo.write('dvc.lock', repo.read('dvc.lock').replace('lr: 0.1', 'lr: 0.2'));
    expect(await experimentHash(tvc, stages)).not.toBe(expected);
  });
});

describe('commitExperiment', () => {
  it('commits changed tracked files and the named paths on the baseline; HEAD and the index stay', async () => {
    const repo = repository();
    const baseline = repo.head();
    const index = repo.run('ls-files', '-s');
    repo.write('params.yaml', 'lr: 0.5\nepochs: 3\n');
    repo.write('metrics.json', '{"loss": 0.5}\n');
    repo.write('ignored.log', 'log\n');
    repo.write('.gitignore', 'ignored.log\nskipped.txt\n');
    repo.write('skipped.txt', 'not forced\n');
    repo.write('untracked.txt', 'left out\n');
    const committed = await commitExperiment(repo.git, {
      baseline,
      name: 'one',
      message: 'dvc: commit experiment abc',
      prefix: '',
      paths: {
        forced: ['ignored.log', 'missing.yaml'],
        plain: ['metrics.json', 'skipped.txt', '.gitignore'],
      },
    });
    expect(committed).toEqual({
      ref: expRefName(baseline, 'one'),
      sha: repo.run('rev-parse', committed.ref),
      reused: false,
    });
    expect(repo.run('rev-parse', `${committed.sha}^`)).toBe(baseline);
    expect(repo.run('log', '-1', '--format=%B', committed.sha)).toBe('dvc: commit experiment abc');
    // The message has no trailing newline, as DVC's commits.
    expect(repo.run('cat-file', 'commit', committed.sha).endsWith('dvc: commit experiment abc')).toBe(true);
    const files = repo.files(committed.sha);
    expect(files).toContain('ignored.log');
    expect(files).toContain('metrics.json');
    expect(files).not.toContain('skipped.txt');
    expect(files).not.toContain('untracked.txt');
    expect(repo.show(committed.sha, 'params.yaml')).toBe('lr: 0.5\nepochs: 3');
    expect(repo.head()).toBe(baseline);
    expect(repo.run('ls-files', '-s')).toBe(index);
  });

  it('keeps an experiment with the same name and tree, refuses a different one, replaces it with force', async () => {
    const repo = repository();
    const baseline = repo.head();
    const options = { baseline, name: 'same', message: 'm', prefix: '', paths: { forced: [], plain: [] } };
    repo.write('params.yaml', 'lr: 0.5\nepochs: 3\n');
    const first = await commitExperiment(repo.git, options);
    const again = await commitExperiment(repo.git, { ...options, message: 'other message' });
    expect(again).toEqual({ ref: first.ref, sha: first.sha, reused: true });
    repo.write('params.yaml', 'lr: 0.7\nepochs: 3\n');
    const error = await commitExperiment(repo.git, { ...options, command: 'save' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TvcError);
    expect((error as TvcError).code).toBe('EXP_EXISTS');
    expect((error as TvcError).message).toContain('tvc exp save -f');
    expect(repo.run('rev-parse', first.ref)).toBe(first.sha);
    const forced = await commitExperiment(repo.git, { ...options, force: true });
    expect(forced.sha).not.toBe(first.sha);
    expect(repo.run('rev-parse', first.ref)).toBe(forced.sha);
    expect(repo.show(forced.sha, 'params.yaml')).toContain('lr: 0.7');
  });

  it('sees a file rewritten with the same size in the second of its last git add (racy git)', async () => {
    const repo = repository();
    const baseline = repo.head();
    const file = path.join(repo.root, 'params.yaml');
    const before = statSync(file);
    // Same size, same mtime as the index entry, and the index written in that same second: git
    // must compare contents. A copy of the index with a later time would let git trust the stat.
    repo.write('params.yaml', 'lr: 0.5\nepochs: 3\n');
    utimesSync(file, before.atime, before.mtime);
    utimesSync(path.join(repo.root, '.git', 'index'), before.atime, before.mtime);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const committed = await commitExperiment(repo.git, {
      baseline,
      name: 'racy',
      message: 'm',
      prefix: '',
      paths: { forced: [], plain: [] },
    });
    expect(repo.show(committed.sha, 'params.yaml')).toContain('lr: 0.5');
  });

  it('adds paths below a DVC root inside the git repository', async () => {
    const repo = repository();
    const baseline = repo.head();
    repo.write('sub/result.json', '{}\n');
    const committed = await commitExperiment(repo.git, {
      baseline,
      name: 'nested',
      message: 'm',
      prefix: 'sub',
      paths: { forced: [], plain: ['result.json'] },
    });
    expect(repo.files(committed.sha)).toContain('sub/result.json');
  });
});
