// Remotes, side by side with DVC on the same generated data in one run: many small files (2 KiB
// each, in 100 directories) and one large file, `push` to an empty remote, `status -c` with
// everything pushed, and `pull` into a fresh clone (git clone, empty cache, no data), on a local
// directory remote and on an S3-compatible server (moto in server mode, started here on a loopback
// port; the remote configured with `endpointurl`). `cp -r` of the cache's objects is the local
// baseline; for S3, the server's floor: the same files as plain HTTP PUTs and GETs from this
// process, as many at once as the tools' default jobs (moto is one Python process: it bounds both
// tools). Every command runs as its own process, timed from outside; each round runs every job
// once per tool, so that load from other processes falls on both alike; medians, ratios, and the
// load average before and after. Each round pushes to a new remote (a new directory, a new bucket)
// so that no remote index from an earlier round applies. Checks that both tools push the same
// objects and end with the same workspace files.
//
//   node bench/remote.mjs [--quick] [--runs N] [--no-dvc] [--no-s3]   (build first: pnpm build)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { benchEnv, dvcBin, root, tvcBin } from './common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const runsFlag = process.argv.indexOf('--runs');
const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : quick ? 1 : 3;
const FILES = quick ? 2_000 : 10_000;
const BIG = quick ? 100 * 2 ** 20 : 2 ** 30;
const DIRS = 100;
const FILE_SIZE = 2048;
const dvc = process.argv.includes('--no-dvc') ? undefined : dvcBin;
const motoBin = [
  process.env.TVC_MOTO_SERVER,
  path.join(root, '.venv/bin/moto_server'),
  dvcBin && path.join(path.dirname(dvcBin), 'moto_server'),
].find((candidate) => candidate && fs.existsSync(candidate));
const withS3 = !process.argv.includes('--no-s3') && motoBin !== undefined;
const data = path.join(here, '.data/remote');
// moto takes any key unless told otherwise; both tools read the same config.local
const env = { ...benchEnv, DVC_NO_ANALYTICS: '1' };

if (!fs.existsSync(path.join(here, '../packages/cli/dist'))) {
  console.error('packages/cli/dist is missing: run `pnpm build` first.');
  process.exit(1);
}
if (!process.argv.includes('--no-s3') && !motoBin) {
  console.log(
    'moto_server not found (run .ci/run once: it installs moto[server] in .venv): local remote only.',
  );
}

// ---------------------------------------------------------------------------------------------
// Data: FILES files of FILE_SIZE bytes in DIRS directories, and one file of BIG bytes

function generate() {
  const dir = path.join(data, `src-${FILES}-${BIG}`);
  if (fs.existsSync(path.join(dir, '.complete'))) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  const bytes = Buffer.alloc(FILE_SIZE);
  for (let index = 0; index < FILE_SIZE; index++) bytes[index] = (index * 131 + 7) & 0xff;
  for (let index = 0; index < FILES; index++) {
    const sub = path.join(dir, 'data', `d${String(index % DIRS).padStart(3, '0')}`);
    if (index < DIRS) fs.mkdirSync(sub, { recursive: true });
    bytes.write(`file ${index}\n`, 0);
    fs.writeFileSync(path.join(sub, `f${String(index).padStart(6, '0')}.bin`), bytes);
  }
  const chunk = Buffer.alloc(2 ** 20);
  for (let index = 0; index < chunk.length; index++) chunk[index] = (index * 251 + 13) & 0xff;
  const fd = fs.openSync(path.join(dir, 'big.bin'), 'w');
  for (let offset = 0; offset < BIG; offset += chunk.length) {
    chunk.write(`chunk ${offset}\n`, 0); // every MiB different
    fs.writeSync(fd, chunk);
  }
  fs.closeSync(fd);
  fs.writeFileSync(path.join(dir, '.complete'), '');
  return dir;
}

// ---------------------------------------------------------------------------------------------
// moto on a free loopback port

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startMoto() {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(motoBin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore', env });
  process.once('exit', () => child.kill('SIGKILL'));
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).status < 500) return { endpoint, child };
    } catch {}
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`moto_server did not answer on ${endpoint}`);
}

