import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { assertNoUnexpectedError, type RunResult, spawnCollect, TVC_BIN } from './harness';
import { type RedisServer, startRedis } from './services/redis';

/**
 * The distributed queue (plugins/executor-bullmq) with real parts: a redis-server of its own on a
 * loopback port, a bare git repository as the shared git remote, a local-directory data remote, and
 * workers as separate `tvc queue worker` processes, each in its own clone (standing for a host).
 */
const run = promisify(execFile);

const started = await startRedis();
if (typeof started === 'string') console.warn(`queue-distributed tests skipped: ${started}`);
const redis: RedisServer | undefined = typeof started === 'string' ? undefined : started;
afterAll(async () => {
  await redis?.dispose();
});

const TIMING = { TVC_QUEUE_LOCK_MS: '2000', TVC_QUEUE_STALLED_MS: '500' };

async function tvcIn(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  const result = await spawnCollect(process.execPath, [TVC_BIN, ...args], cwd, { ...TIMING, ...env });
  return assertNoUnexpectedError(`tvc ${args.join(' ')}`, result);
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

interface Project {
  readonly dir: string;
  /** The submitting repository. */
  readonly sub: string;
  readonly remote: string;
  readonly store: string;
  clone(name: string): Promise<string>;
}

const TRAIN = `x=$(grep '^x:' params.yaml | cut -d' ' -f2)
echo "training with x=$x"
if [ "$x" = 99 ]; then echo "x=99 always fails" >&2; exit 3; fi
sleep "\${TVC_TEST_SLEEP:-0.2}"
echo "model $x" > model.bin
echo "{\\"score\\": $x}" > metrics.json
echo "done x=$x"
`;

const DVC_YAML = `stages:
  train:
    cmd: sh train.sh
    deps: [train.sh]
    params: [x]
    outs: [model.bin]
    metrics:
      - metrics.json:
          cache: false
`;

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function project(queueName: string): Promise<Project> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tvc-qdist-'));
  dirs.push(dir);
  const remote = path.join(dir, 'remote.git');
  const store = path.join(dir, 'store');
  const sub = path.join(dir, 'submitter');
  await mkdir(store);
  await mkdir(sub);
  await git(dir, 'init', '-q', '--bare', remote);
  await git(sub, 'init', '-q', '-b', 'main');
  await git(sub, 'config', 'user.email', 'sub@tvc.test');
  await git(sub, 'config', 'user.name', 'submitter');
  expect((await tvcIn(sub, ['init', '-q'])).code).toBe(0);
  await writeFile(path.join(sub, 'train.sh'), TRAIN);
  await writeFile(path.join(sub, 'params.yaml'), 'x: 0\n');
  await writeFile(path.join(sub, 'dvc.yaml'), DVC_YAML);
  await writeFile(
    path.join(sub, 'tvc.config.json'),
    `${JSON.stringify({ queue: { executor: 'bullmq', redis: redis!.url, name: queueName, gitRemote: 'origin' } }, null, 2)}\n`,
  );
  expect((await tvcIn(sub, ['remote', 'add', '-d', 'storage', store])).code).toBe(0);
  await git(sub, 'remote', 'add', 'origin', remote);
  await git(sub, 'add', '-A');
  await git(sub, 'commit', '-q', '-m', 'project');
  await git(sub, 'push', '-q', 'origin', 'main');
  return {
    dir,
    sub,
    remote,
    store,
    clone: async (name) => {
      const clone = path.join(dir, name);
      await git(dir, 'clone', '-q', '-b', 'main', remote, clone);
      await git(clone, 'config', 'user.email', `${name}@tvc.test`);
      await git(clone, 'config', 'user.name', name);
      return clone;
    },
  };
}

