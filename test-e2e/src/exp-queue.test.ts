import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dvcBinary, TempRepo, TVC_BIN } from './harness';

/**
 * The experiment queue and the temp/parallel executors through the built CLI: `exp run --queue`,
 * `--temp`, `--run-all`, `queue start/status/logs/kill/stop/remove`, with real worker processes —
 * SIGKILL recovery, entries added while the queue runs, a chosen subset, retries, and a stress run
 * of 20 experiments with 4 at once.
 */
const haveDvc = dvcBinary() !== undefined;

const repos: TempRepo[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) {
    // stop any worker a failed test left behind before the directory goes
    await repo.tvc('queue', 'stop', '--kill').catch(() => {});
    await repo.remove();
  }
});

/** The exp-queue fixture, reproduced and committed, so dvc.lock and the cache hold data.txt. */
async function project(): Promise<TempRepo> {
  const repo = await TempRepo.create('exp-queue');
  repos.push(repo);
  const repro = await repo.tvc('repro', '-q');
  if (repro.code !== 0) throw new Error(`repro failed: ${repro.stderr}`);
  await repo.git('add', '-A');
  await repo.git('commit', '-q', '-m', 'reproduced');
  return repo;
}

interface StatusJson {
  tasks: {
    rev: string;
    name: string;
    status: string;
    attempts: number;
    error: string | null;
    ref: string | null;
  }[];
  workers: { active: number; idle: number; pids: number[] };
}

async function status(repo: TempRepo): Promise<StatusJson> {
  const result = await repo.tvc('queue', 'status', '--json');
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as StatusJson;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until no entry is queued or running and no worker is alive. */
async function settled(repo: TempRepo, timeoutMs = 90_000): Promise<StatusJson> {
  return waitFor(
    'the queue to settle',
    async () => {
      const now = await status(repo);
      const busy = now.tasks.some((task) => task.status === 'Running' || task.status === 'Queued');
      return !busy && now.workers.pids.length === 0 ? now : undefined;
    },
    timeoutMs,
  );
}

async function queue(repo: TempRepo, ...args: string[]): Promise<string[]> {
  const result = await repo.tvc('exp', 'run', '--queue', ...args);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return [...result.stdout.matchAll(/Queued experiment '([^']+)' for future execution\./g)].map((m) => m[1]!);
}

async function expRefs(repo: TempRepo): Promise<Map<string, string>> {
  const out = await repo.git('for-each-ref', '--format=%(refname) %(objectname)', 'refs/exps/');
  const refs = new Map<string, string>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [ref, sha] = line.split(' ') as [string, string];
    const match = /^refs\/exps\/[0-9a-f]{2}\/[0-9a-f]{38}\/([^/]+)$/.exec(ref);
    if (match) refs.set(match[1]!, sha);
  }
  return refs;
}

async function queueRefs(repo: TempRepo): Promise<string[]> {
  return (await repo.git('for-each-ref', '--format=%(refname)', 'refs/exps/celery/tvc/'))
    .split('\n')
    .filter(Boolean);
}

function tempWorkspaces(repo: TempRepo): string[] {
  const dir = repo.path('.dvc/tmp/exps');
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith('tmp')) : [];
}

/** The value of `lr` and the metrics in an experiment commit. */
async function committed(repo: TempRepo, sha: string): Promise<{ params: string; metrics: string }> {
  return {
    params: await repo.git('show', `${sha}:params.yaml`),
    metrics: await repo.git('show', `${sha}:metrics.json`),
  };
}

async function workspaceUnchanged(repo: TempRepo): Promise<void> {
  expect(await repo.git('status', '--porcelain')).toBe('');
  expect(await repo.read('params.yaml')).toBe("lr: 1\nnap: 0\nflaky: ''\n");
}