/** moto keeps every object in memory: forget everything, then make the round's buckets. */
async function freshBuckets(endpoint, buckets) {
  const reset = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!reset.ok) throw new Error(`moto reset: ${reset.status}`);
  for (const bucket of buckets) {
    const made = await fetch(`${endpoint}/${bucket}`, { method: 'PUT' });
    if (!made.ok) throw new Error(`creating bucket ${bucket}: ${made.status} ${await made.text()}`);
  }
}

/**
 * The server's floor: the same files as plain unsigned HTTP PUTs (then GETs) into a bucket of
 * their own, `jobs` at once, from this process (no start-up, no hashing, no signing, no listing).
 */
async function serverFloor(endpoint, dir, jobs) {
  const bucket = 'bench-floor';
  await fetch(`${endpoint}/${bucket}`, { method: 'PUT' });
  const files = [
    path.join(dir, 'big.bin'),
    ...listFiles(path.join(dir, 'data')).map((file) => path.join(dir, 'data', file)),
  ];
  const each = async (work) => {
    let next = 0;
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: jobs }, async () => {
        while (next < files.length) {
          const index = next++;
          await work(`${endpoint}/${bucket}/o${index}`, files[index]);
        }
      }),
    );
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const put = await each(async (url, file) => {
    const body = fs.createReadStream(file);
    const size = fs.statSync(file).size;
    const response = await fetch(url, {
      method: 'PUT',
      body,
      duplex: 'half',
      headers: { 'content-length': String(size), 'x-amz-acl': 'public-read' },
    });
    if (!response.ok) throw new Error(`PUT ${url}: ${response.status}`);
    await response.arrayBuffer();
  });
  const get = await each(async (url) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
    for await (const _ of response.body);
  });
  return { put, get };
}

// ---------------------------------------------------------------------------------------------
// Repositories

const tools = { tvc: { bin: process.execPath, prefix: [tvcBin] } };
if (dvc) tools.dvc = { bin: dvc, prefix: [] };

