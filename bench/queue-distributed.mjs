// The distributed queue (plugins/executor-bullmq): 8 CPU-bound experiments run by 1 worker, then by 2
// workers (each `tvc queue worker -j 1` in its own clone, as on two hosts), through a redis-server of
// its own, a bare git remote and a local data remote. Target (issue 20): 2 workers take at most 0.6x
// the time of 1 on a 2-core machine. Then the per-experiment overhead of the distributed path
// (push of the queued commit, job, fetch, data pull/push, ref push) against the local queue's
// (`exp run --run-all -j 1`), with experiments that do nothing. `--quick`: less CPU per experiment.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { benchEnv, git as gitIn, tvcBin } from './common.mjs';

const quick = process.argv.includes('--quick');
const burnMs = quick ? 700 : 1500;
const experiments = 8;
const env = { ...benchEnv, CI: '' };
const git = (dir, args) => gitIn(dir, args, undefined, env);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startRedis(dir) {
  const port = await freePort();
  const child = spawn(
    '/usr/bin/redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes'],
    { stdio: 'ignore' },
  );
  for (let tries = 0; tries < 100; tries++) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (chunk) => {
        socket.destroy();
        resolve(chunk.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error('redis-server did not start');
}

const tvc = (dir, args) => {
  const result = spawnSync(process.execPath, [tvcBin, ...args], { cwd: dir, env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tvc ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
};

/** A one-stage project (a burn of `ms` of one core); distributed: with a git remote, a data remote, the bullmq config. */
function generate(root, name, ms, redisUrl) {
  const dir = path.join(root, name);
  mkdirSync(dir);
  git(dir, ['init', '-q', '-b', 'main']);
  execFileSync(process.execPath, [tvcBin, 'init', '-q'], { cwd: dir, env });
  writeFileSync(path.join(dir, 'params.yaml'), 'seed: 0\n');
  writeFileSync(
    path.join(dir, 'burn.js'),
    `const seed = Number(require('fs').readFileSync('params.yaml', 'utf8').match(/seed: (\\d+)/)[1]);\n` +
      `const end = Date.now() + ${ms}; let x = seed;\n` +
      `while (Date.now() < end) x = (x * 1103515245 + 12345) % 2147483648;\n` +
      `require('fs').writeFileSync('model.bin', String(x));\n` +
      `require('fs').writeFileSync('metrics.json', JSON.stringify({ x }) + '\\n');\n`,
  );
  writeFileSync(
    path.join(dir, 'dvc.yaml'),
    `stages:\n  burn:\n    cmd: ${process.execPath} burn.js\n    deps: [burn.js]\n    params: [seed]\n    outs: [model.bin]\n    metrics:\n    - metrics.json:\n        cache: false\n`,
  );
  const remote = path.join(root, `${name}.git`);
  const store = path.join(root, `${name}-store`);
  mkdirSync(store);
  tvc(dir, ['remote', 'add', '-d', 'storage', store]);
  if (redisUrl) {
    writeFileSync(
      path.join(dir, 'tvc.config.json'),
      JSON.stringify({ queue: { executor: 'bullmq', redis: redisUrl, name, gitRemote: 'origin' } }),
    );
    git(root, ['init', '-q', '--bare', remote]);
    git(dir, ['remote', 'add', 'origin', remote]);
  }
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'baseline']);
  if (redisUrl) git(dir, ['push', '-q', 'origin', 'main']);
  return { dir, remote };
}

function queue(dir, offset) {
  const seeds = Array.from({ length: experiments }, (_, n) => offset + n + 1);
  tvc(dir, ['exp', 'run', '--queue', '-S', `seed=${seeds.join(',')}`]);
}

/** Runs `workers` worker processes (each in its own clone) until the queue is empty; returns ms. */
async function distributed(root, name, ms, redisUrl, workers) {
  const { dir, remote } = generate(root, name, ms, redisUrl);
  const clones = [];
  for (let index = 0; index < workers; index++) {
    const clone = path.join(root, `${name}-host${index}`);
    git(root, ['clone', '-q', '-b', 'main', remote, clone]);
    clones.push(clone);
  }
  queue(dir, 0);
  const started = process.hrtime.bigint();
  await Promise.all(
    clones.map(
      (clone) =>
        new Promise((resolve, reject) => {
          const child = spawn(process.execPath, [tvcBin, 'queue', 'worker', '-j', '1', '--until-empty'], {
            cwd: clone,
            env,
            stdio: 'ignore',
          });
          child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}`))));
        }),
    ),
  );
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  const status = JSON.parse(tvc(dir, ['queue', 'status', '--json']));
  const ok = status.tasks.filter((task) => task.status === 'Success').length;
  if (ok !== experiments) throw new Error(`${ok} of ${experiments} experiments succeeded`);
  return elapsed;
}

/** The local queue: `exp run --run-all -j jobs`; returns ms. */
function local(root, name, ms, jobs) {
  const { dir } = generate(root, name, ms);
  queue(dir, 0);
  const started = process.hrtime.bigint();
  tvc(dir, ['exp', 'run', '--run-all', '-j', String(jobs)]);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const root = mkdtempSync(path.join(tmpdir(), 'tvc-bench-qdist-'));
const redisDir = path.join(root, 'redis');
mkdirSync(redisDir);
const redis = await startRedis(redisDir);
try {
  const one = await distributed(root, 'one', burnMs, redis.url, 1);
  const two = await distributed(root, 'two', burnMs, redis.url, 2);
  const localOne = local(root, 'local', burnMs, 1);
  const idleLocal = local(root, 'idle-local', 0, 1);
  const idleDistributed = await distributed(root, 'idle', 0, redis.url, 1);
  const fmt = (ms) => `${Math.round(ms)} ms`;
  console.log(`\ndistributed queue: ${experiments} CPU-bound experiments of ${burnMs} ms each`);
  console.log('| run | time | per experiment |');
  console.log('|---|---|---|');
  console.log(`| local queue, --run-all -j 1 | ${fmt(localOne)} | ${fmt(localOne / experiments)} |`);
  console.log(`| bullmq, 1 worker | ${fmt(one)} | ${fmt(one / experiments)} |`);
  console.log(`| bullmq, 2 workers (2 clones) | ${fmt(two)} | ${fmt(two / experiments)} |`);
  console.log(`2 workers / 1 worker: ${(two / one).toFixed(2)}x (target <= 0.6x)`);
  console.log(
    `overhead per experiment (experiments that do nothing): local queue ${fmt(idleLocal / experiments)}, distributed ${fmt(idleDistributed / experiments)} (+${fmt((idleDistributed - idleLocal) / experiments)})`,
  );
} finally {
  redis.stop();
  rmSync(root, { recursive: true, force: true });
}
