import { spawn } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, TempRepo, TVC_BIN } from './harness';

/**
 * Checkpoint experiments (DVC 2's design) through the built CLI: a Python script trains `epochs`
 * epochs from the epoch model.txt holds, writing model.txt (a `checkpoint: true` output) and
 * metrics.json, and calls the shipped `tvc_checkpoint()` helper after each epoch.
 */
const repos: TempRepo[] = [];
async function project(): Promise<TempRepo> {
  const repo = await TempRepo.create('exp-checkpoints', { commit: false });
  repos.push(repo);
  await copyFile(
    path.join(REPO_ROOT, 'packages/experiments/helpers/tvc_checkpoint.py'),
    repo.path('tvc_checkpoint.py'),
  );
  await repo.git('add', '-A');
  await repo.git('commit', '-q', '-m', 'fixture');
  return repo;
}
afterEach(async () => {
  await Promise.all(repos.splice(0).map((repo) => repo.remove()));
});

async function refOf(repo: TempRepo, name: string): Promise<string> {
  const head = (await repo.git('rev-parse', 'HEAD')).trim();
  return `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/${name}`;
}

/** The experiment's checkpoint commits, newest first, and the epoch each one's metrics.json holds. */
async function chain(repo: TempRepo, name: string): Promise<{ shas: string[]; epochs: number[] }> {
  const head = (await repo.git('rev-parse', 'HEAD')).trim();
  const shas = (await repo.git('rev-list', '--first-parent', await refOf(repo, name), `^${head}`))
    .split('\n')
    .filter(Boolean);
  const epochs: number[] = [];
  for (const sha of shas) epochs.push(JSON.parse(await repo.git('show', `${sha}:metrics.json`)).epoch);
  return { shas, epochs };
}

async function expRefs(repo: TempRepo): Promise<string[]> {
  return (await repo.git('for-each-ref', '--format=%(refname)', 'refs/exps/')).split('\n').filter(Boolean);
}