interface Worker {
  readonly child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function startWorker(clone: string, args: readonly string[] = [], env: Record<string, string> = {}): Worker {
  const child = spawn(process.execPath, [TVC_BIN, 'queue', 'worker', ...args], {
    cwd: clone,
    env: { ...process.env, NO_COLOR: '1', ...TIMING, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

interface StatusJson {
  tasks: {
    rev: string;
    name: string;
    status: string;
    worker: string | null;
    attempts: number;
    error: string | null;
    ref: string | null;
    sha: string | null;
  }[];
  workers: { active: number; idle: number; live: { worker: string; pid: number; active: string[] }[] };
}

async function status(sub: string): Promise<StatusJson | undefined> {
  const result = await tvcIn(sub, ['queue', 'status', '--json']);
  if (result.code !== 0) return undefined; // Redis restarting
  return JSON.parse(result.stdout) as StatusJson;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
}

/** Every experiment's ref in the submitting repository, its metrics, its outputs on the data remote, its log. */
async function checkAllArrived(project: Project, count: number, logs: readonly number[]): Promise<void> {
  const { sub } = project;
  const refs = (await git(sub, 'for-each-ref', '--format=%(refname)', 'refs/exps/'))
    .split('\n')
    .filter((ref) => /\/e-\d+$/.test(ref));
  expect(refs).toHaveLength(count);
  for (let x = 1; x <= count; x++) {
    const ref = refs.find((candidate) => candidate.endsWith(`/e-${x}`));
    expect(ref, `e-${x}`).toBeDefined();
    expect(JSON.parse(await git(sub, 'show', `${ref}:metrics.json`))).toEqual({ score: x });
    const lock = await git(sub, 'show', `${ref}:dvc.lock`);
    const md5 = /path: model\.bin\n\s+hash: md5\n\s+md5: ([0-9a-f]{32})/.exec(lock)?.[1];
    expect(md5, `model.bin of e-${x} in dvc.lock:\n${lock}`).toBeDefined();
    expect(
      existsSync(path.join(project.store, 'files', 'md5', md5!.slice(0, 2), md5!.slice(2))),
      `e-${x}'s model.bin on the data remote`,
    ).toBe(true);
    if (!logs.includes(x)) continue;
    const log = await tvcIn(sub, ['queue', 'logs', `e-${x}`]);
    expect(log.code).toBe(0);
    expect(log.stdout).toContain(`training with x=${x}`);
    expect(log.stdout).toContain(`done x=${x}`);
    expect(log.stdout).toContain(`Experiment 'e-${x}' is on git remote 'origin'`);
  }
  // one experiment pulled and applied in the submitting repository
  expect((await tvcIn(sub, ['exp', 'pull', 'origin', 'e-3'])).code).toBe(0);
  const applied = await tvcIn(sub, ['exp', 'apply', 'e-3']);
  expect(applied.code, applied.stderr).toBe(0);
  expect(await readFile(path.join(sub, 'model.bin'), 'utf8')).toBe('model 3\n');
  await git(sub, 'fsck', '--no-progress');
  await git(project.remote, 'fsck', '--no-progress');
}

const sweep = (count: number) => Array.from({ length: count }, (_, index) => index + 1).join(',');

describe.skipIf(redis === undefined)('the distributed queue on BullMQ and a real Redis', () => {
  it('runs 12 queued experiments across 3 workers in 3 clones; all arrive with metrics, outputs and logs', async () => {
    const p = await project('twelve');
    const queued = await tvcIn(p.sub, ['exp', 'run', '--queue', '-n', 'e', '-S', `x=${sweep(12)}`]);
    expect(queued.code, queued.stderr).toBe(0);
    expect(queued.stdout).toContain("Queued experiment 'e-12' for future execution.");
    // followed live from the submitting repository, before any worker exists
    const following = tvcIn(p.sub, ['queue', 'logs', '-f', 'e-1']);
    const workers = [];
    for (const name of ['host-a', 'host-b', 'host-c']) workers.push(startWorker(await p.clone(name)));
    const seenWorkers = new Set<string>();
    const done = await waitFor('12 successes', async () => {
      const now = await status(p.sub);
      for (const live of now?.workers.live ?? []) seenWorkers.add(live.worker);
      return now && now.tasks.length === 12 && now.tasks.every((task) => task.status === 'Success')
        ? now
        : undefined;
    });
    expect(seenWorkers.size).toBe(3);
    const followed = await following;
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toMatch(
      /--- attempt 1 of 1 on .*\n[\s\S]*training with x=1\n[\s\S]*done x=1\n[\s\S]*Experiment 'e-1' is on git remote 'origin'/,
    );
    expect(new Set(done.tasks.map((task) => task.worker)).size).toBeGreaterThan(1);
    const stop = await tvcIn(p.sub, ['queue', 'stop']);
    expect(stop.code).toBe(0);
    const codes = await Promise.all(workers.map((worker) => worker.exited));
    expect(codes, workers.map((worker) => worker.output()).join('\n')).toEqual([0, 0, 0]);
    expect((await status(p.sub))?.tasks.every((task) => task.status === 'Success')).toBe(true);
    await checkAllArrived(p, 12, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  }, 120_000);

  it('loses nothing when a worker is SIGKILLed mid-job and Redis restarts mid-run', async () => {
    const p = await project('faults');
    const env = { TVC_TEST_SLEEP: '1' };
    const queued = await tvcIn(p.sub, ['exp', 'run', '--queue', '-n', 'e', '-S', `x=${sweep(12)}`]);
    expect(queued.code, queued.stderr).toBe(0);
    const victim = startWorker(await p.clone('host-a'), [], env);
    const others = [
      startWorker(await p.clone('host-b'), [], env),
      startWorker(await p.clone('host-c'), [], env),
    ];
    // SIGKILL host-a while it runs an experiment
    const victimJob = await waitFor('host-a running a job', async () => {
      const now = await status(p.sub);
      return now?.tasks.find(
        (task) => task.status === 'Running' && task.worker?.endsWith(`:${victim.child.pid}`),
      );
    });
    victim.child.kill('SIGKILL');
    await victim.exited;
    // then Redis goes away and comes back while the others run
    await waitFor('a first success', async () =>
      (await status(p.sub))?.tasks.some((task) => task.status === 'Success') ? true : undefined,
    );
    await redis!.stop();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await redis!.start();
    const done = await waitFor(
      '12 successes',
      async () => {
        const now = await status(p.sub);
        return now && now.tasks.length === 12 && now.tasks.every((task) => task.status === 'Success')
          ? now
          : undefined;
      },
      75_000,
    );
    const recovered = done.tasks.find((task) => task.rev === victimJob.rev)!;
    expect(recovered.worker).not.toContain(`:${victim.child.pid}`);
    const log = await tvcIn(p.sub, ['queue', 'logs', victimJob.name]);
    // the killed attempt's start is kept, then the run that completed it
    expect(log.stdout).toContain(`on ${victimJob.worker} ---`);
    expect(log.stdout.match(/^--- attempt/gm)?.length).toBeGreaterThanOrEqual(2);
    await tvcIn(p.sub, ['queue', 'stop']);
    await Promise.all(others.map((worker) => worker.exited));
    await checkAllArrived(p, 12, [1, 12]);
  }, 120_000);

  it("retries a failing job keeping every attempt's log, and fails a job whose commit cannot be fetched", async () => {
    const p = await project('failing');
    expect(
      (await tvcIn(p.sub, ['exp', 'run', '--queue', '-n', 'bad', '--retries', '1', '-S', 'x=99'])).code,
    ).toBe(0);
    expect((await tvcIn(p.sub, ['exp', 'run', '--queue', '-n', 'gone', '-S', 'x=5'])).code).toBe(0);
    const before = (await status(p.sub))!;
    const gone = before.tasks.find((task) => task.name === 'gone')!;
    // the queued commit disappears from the git remote before any worker fetches it
    await git(p.sub, 'push', '-q', 'origin', '--delete', `refs/tvc-queue/${gone.rev}`);
    const hostA = await p.clone('host-a');
    // a distributed worker takes every job: names are refused, and nothing is taken
    const named = await tvcIn(hostA, ['queue', 'worker', 'bad']);
    expect(named.code).not.toBe(0);
    expect(named.stderr).toContain("a distributed queue's worker takes every job");
    const worker = startWorker(hostA, ['--until-empty']);
    expect(await worker.exited, worker.output()).toBe(0);
    const after = (await status(p.sub))!;
    const bad = after.tasks.find((task) => task.name === 'bad')!;
    expect(bad.status).toBe('Failed');
    expect(bad.attempts).toBe(2);
    const badLog = (await tvcIn(p.sub, ['queue', 'logs', 'bad'])).stdout;
    expect(badLog).toContain('--- attempt 1 of 2');
    expect(badLog).toContain('--- attempt 2 of 2');
    expect(badLog.match(/x=99 always fails/g)).toHaveLength(2);
    expect(badLog).toContain('Retrying (1 of 2 attempts made)');
    const failed = after.tasks.find((task) => task.name === 'gone')!;
    expect(failed.status).toBe('Failed');
    expect(failed.attempts).toBe(1);
    expect(failed.error).toMatch(/cannot fetch the queued commit .* from git remote 'origin'/);
    // remove acts on the shared queue
    const removed = await tvcIn(p.sub, ['queue', 'remove', '--failed']);
    expect(removed.stdout).toContain('bad');
    expect((await status(p.sub))!.tasks).toHaveLength(0);
  }, 120_000);

  it('kills a job from another host, and a SIGTERMed worker finishes its job before it exits', async () => {
    const p = await project('controls');
    expect((await tvcIn(p.sub, ['exp', 'run', '--queue', '-n', 'k', '-S', 'x=1,2'])).code).toBe(0);
    const worker = startWorker(await p.clone('host-a'), ['-j', '2'], { TVC_TEST_SLEEP: '4' });
    await waitFor('both running', async () => {
      const now = await status(p.sub);
      return now?.tasks.filter((task) => task.status === 'Running').length === 2 ? true : undefined;
    });
    const killed = await tvcIn(p.sub, ['queue', 'kill', 'k-1']);
    expect(killed.code, killed.stderr).toBe(0);
    expect(killed.stdout).toContain("Killed experiment 'k-1'.");
    worker.child.kill('SIGTERM');
    expect(await worker.exited, worker.output()).toBe(0);
    const after = (await status(p.sub))!;
    const byName = new Map(after.tasks.map((task) => [task.name, task]));
    expect(byName.get('k-1')).toMatchObject({ status: 'Failed', error: 'killed' });
    expect(byName.get('k-2')).toMatchObject({ status: 'Success' });
    expect(after.workers.live).toEqual([]);
    expect(JSON.parse(await git(p.sub, 'show', `${byName.get('k-2')!.ref}:metrics.json`))).toEqual({
      score: 2,
    });
  }, 120_000);
});