describe('tvc exp run --queue', () => {
  it('queues one experiment per sweep combination; nothing runs and the workspace stays', async () => {
    const repo = await project();
    const result = await repo.tvc('exp', 'run', '--queue', '-S', 'lr=2,3', '-S', 'nap=0');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe("Queueing with overrides '{'params.yaml': ['lr=2', 'nap=0']}'.");
    expect(lines[1]).toMatch(/^Queued experiment '[a-z]+-[a-z]+' for future execution\.$/);
    expect(lines[2]).toBe("Queueing with overrides '{'params.yaml': ['lr=3', 'nap=0']}'.");
    await workspaceUnchanged(repo);
    const now = await status(repo);
    expect(now.tasks.map((task) => task.status)).toEqual(['Queued', 'Queued']);
    expect(await expRefs(repo)).toEqual(new Map());
    // each is a stash commit (DVC's message) on top of HEAD, kept alive by a ref
    const head = (await repo.git('rev-parse', 'HEAD')).trim();
    const refs = await queueRefs(repo);
    expect(refs).toHaveLength(2);
    for (const task of now.tasks) {
      expect(refs).toContain(`refs/exps/celery/tvc/${task.rev}`);
      expect((await repo.git('log', '-1', '--format=%P %B', task.rev)).trim()).toBe(
        `${head} dvc-exp:${head}:${head}:${task.name}`,
      );
    }
    const params = await Promise.all(now.tasks.map((task) => repo.git('show', `${task.rev}:params.yaml`)));
    expect(params.sort()).toEqual(["lr: 2\nnap: 0\nflaky: ''\n", "lr: 3\nnap: 0\nflaky: ''\n"]);
    const table = await repo.tvc('queue', 'status');
    expect(table.stdout).toMatch(
      /^Task {5}Name +Created +Status\n[0-9a-f]{7} {2}\S+ +\d\d:\d\d [AP]M {3}Queued\n/,
    );
    expect(table.stdout.endsWith('\nWorker status: 0 active, 0 idle\n')).toBe(true);
  });

  it('names a sweep <name>-1, <name>-2; a taken name is refused before anything is queued', async () => {
    const repo = await project();
    expect(await queue(repo, '-n', 'sw', '-S', 'lr=4,5')).toEqual(['sw-1', 'sw-2']);
    const again = await repo.tvc('exp', 'run', '--queue', '-n', 'sw-1');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("Experiment conflicts with existing experiment 'sw-1'");
    expect((await status(repo)).tasks).toHaveLength(2);
    const bad = await repo.tvc('exp', 'run', '--queue', '-n', 'a:b');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('Invalid exp name a:b');
  });

  it('commits staged new files and tracked changes into the queued commit, not the workspace', async () => {
    const repo = await project();
    await repo.write('notes.txt', 'staged\n');
    await repo.git('add', 'notes.txt');
    await repo.write('prep.sh', '#!/bin/sh\nprintf "a\\nb\\nc\\nd\\n" > data.txt\n');
    const [name] = await queue(repo, '-S', 'lr=6');
    const task = (await status(repo)).tasks.find((entry) => entry.name === name)!;
    expect(await repo.git('show', `${task.rev}:notes.txt`)).toBe('staged\n');
    expect(await repo.git('show', `${task.rev}:prep.sh`)).toContain('d\\n');
    expect(await repo.read('params.yaml')).toBe("lr: 1\nnap: 0\nflaky: ''\n");
    // it runs with the changed prep.sh: data.txt has 4 rows
    const run = await repo.tvc('exp', 'run', '--run-all');
    expect(run.code).toBe(0);
    const sha = (await expRefs(repo)).get(name!)!;
    expect(JSON.parse((await committed(repo, sha)).metrics)).toEqual({ loss: 6, rows: 4 });
  });
});

describe('data tracked by .dvc files', () => {
  it('is committed to the cache before queueing, so the experiment runs on the data as it is now', async () => {
    const repo = await TempRepo.create('data-source');
    repos.push(repo);
    expect((await repo.tvc('repro', '-q')).code).toBe(0);
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'reproduced');
    await repo.write('data/raw.csv', `${await repo.read('data/raw.csv')}x,y\n`);
    const [name] = await queue(repo, '-n', 'more-data');
    // as DVC's `_stash_commit_deps`: the .dvc file now records the new data
    expect(await repo.git('status', '--porcelain')).toBe(' M data/raw.csv.dvc\n');
    const run = await repo.tvc('exp', 'run', '--run-all');
    expect(run.stderr).toBe('');
    const sha = (await expRefs(repo)).get(name!)!;
    expect(await repo.git('show', `${sha}:data/raw.csv.dvc`)).toContain('size: 28');
    expect((await repo.tvc('exp', 'apply', name!)).code).toBe(0);
    expect((await repo.read('summary.txt')).split('\n')[0]).toBe('5 data/raw.csv');
  });
});