function run(tool, cwd, args, { ok = [0] } = {}) {
  const { bin, prefix } = tools[tool];
  const start = process.hrtime.bigint();
  const result = spawnSync(bin, [...prefix, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (!ok.includes(result.status)) {
    throw new Error(`${tool} ${args.join(' ')} failed (${result.status}): ${result.stderr}${result.stdout}`);
  }
  return { ms, stdout: result.stdout };
}

function timed(command, args) {
  const start = process.hrtime.bigint();
  execFileSync(command, args, { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** `.dvc/config` with the round's remotes (committed: a clone gets it) and config.local's keys. */
function configure(tool, repo, round, endpoint) {
  let config = `[core]\n    remote = local\n['remote "local"']\n    url = ${path.join(data, `remote-${tool}-${round}`)}\n`;
  if (endpoint)
    config += `['remote "s3"']\n    url = s3://bench-${tool}-${round}/store\n    endpointurl = ${endpoint}\n`;
  fs.writeFileSync(path.join(repo, '.dvc/config'), config);
  let local = endpoint
    ? `['remote "s3"']\n    access_key_id = testing\n    secret_access_key = testing\n`
    : '';
  // DVC's site cache (its remote indexes, hash state) inside the repository, to wipe it with it
  if (tool === 'dvc')
    local += `[core]\n    site_cache_dir = ${path.join(repo, '.site-cache')}\n    check_update = false\n`;
  fs.writeFileSync(path.join(repo, '.dvc/config.local'), local);
  execFileSync('git', ['commit', '-qam', `remotes of round ${round}`], { cwd: repo, env });
}

/** A repository for `tool` with the data added and committed. */
function makeSource(tool, source) {
  const repo = path.join(data, `${tool}-source`);
  fs.rmSync(repo, { recursive: true, force: true });
  fs.mkdirSync(repo, { recursive: true });
  execFileSync('git', ['init', '-q'], { cwd: repo, env });
  run(tool, repo, ['init', '-q']);
  execFileSync('cp', ['-r', path.join(source, 'data'), path.join(source, 'big.bin'), repo]);
  run(tool, repo, ['add', '-q', 'data', 'big.bin']);
  execFileSync('git', ['add', '-A'], { cwd: repo, env });
  execFileSync('git', ['commit', '-qm', 'data'], { cwd: repo, env });
  return repo;
}

/** A fresh clone of `repo` (no cache, no data) with its config.local (which git does not carry). */
function freshClone(tool, repo) {
  const clone = path.join(data, `${tool}-clone`);
  fs.rmSync(clone, { recursive: true, force: true });
  execFileSync('git', ['clone', '-q', repo, clone], { env });
  let local = fs.readFileSync(path.join(repo, '.dvc/config.local'), 'utf8');
  local = local.replace(path.join(repo, '.site-cache'), path.join(clone, '.site-cache'));
  fs.writeFileSync(path.join(clone, '.dvc/config.local'), local);
  return clone;
}

const recordedMd5 = (repo, file) =>
  /md5: (\S+)/.exec(fs.readFileSync(path.join(repo, file), 'utf8'))?.[1] ?? 'none';

function listFiles(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((dirent) => dirent.isFile())
    .map((dirent) => path.relative(dir, path.join(dirent.parentPath ?? dirent.path, dirent.name)))
    .sort();
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// ---------------------------------------------------------------------------------------------
// Runs

const started = Date.now();
const loadBefore = os.loadavg();
const source = generate();
const checks = [];
const check = (what, actual, expected) => {
  if (actual !== expected) checks.push(`${what}: ${actual} ≠ ${expected}`);
};
const names = Object.keys(tools);
const kinds = withS3 ? ['local', 's3'] : ['local'];
const moto = withS3 ? await startMoto() : undefined;
const sources = Object.fromEntries(names.map((tool) => [tool, makeSource(tool, source)]));
if (dvc) {
  for (const file of ['data.dvc', 'big.bin.dvc'])
    check(`md5 in ${file}`, recordedMd5(sources.tvc, file), recordedMd5(sources.dvc, file));
}
const times = { cp: [], floorPut: [], floorGet: [] };
for (const kind of kinds)
  for (const job of ['push', 'status', 'pull'])
    for (const tool of names) times[`${job}:${kind}:${tool}`] = [];

for (let round = 0; round < runs; round++) {
  if (moto)
    await freshBuckets(
      moto.endpoint,
      names.map((tool) => `bench-${tool}-${round}`),
    );
  for (const tool of names) {
    fs.rmSync(path.join(data, `remote-${tool}-${round}`), { recursive: true, force: true });
    configure(tool, sources[tool], round, moto?.endpoint);
  }

  if (moto) {
    const floor = await serverFloor(moto.endpoint, source, 4 * os.cpus().length);
    times.floorPut.push(floor.put);
    times.floorGet.push(floor.get);
    await freshBuckets(
      moto.endpoint,
      names.map((tool) => `bench-${tool}-${round}`),
    );
  }

  // the baseline: the cache's objects copied to an empty directory
  const copy = path.join(data, 'cp-copy');
  fs.rmSync(copy, { recursive: true, force: true });
  times.cp.push(timed('cp', ['-r', path.join(sources.tvc, '.dvc/cache/files'), copy]));
  fs.rmSync(copy, { recursive: true, force: true });

  for (const kind of kinds) {
    for (const tool of names) {
      times[`push:${kind}:${tool}`].push(run(tool, sources[tool], ['push', '-q', '-r', kind]).ms);
    }
    if (dvc && kind === 'local') {
      const pushed = (tool) => listFiles(path.join(data, `remote-${tool}-${round}`)).join('\n');
      check(`round ${round}: objects on the local remote`, pushed('tvc'), pushed('dvc'));
    }
    for (const tool of names) {
      const { ms, stdout } = run(tool, sources[tool], ['status', '-c', '-r', kind]);
      times[`status:${kind}:${tool}`].push(ms);
      if (!/in sync/i.test(stdout)) checks.push(`round ${round}: ${tool} status -c -r ${kind}: ${stdout}`);
    }
    const clones = {};
    for (const tool of names) {
      clones[tool] = freshClone(tool, sources[tool]);
      times[`pull:${kind}:${tool}`].push(run(tool, clones[tool], ['pull', '-q', '-r', kind]).ms);
      check(
        `round ${round}: ${tool} pull ${kind}: files in data`,
        listFiles(path.join(clones[tool], 'data')).length,
        FILES,
      );
      check(
        `round ${round}: ${tool} pull ${kind}: size of big.bin`,
        fs.statSync(path.join(clones[tool], 'big.bin')).size,
        BIG,
      );
    }
    // the same workspace files, byte for byte (and the same as the source)
    const other = clones.dvc ?? source;
    for (const file of ['data', 'big.bin']) {
      const diff = spawnSync('diff', ['-rq', path.join(clones.tvc, file), path.join(other, file)], {
        encoding: 'utf8',
      });
      if (diff.status !== 0)
        checks.push(`round ${round}: pulled ${file} (${kind}) differs: ${diff.stdout.slice(0, 500)}`);
    }
  }
  for (const tool of names)
    fs.rmSync(path.join(data, `remote-${tool}-${round}`), { recursive: true, force: true });
}
const loadAfter = os.loadavg();
moto?.child.kill('SIGTERM');

// ---------------------------------------------------------------------------------------------
// Report

const ms = (key) => (times[key]?.length ? median(times[key]) : undefined);
const show = (value) =>
  value === undefined ? '—' : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`;
const ratio = (a, b) => (a === undefined || b === undefined ? undefined : a / b);
const times1 = (value) => (value === undefined ? '—' : `${value.toFixed(2)}×`);
const load = (values) => values.map((value) => value.toFixed(2)).join(' ');
const bigText = BIG >= 2 ** 30 ? `${BIG / 2 ** 30} GiB` : `${BIG / 2 ** 20} MiB`;
console.log(
  `Remotes (${quick ? 'quick' : 'full'}; ${FILES.toLocaleString('en')} files of 2 KiB and one ${bigText} file; ` +
    `median of ${runs} round${runs === 1 ? '' : 's'}, each command a fresh process; ${new Date().toISOString().slice(0, 10)}; ` +
    `${os.cpus().length} cores; load average ${load(loadBefore)} before, ${load(loadAfter)} after)\n`,
);
console.log('| remote | command | tvc | DVC | DVC / tvc | target | tvc / `cp -r` | target |');
console.log('|---|---|---:|---:|---:|---|---:|---|');
const cp = ms('cp');
const verdict = (value, target, better) =>
  value === undefined ? '' : (better === 'high' ? value >= target : value <= target) ? ' met' : ' MISSED';
const results = [];
for (const kind of kinds) {
  for (const [job, title] of [
    ['push', '`push`, empty remote'],
    ['status', '`status -c`, all pushed'],
    ['pull', '`pull`, fresh clone'],
  ]) {
    const ours = ms(`${job}:${kind}:tvc`);
    const theirs = ms(`${job}:${kind}:dvc`);
    const dvcRatio = ratio(theirs, ours);
    const target = job === 'status' ? 5 : kind === 'local' ? 5 : 3;
    const vsCp = kind === 'local' && job !== 'status' ? ratio(ours, cp) : undefined;
    const dvcVerdict = verdict(dvcRatio, target, 'high');
    const cpVerdict = verdict(vsCp, 1.5, 'low');
    results.push(dvcVerdict, cpVerdict);
    console.log(
      `| ${kind === 's3' ? 'S3 (moto)' : 'local'} | ${title} | ${show(ours)} | ${show(theirs)} | ${times1(dvcRatio)} | ≥ ${target}×${dvcVerdict} | ` +
        `${vsCp === undefined ? '' : times1(vsCp)} | ${vsCp === undefined ? '' : `≤ 1.5×${cpVerdict}`} |`,
    );
  }
}
console.log(`\n\`cp -r\` of the cache's objects (files/md5) to an empty directory: ${show(cp)}.`);
if (moto) {
  console.log(
    `The S3 server's floor: the same files as plain HTTP PUTs, ${4 * os.cpus().length} at once, from one process: ` +
      `${show(ms('floorPut'))}; GETs: ${show(ms('floorGet'))} (no start-up, hashing, signing or listing).`,
  );
}
if (!dvc) console.log('DVC not found: set TVC_DVC or run .ci/run once (it makes .venv) to compare.');
if (checks.length > 0) {
  console.log(`\nResults disagree:\n${checks.join('\n')}`);
  process.exit(1);
}
console.log(
  `${dvc ? 'tvc and DVC recorded the same md5s, pushed the same objects and pulled the same files.' : 'tvc pulled the files it pushed.'} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
);