describe('checkpoint experiments', () => {
  it('commits each checkpoint on the experiment ref, a first-parent chain that exp show lists', async () => {
    const repo = await project();
    const head = (await repo.git('rev-parse', 'HEAD')).trim();
    const result = await repo.tvc('exp', 'run', '-n', 'first');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { shas, epochs } = await chain(repo, 'first');
    expect(epochs).toEqual([3, 2, 1]);
    expect(result.stdout.match(/Checkpoint experiment iteration '[0-9a-f]{7}'\./g)).toEqual(
      [...shas].reverse().map((sha) => `Checkpoint experiment iteration '${sha.slice(0, 7)}'.`),
    );
    expect((await repo.git('rev-parse', `${shas[2]}^`)).trim()).toBe(head);
    // each checkpoint's dvc.lock names the model of that epoch, and the cache has it
    for (const [index, sha] of shas.entries()) {
      const lock = await repo.git('show', `${sha}:dvc.lock`);
      const md5 = /path: model\.txt\n\s+hash: md5\n\s+md5: ([0-9a-f]{32})/.exec(lock)![1]!;
      expect(await repo.read(`.dvc/cache/files/md5/${md5.slice(0, 2)}/${md5.slice(2)}`)).toBe(
        `${epochs[index]}\n`,
      );
    }
    const show = await repo.tvc('exp', 'show', '--no-pager');
    expect(show.code).toBe(0);
    const rows = show.stdout.split('\n').filter((line) => /[╓╟╨]/.test(line));
    expect(rows.map((line) => line.trim().split(/\s{2,}/)[0])).toEqual([
      `│ ╓ ${shas[0]!.slice(0, 7)} [first]`,
      `│ ╟ ${shas[1]!.slice(0, 7)}`,
      `├─╨ ${shas[2]!.slice(0, 7)}`,
    ]);
    const json = JSON.parse((await repo.tvc('exp', 'show', '--json')).stdout);
    const range = json.find((state: { rev: string }) => state.rev === head).experiments[0];
    expect(range.revs.map((rev: { rev: string }) => rev.rev)).toEqual(shas);
    // any checkpoint can be applied
    const applied = await repo.tvc('exp', 'apply', shas[1]!.slice(0, 7));
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(await repo.read('model.txt')).toBe('2\n');
    expect(JSON.parse(await repo.read('metrics.json')).epoch).toBe(2);
    expect(
      range.revs.map(
        (rev: { data: { metrics: Record<string, { data: { epoch: number } }> } }) =>
          rev.data.metrics['metrics.json']!.data.epoch,
      ),
    ).toEqual([3, 2, 1]);
  });

  it('resumes the last checkpoint experiment from its latest checkpoint, and --reset starts over', async () => {
    const repo = await project();
    expect((await repo.tvc('exp', 'run', '-n', 'long')).code).toBe(0);
    const before = await chain(repo, 'long');
    const resumed = await repo.tvc('exp', 'run', '-S', 'epochs=5');
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(
      `Existing checkpoint experiment 'long' will be resumed from '${before.shas[0]!.slice(0, 7)}'`,
    );
    expect(resumed.stdout).toContain('starting at epoch 3\nepoch 4\n');
    const after = await chain(repo, 'long');
    expect(after.epochs).toEqual([5, 4, 3, 2, 1]);
    expect(after.shas.slice(2)).toEqual(before.shas);

    const reset = await repo.tvc('exp', 'run', '--reset');
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('Any existing checkpoints will be reset and re-run.');
    expect(reset.stdout).toContain('starting at epoch 0\n');
    const restarted = await chain(repo, 'long');
    expect(restarted.epochs).toEqual([5, 4, 3, 2, 1]);
    expect(restarted.shas.some((sha) => after.shas.includes(sha))).toBe(false);
    expect(await expRefs(repo)).toEqual([await refOf(repo, 'long')]);
  });

  it('warns when the workspace outputs a run continues from are not those of the latest checkpoint', async () => {
    const repo = await project();
    expect((await repo.tvc('exp', 'run', '-n', 'first')).code).toBe(0);
    const tip = (await chain(repo, 'first')).shas[0]!;
    await repo.write('model.txt', '1\n');
    const result = await repo.tvc('exp', 'run', '-S', 'epochs=2');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      `WARNING: 'model.txt' in the workspace is not what checkpoint '${tip.slice(0, 7)}' of 'first' recorded; the run continues from the workspace's (\`tvc exp apply first\` first to continue from the checkpoint, or --reset to start over)\n`,
    );
    expect(result.stdout).toContain('starting at epoch 1\nepoch 2\n');
  });

  it('keeps the checkpoints made before a failing command, and says where the ref is', async () => {
    const repo = await project();
    const result = await repo.tvc('exp', 'run', '-n', 'failing', '-S', 'fail_at=3');
    expect(result.code).not.toBe(0);
    const { shas, epochs } = await chain(repo, 'failing');
    expect(epochs).toEqual([2, 1]);
    expect(result.stderr).toContain(
      "experiment 'failing' failed: failed to reproduce 'train': command exited with code 3",
    );
    expect(result.stderr).toContain(
      `2 checkpoints made by this run, ${await refOf(repo, 'failing')} is at ${shas[0]!.slice(0, 7)}`,
    );
  });

  it('keeps the checkpoints a failing --temp run made: each was fetched as it was made', async () => {
    const repo = await project();
    const result = await repo.tvc('exp', 'run', '--temp', '-n', 'failing', '-S', 'fail_at=3');
    expect(result.code).not.toBe(0);
    const { shas, epochs } = await chain(repo, 'failing');
    expect(epochs).toEqual([2, 1]);
    expect(result.stderr).toContain(
      "experiment 'failing' failed: failed to reproduce 'train': command exited with code 3",
    );
    expect(result.stderr).toContain(
      `2 checkpoints made by this run, ${await refOf(repo, 'failing')} is at ${shas[0]!.slice(0, 7)}`,
    );
    expect(await expRefs(repo)).toEqual([await refOf(repo, 'failing')]);
    expect(await repo.read('params.yaml')).toBe('epochs: 3\nfail_at: 0\nnap: 0\n');
  });

  it('keeps the checkpoints made before Ctrl+C; the next run continues from them', async () => {
    const repo = await project();
    await repo.write('params.yaml', 'epochs: 40\nfail_at: 0\nnap: 0.25\n');
    const child = spawn(process.execPath, [TVC_BIN, 'exp', 'run', '-n', 'interrupted'], {
      cwd: repo.dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const ref = await refOf(repo, 'interrupted');
    for (let waited = 0; waited < 20_000; waited += 100) {
      const tip = (await repo.git('for-each-ref', '--format=%(objectname)', ref)).trim();
      if (tip && (await chain(repo, 'interrupted')).shas.length >= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill('SIGINT');
    const code = await exited;
    expect(code).not.toBe(0);
    const kept = await chain(repo, 'interrupted');
    expect(kept.shas.length).toBeGreaterThanOrEqual(2);
    expect(kept.epochs).toEqual(kept.epochs.map((_, index) => kept.epochs.length - index));
    expect(stderr).toContain(`${ref} is at ${kept.shas[0]!.slice(0, 7)}`);
    expect(await expRefs(repo)).toEqual([ref]);

    const last = kept.epochs[0]!;
    const resumed = await repo.tvc('exp', 'run', '-S', `epochs=${last + 2}`, '-S', 'nap=0');
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const started = Number(/starting at epoch (\d+)/.exec(resumed.stdout)![1]);
    expect(started).toBeGreaterThanOrEqual(last);
    const after = await chain(repo, 'interrupted');
    expect(after.shas.slice(-kept.shas.length)).toEqual(kept.shas);
    expect(after.epochs[0]).toBe(last + 2);
  });

  it('continues a chosen checkpoint in a temporary workspace with --rev and --temp, -S editing its params', async () => {
    const repo = await project();
    expect((await repo.tvc('exp', 'run', '-n', 'first')).code).toBe(0);
    const first = await chain(repo, 'first');
    const second = first.shas[1]!;
    const result = await repo.tvc(
      'exp',
      'run',
      '--temp',
      '--rev',
      second.slice(0, 7),
      '-n',
      'branched',
      '-S',
      'epochs=4',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `Existing checkpoint experiment 'branched' will be resumed from '${second.slice(0, 7)}'`,
    );
    expect(result.stdout).toContain('starting at epoch 2\n');
    const branched = await chain(repo, 'branched');
    expect(branched.epochs).toEqual([4, 3, 2, 1]);
    expect(branched.shas.slice(2)).toEqual(first.shas.slice(1));
    // -S edited params.yaml as the checkpoint had it
    expect(await repo.git('show', `${branched.shas[0]}:params.yaml`)).toBe('epochs: 4\nfail_at: 0\nnap: 0\n');
    expect(await repo.read('model.txt')).toBe('3\n'); // the workspace is untouched
    expect((await chain(repo, 'first')).shas).toEqual(first.shas);
    const rejected = await repo.tvc('exp', 'run', '--rev', second);
    expect(rejected.code).not.toBe(0);
    expect(rejected.stderr).toContain('--rev can only be used in conjunction with --queue or --temp.');
  });

  it('continues a chosen checkpoint from the queue with --rev', async () => {
    const repo = await project();
    expect((await repo.tvc('exp', 'run', '-n', 'first')).code).toBe(0);
    const first = await chain(repo, 'first');
    const oldest = first.shas[2]!;
    const queued = await repo.tvc('exp', 'run', '--queue', '--rev', oldest, '-n', 'again');
    expect(queued.stderr).toBe('');
    expect(queued.stdout).toContain("Queued experiment 'again' for future execution.");
    const ran = await repo.tvc('exp', 'run', '--run-all');
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('starting at epoch 1\n');
    const again = await chain(repo, 'again');
    expect(again.epochs).toEqual([3, 2, 1]);
    expect(again.shas[2]).toBe(oldest);
    expect(again.shas[0]).not.toBe(first.shas[0]);
  });

  it('runs two queued checkpoint experiments at once, each with its own signal file and chain', async () => {
    const repo = await project();
    for (const [name, nap] of [
      ['a', '0.2'],
      ['b', '0.25'],
    ]) {
      expect((await repo.tvc('exp', 'run', '--queue', '-n', name!, '-S', `nap=${nap}`)).code).toBe(0);
    }
    const ran = await repo.tvc('exp', 'run', '--run-all', '-j', '2');
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    const a = await chain(repo, 'a');
    const b = await chain(repo, 'b');
    expect(a.epochs).toEqual([3, 2, 1]);
    expect(b.epochs).toEqual([3, 2, 1]);
    expect(a.shas.some((sha) => b.shas.includes(sha))).toBe(false);
    expect(await repo.read('params.yaml')).toBe('epochs: 3\nfail_at: 0\nnap: 0\n');
  });
});