describe('tvc exp run --temp', () => {
  it('runs in a temporary copy sharing the cache; the workspace is untouched; the copy is removed', async () => {
    const repo = await project();
    const result = await repo.tvc('exp', 'run', '--temp', '-S', 'lr=5', '-n', 't1');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        "Reproducing experiment 't1'",
        "Stage 'prep' didn't change, skipping",
        "Running stage 'train':",
        '> ./train.sh',
        'training lr=5',
        'as t1',
        "Updating lock file 'dvc.lock'",
        '',
        'Ran experiment(s): t1',
        'To apply the results of an experiment to your workspace run:',
        '',
        '\ttvc exp apply <exp>',
        '',
      ].join('\n'),
    );
    await workspaceUnchanged(repo);
    const sha = (await expRefs(repo)).get('t1')!;
    const head = (await repo.git('rev-parse', 'HEAD')).trim();
    expect((await repo.git('rev-parse', `${sha}^`)).trim()).toBe(head);
    expect(await committed(repo, sha)).toEqual({
      params: "lr: 5\nnap: 0\nflaky: ''\n",
      metrics: '{"loss": 5, "rows": 3}\n',
    });
    expect((await repo.git('log', '-1', '--format=%B', sha)).trim()).toMatch(
      /^dvc: commit experiment [0-9a-f]{64}$/,
    );
    expect(tempWorkspaces(repo)).toEqual([]);
    expect(await repo.git('for-each-ref', 'refs/exps/temp/')).toBe('');
    // model.bin went into the shared cache: applying the experiment checks it out
    const apply = await repo.tvc('exp', 'apply', 't1');
    expect(apply.code).toBe(0);
    expect(await repo.read('model.bin')).toBe('model 5\n');
  });

  it('a failing command: no ref, the error names stage and exit code, --keep-failed keeps the partial results', async () => {
    const repo = await project();
    const result = await repo.tvc('exp', 'run', '--temp', '-S', 'lr=13', '-n', 'bad', '--keep-failed');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /experiment 'bad' failed: .*'train'.*exited with code 3; no experiment was recorded, the partial results are in (\S+)/,
    );
    const kept = /the partial results are in (\S+)/.exec(result.stderr)![1]!;
    expect(existsSync(path.join(kept, 'data.txt'))).toBe(true);
    expect(await expRefs(repo)).toEqual(new Map());
    await workspaceUnchanged(repo);
  });

  it('refuses sweeps, as DVC does without --queue', async () => {
    const repo = await project();
    const result = await repo.tvc('exp', 'run', '--temp', '-S', 'lr=1,2');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("Sweep overrides can't be used without `--queue`");
  });
});

describe('tvc queue', () => {
  it('start -j 2 runs everything in temporary workspaces; status, logs and refs agree', async () => {
    const repo = await project();
    const names = await queue(repo, '-S', 'lr=2,3,4');
    const start = await repo.tvc('queue', 'start', '-j', '2');
    expect(start.stdout).toBe("Started '2' new experiments task queue workers.\n");
    const done = await settled(repo);
    expect(done.tasks.map((task) => task.status)).toEqual(['Success', 'Success', 'Success']);
    const refs = await expRefs(repo);
    for (const [index, name] of names.entries()) {
      const lr = index + 2;
      const task = done.tasks.find((entry) => entry.name === name)!;
      expect(task.ref).toMatch(new RegExp(`/${name}$`));
      expect(JSON.parse((await committed(repo, refs.get(name)!)).metrics)).toEqual({ loss: lr, rows: 3 });
      const logs = await repo.tvc('queue', 'logs', name);
      expect(logs.stdout).toBe(
        `Reproducing experiment '${name}'\nStage 'prep' didn't change, skipping\nRunning stage 'train':\n> ./train.sh\ntraining lr=${lr}\nas ${name}\nUpdating lock file 'dvc.lock'\n`,
      );
    }
    expect(await queueRefs(repo)).toEqual([]);
    expect(tempWorkspaces(repo)).toEqual([]);
    await workspaceUnchanged(repo);
    const show = await repo.tvc('exp', 'show', '--csv');
    for (const name of names) expect(show.stdout).toContain(`${name},`);
  });

  it('picks up experiments queued while it runs, and follows a log with -f', async () => {
    const repo = await project();
    const [first] = await queue(repo, '-S', 'nap=2', '-S', 'lr=2');
    await repo.tvc('queue', 'start');
    await waitFor('the first to run', async () =>
      (await status(repo)).tasks.some((task) => task.name === first && task.status === 'Running')
        ? true
        : undefined,
    );
    const [second] = await queue(repo, '-S', 'lr=3');
    const follow = await repo.tvc('queue', 'logs', '-f', first!);
    expect(follow.stdout).toContain('training lr=2\n');
    expect(follow.stdout.endsWith("Updating lock file 'dvc.lock'\n")).toBe(true);
    const done = await settled(repo);
    expect(done.tasks.map((task) => [task.name, task.status])).toEqual([
      [first, 'Success'],
      [second, 'Success'],
    ]);
  });

  it('start NAMES runs only those; the others stay queued', async () => {
    const repo = await project();
    const [a, b, c] = await queue(repo, '-S', 'lr=2,3,4');
    const start = await repo.tvc('queue', 'start', a!, c!);
    expect(start.code).toBe(0);
    const done = await waitFor('the worker to finish', async () => {
      const now = await status(repo);
      return now.workers.pids.length === 0 && !now.tasks.some((task) => task.status === 'Running')
        ? now
        : undefined;
    });
    const byName = new Map(done.tasks.map((task) => [task.name, task.status]));
    expect(byName.get(a!)).toBe('Success');
    expect(byName.get(c!)).toBe('Success');
    expect(byName.get(b!)).toBe('Queued');
    const unknown = await repo.tvc('queue', 'start', 'nope');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("'nope' is not a queued experiment");
  });

  it('--retries runs a flaky experiment again; without retries it fails and keeps its log', async () => {
    const repo = await project();
    const [flaky] = await queue(
      repo,
      '-n',
      'flaky',
      '-S',
      `flaky=${repo.path('.flaky-1')}`,
      '--retries',
      '1',
    );
    const [broken] = await queue(repo, '-n', 'broken', '-S', `flaky=${repo.path('.flaky-2')}`);
    const run = await repo.tvc('exp', 'run', '--run-all', '--keep-failed');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("experiment 'flaky' failed; retrying (attempt 2 of 2)");
    expect(run.stderr).toMatch(
      /ERROR: experiment 'broken' failed: .*'train'.*exited with code 4; see `tvc queue logs broken`/,
    );
    const done = await status(repo);
    const byName = new Map(done.tasks.map((task) => [task.name, task]));
    expect(byName.get(flaky!)!.status).toBe('Success');
    expect(byName.get(flaky!)!.attempts).toBe(2);
    expect(byName.get(broken!)!.status).toBe('Failed');
    const flakyLog = (await repo.tvc('queue', 'logs', 'flaky')).stdout;
    expect(flakyLog).toContain('flaky failure');
    expect(flakyLog).toContain('--- attempt 2 of 2 ---');
    const brokenLog = (await repo.tvc('queue', 'logs', 'broken')).stdout;
    expect(brokenLog).toContain('flaky failure');
    expect(brokenLog).toMatch(/ERROR: .*exited with code 4\nThe partial results are in (\S+)\n$/);
    const kept = /The partial results are in (\S+)/.exec(brokenLog)![1]!;
    expect(existsSync(kept)).toBe(true);
    expect([...(await expRefs(repo)).keys()]).toEqual(['flaky']);
    // remove --failed drops the entry, its log, its ref and its kept workspace
    const removed = await repo.tvc('queue', 'remove', '--failed');
    expect(removed.stdout).toBe('Removed tasks in queue: broken\n');
    expect(existsSync(kept)).toBe(false);
    expect((await status(repo)).tasks.map((task) => task.name)).toEqual(['flaky']);
    expect(await queueRefs(repo)).toEqual([]);
  });

  it('a worker killed with SIGKILL: its running entry is failed with its log, queued ones stay, start resumes', async () => {
    const repo = await project();
    const names = await queue(repo, '-S', 'nap=30', '-S', 'lr=2');
    const rest = await queue(repo, '-S', 'lr=3,4');
    await repo.tvc('queue', 'start');
    const worker = await waitFor('the worker to run the first', async () => {
      const now = await status(repo);
      const running = now.tasks.find((task) => task.name === names[0] && task.status === 'Running');
      return running && now.workers.pids.length === 1 ? now.workers.pids[0] : undefined;
    });
    await waitFor('its output', async () =>
      (await repo.tvc('queue', 'logs', names[0]!)).stdout.includes('training lr=2') ? true : undefined,
    );
    process.kill(worker!, 'SIGKILL');
    const after = await waitFor('the entry to be failed', async () => {
      const now = await status(repo);
      return now.tasks.find((task) => task.name === names[0])?.status === 'Failed' ? now : undefined;
    });
    expect(after.tasks.find((task) => task.name === names[0])!.error).toMatch(
      /queue worker \(pid \d+\) stopped/,
    );
    expect(after.tasks.filter((task) => rest.includes(task.name)).map((task) => task.status)).toEqual([
      'Queued',
      'Queued',
    ]);
    expect((await repo.tvc('queue', 'logs', names[0]!)).stdout).toContain('training lr=2');
    await repo.tvc('queue', 'start', '-j', '2');
    const done = await settled(repo);
    expect(done.tasks.filter((task) => rest.includes(task.name)).map((task) => task.status)).toEqual([
      'Success',
      'Success',
    ]);
    expect([...(await expRefs(repo)).keys()].sort()).toEqual([...rest].sort());
  });

  it('kill ends a running experiment at once; stop lets the running one finish and starts nothing more', async () => {
    const repo = await project();
    const [slow] = await queue(repo, '-n', 'slow', '-S', 'nap=60');
    await repo.tvc('queue', 'start');
    await waitFor('slow to run', async () =>
      (await repo.tvc('queue', 'logs', 'slow')).stdout.includes('training lr=1') ? true : undefined,
    );
    const started = Date.now();
    const kill = await repo.tvc('queue', 'kill', slow!);
    expect(kill.stdout).toBe("Killed experiment 'slow'.\n");
    expect(Date.now() - started).toBeLessThan(15_000);
    const killed = await settled(repo);
    expect(killed.tasks[0]!.status).toBe('Failed');
    expect(killed.tasks[0]!.error).toBe('killed');

    const [first, second] = await queue(repo, '-S', 'nap=2', '-S', 'lr=2,3');
    await repo.tvc('queue', 'start', first!, second!);
    await waitFor('the first to run', async () =>
      (await status(repo)).tasks.some((task) => task.name === first && task.status === 'Running')
        ? true
        : undefined,
    );
    const stop = await repo.tvc('queue', 'stop');
    expect(stop.stdout).toBe('Queue workers will stop after running tasks finish.\n');
    const done = await waitFor('the worker to stop', async () => {
      const now = await status(repo);
      return now.workers.pids.length === 0 && !now.tasks.some((task) => task.status === 'Running')
        ? now
        : undefined;
    });
    const byName = new Map(done.tasks.map((task) => [task.name, task.status]));
    expect(byName.get(first!)).toBe('Success');
    expect(byName.get(second!)).toBe('Queued');
    const notRunning = await repo.tvc('queue', 'kill', second!);
    expect(notRunning.code).not.toBe(0);
    expect(notRunning.stderr).toContain('is not running (it is queued)');
  });

  it('Ctrl+C on --run-all stops at once and puts the running experiment back in the queue', async () => {
    const repo = await project();
    const [slow] = await queue(repo, '-n', 'slow', '-S', 'nap=60');
    const child = spawn(process.execPath, [TVC_BIN, 'exp', 'run', '--run-all'], {
      cwd: repo.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await waitFor('slow to run', async () => (output.includes('training lr=1') ? true : undefined));
    const started = Date.now();
    child.kill('SIGINT');
    await exited;
    expect(Date.now() - started).toBeLessThan(15_000);
    const after = await status(repo);
    expect(after.tasks.map((task) => [task.name, task.status, task.attempts])).toEqual([[slow, 'Queued', 0]]);
    expect((await repo.tvc('queue', 'logs', slow!)).stdout).toContain(
      'Interrupted: the experiment is queued again',
    );
    expect(tempWorkspaces(repo)).toEqual([]);
    expect(await expRefs(repo)).toEqual(new Map());
    await workspaceUnchanged(repo);
  });

  it('remove by name, --queued, --all; exp remove --queue; bad arguments are usage errors', async () => {
    const repo = await project();
    const [a, b, c] = await queue(repo, '-S', 'lr=2,3,4');
    expect((await repo.tvc('queue', 'remove', a!)).stdout).toBe(`Removed tasks in queue: ${a}\n`);
    const both = await repo.tvc('queue', 'remove', '--queued', b!);
    expect(both.code).toBe(254);
    expect(both.stderr).toContain('Either provide an `tasks` argument');
    const viaExp = await repo.tvc('exp', 'remove', '--queue');
    expect(viaExp.stdout).toBe(`Removed experiments: '${b}' and '${c}'\n`);
    expect((await status(repo)).tasks).toEqual([]);
    expect(await queueRefs(repo)).toEqual([]);
    expect((await repo.tvc('queue', 'status')).stdout).toBe(
      'No experiment tasks in the queue.\n\nWorker status: 0 active, 0 idle\n',
    );
    await queue(repo, '-S', 'lr=5');
    expect((await repo.tvc('queue', 'remove', '--all')).stdout).toMatch(/^Removed tasks in queue: \S+\n$/);
    const missing = await repo.tvc('queue', 'logs', 'nope');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("'nope' is not a queued experiment");
  });

  it('stress: 20 queued experiments with --run-all --jobs 4 all finish; none lost, every log, refs consistent', async () => {
    const repo = await project();
    const values = Array.from({ length: 20 }, (_, index) => index + 100);
    const names = await queue(repo, '-S', `lr=${values.join(',')}`);
    expect(names).toHaveLength(20);
    // packed refs: deleting each finished entry's ref then needs packed-refs.lock, 4 at a time
    await repo.git('pack-refs', '--all');
    expect(await repo.read('.git/packed-refs')).toContain('refs/exps/celery/tvc/');
    const run = await repo.tvc('exp', 'run', '--run-all', '--jobs', '4');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const name of names) expect(run.stdout).toContain(`[${name}] training lr=`);
    const done = await status(repo);
    expect(done.tasks).toHaveLength(20);
    expect(done.tasks.every((task) => task.status === 'Success' && task.attempts === 1)).toBe(true);
    const refs = await expRefs(repo);
    expect([...refs.keys()].sort()).toEqual([...names].sort());
    const head = (await repo.git('rev-parse', 'HEAD')).trim();
    for (const [index, name] of names.entries()) {
      const sha = refs.get(name)!;
      expect((await repo.git('rev-parse', `${sha}^`)).trim()).toBe(head);
      expect(JSON.parse((await committed(repo, sha)).metrics)).toEqual({ loss: values[index], rows: 3 });
      const log = await readFile(
        repo.path('.dvc/tmp/exps/tvc-queue/logs', `${done.tasks.find((t) => t.name === name)!.rev}.log`),
        'utf8',
      );
      expect(log).toContain(`Reproducing experiment '${name}'`);
      expect(log).toContain(`training lr=${values[index]}\n`);
    }
    expect(await queueRefs(repo)).toEqual([]);
    expect(tempWorkspaces(repo)).toEqual([]);
    expect(await repo.git('fsck', '--no-dangling')).toBe('');
    await workspaceUnchanged(repo);
  }, 180_000);
});

describe('tvc exp show and the queue', () => {
  it('lists finished, queued and failed queue entries with State and Executor, as DVC lists its own', async () => {
    const repo = await project();
    const [ok] = await queue(repo, '-n', 'ok', '-S', 'lr=2');
    const [bad] = await queue(repo, '-n', 'bad', '-S', 'lr=13');
    const [waiting] = await queue(repo, '-n', 'waiting', '-S', 'lr=4');
    await repo.tvc('queue', 'start', ok!, bad!);
    await waitFor('the worker to finish', async () => {
      const now = await status(repo);
      return now.workers.pids.length === 0 && !now.tasks.some((task) => task.status === 'Running')
        ? now
        : undefined;
    });
    const csv = (await repo.tvc('exp', 'show', '--csv')).stdout.split(/\r?\n/);
    expect(csv[0]).toBe(
      'Experiment,rev,typ,Created,parent,State,Executor,loss,rows,lr,nap,flaky,data.txt,prep.sh,train.sh',
    );
    const row = (name: string) => csv.find((line) => line.startsWith(`${name},`))!.split(',');
    expect(row('ok').slice(5, 10)).toEqual(['Success', 'Tvc-task', '2', '3', '2']);
    // queued: its params, no metrics (DVC's collect_queued drops them); failed: after the finished ones
    expect(row('waiting').slice(5, 10)).toEqual(['Queued', 'Tvc-task', '', '', '4']);
    expect(row('bad').slice(5, 7)).toEqual(['Failed', 'Tvc-task']);
    expect(csv.findIndex((line) => line.startsWith('ok,'))).toBeLessThan(
      csv.findIndex((line) => line.startsWith('waiting,')),
    );
    expect(csv.findIndex((line) => line.startsWith('waiting,'))).toBeLessThan(
      csv.findIndex((line) => line.startsWith('bad,')),
    );
    const hidden = (await repo.tvc('exp', 'show', '--csv', '--hide-queued', '--hide-failed')).stdout;
    expect(hidden).toContain('ok,');
    expect(hidden).not.toContain(`${waiting},`);
    expect(hidden).not.toContain(`${bad},`);
    const json = JSON.parse((await repo.tvc('exp', 'show', '--json')).stdout) as {
      experiments: { name: string; executor: unknown }[] | null;
    }[];
    const executors = new Map(json[1]!.experiments!.map((range) => [range.name, range.executor]));
    expect(executors.get('waiting')).toEqual({ state: 'queued', name: 'tvc-task', local: null });
    expect(executors.get('ok')).toEqual({ state: 'success', name: 'tvc-task', local: null });
  });
});

describe('executors are plugins', () => {
  it('a project executor (tvc.config.mjs) runs --temp and queued experiments; unknown or unfit ones are refused', async () => {
    const repo = await project();
    await repo.write(
      'tvc.config.mjs',
      `export default {
  plugins: [
    (tvc) => {
      tvc.hooks.executor.for('timed').tap('timed-executor', () => ({
        specificationVersion: 'v1',
        name: 'timed',
        supports: (capability) => capability === 'experiments',
        run: (task, context) => tvc.executor('local').run(task, context),
        async runExperiment(task, context) {
          context.log(\`timed: starting \${task.name}\\n\`);
          const outcome = await tvc.executor('temp').runExperiment(task, context);
          context.log(\`timed: \${task.name} ended with \${outcome.status}\\n\`);
          return outcome;
        },
      }));
    },
  ],
};
`,
    );
    await repo.git('add', 'tvc.config.mjs');
    await repo.git('commit', '-q', '-m', 'executor plugin');
    const temp = await repo.tvc('exp', 'run', '--temp', '--executor', 'timed', '-n', 'e1', '-S', 'lr=3');
    expect(temp.stderr).toBe('');
    expect(temp.stdout).toMatch(
      /^timed: starting e1\nReproducing experiment 'e1'\n[\s\S]*timed: e1 ended with success\n/,
    );
    expect((await expRefs(repo)).has('e1')).toBe(true);
    const [queued] = await queue(repo, '-S', 'lr=4');
    expect((await repo.tvc('queue', 'start', '--executor', 'timed')).code).toBe(0);
    await settled(repo);
    expect((await repo.tvc('queue', 'logs', queued!)).stdout).toMatch(
      /^timed: starting [\s\S]*ended with success\n$/,
    );
    const local = await repo.tvc('exp', 'run', '--temp', '--executor', 'local');
    expect(local.code).not.toBe(0);
    expect(local.stderr).toContain("the 'local' executor cannot run experiments");
    const unknown = await repo.tvc('queue', 'start', '--executor', 'nope');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("no executor named 'nope'");
  });
});

describe.skipIf(!haveDvc)('queued experiments and DVC', () => {
  it('DVC lists, shows and applies experiments the tvc queue ran, and ignores queued entries', async () => {
    const repo = await project();
    const [ran] = await queue(repo, '-S', 'lr=7');
    expect((await repo.tvc('exp', 'run', '--run-all')).code).toBe(0);
    const [waiting] = await queue(repo, '-S', 'lr=8');
    const list = await repo.dvc('exp', 'list', '--name-only');
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n').filter(Boolean)).toEqual([ran]);
    const show = await repo.dvc('exp', 'show', '--json');
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`"name": "${ran}"`);
    expect(show.stdout).not.toContain(waiting!);
    const apply = await repo.dvc('exp', 'apply', ran!);
    expect(apply.code).toBe(0);
    expect(await repo.read('params.yaml')).toBe("lr: 7\nnap: 0\nflaky: ''\n");
    expect(await repo.read('metrics.json')).toBe('{"loss": 7, "rows": 3}\n');
  });
});
