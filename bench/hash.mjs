// Hashing throughput, side by side on the same generated data (bench/.data/hash, git-ignored):
// one large file and a directory of many small files, hashed by @tvc/hash, by md5sum, and by DVC
// (`dvc add --no-commit`: DVC's real hashing path, without copying into the cache). Every tool
// runs as its own process and is timed from outside; medians of several runs, with ratios.
// The page cache is warm for every tool: this measures hashing, not the disk.
//
// Also measured: tvc with one hash thread, tvc with its memo (nothing re-read), and the design
// @tvc/hash did not take (fs callbacks in the libuv threadpool, MD5 on the main thread), so
// the claim in packages/hash/src/pool.ts stays checkable.
//
// Also: tvc as its workspace calls it (a memo that starts empty, an ignore function), and Node's
// start-up alone, which every tvc row includes (NODE_EXTRA_CA_CERTS, when set, makes Node 20 parse
// that CA bundle at start-up: ~30 ms).
//
//   node bench/hash.mjs [--quick] [--runs N] [--no-dvc]   (build first: pnpm --filter @tvc/hash build)
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const built = path.join(root, 'packages/hash/dist/index.js');

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv.slice(4));
  process.exit(0);
}

const quick = process.argv.includes('--quick');
const runsFlag = process.argv.indexOf('--runs');
const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : quick ? 3 : 5;
const BIG_MIB = quick ? 256 : 1024;
const SMALL_FILES = quick ? 5_000 : 50_000;
const data = path.join(here, '.data/hash');
const bigFile = path.join(data, `big-${BIG_MIB}m.bin`);
const smallDir = path.join(data, `small-${SMALL_FILES}`);
const dvcBinary = process.argv.includes('--no-dvc')
  ? undefined
  : [process.env.TVC_DVC, path.join(root, '.venv/bin/dvc')].find(
      (candidate) => candidate && fs.existsSync(candidate),
    );

if (!fs.existsSync(built)) {
  console.error('packages/hash/dist is missing: run `pnpm --filter @tvc/hash build` first.');
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Data

function generateBig() {
  if (fs.existsSync(bigFile) && fs.statSync(bigFile).size === BIG_MIB << 20) return;
  fs.mkdirSync(data, { recursive: true });
  const fd = fs.openSync(`${bigFile}.tmp`, 'w');
  for (let mib = 0; mib < BIG_MIB; mib++) fs.writeSync(fd, randomBytes(1 << 20));
  fs.closeSync(fd);
  fs.renameSync(`${bigFile}.tmp`, bigFile);
}

/** SMALL_FILES files of 64 B–4 KiB (2 KiB on average) in directories of 500, under <smallDir>/tree. */
function generateSmall() {
  const done = path.join(smallDir, '.complete');
  if (fs.existsSync(done)) return;
  fs.rmSync(smallDir, { recursive: true, force: true });
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const bytes = randomBytes(8192);
  for (let index = 0; index < SMALL_FILES; index++) {
    const directory = path.join(smallTree(), `d${String(Math.floor(index / 500)).padStart(3, '0')}`);
    if (index % 500 === 0) fs.mkdirSync(directory, { recursive: true });
    bytes.writeUInt32LE(index, 0);
    fs.writeFileSync(
      path.join(directory, `f${index}.bin`),
      bytes.subarray(0, 64 + Math.floor(random() * 4032)),
    );
  }
  fs.writeFileSync(done, '');
}

function smallTree() {
  return path.join(smallDir, 'tree');
}

/** The memo does not trust files changed in the last 2 s; fresh data would never be memoised. */
function settle() {
  const newest = Math.max(
    fs.statSync(bigFile).mtimeMs,
    fs.statSync(path.join(smallDir, '.complete')).mtimeMs,
  );
  const wait = newest + 2500 - Date.now();
  if (wait > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
}

// ---------------------------------------------------------------------------------------------
// Timing: every job runs once per round, rounds repeat `runs` times, so that load from other
// processes on the machine falls on all tools alike; each job's median is reported.

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const environment = { ...process.env, DVC_NO_ANALYTICS: '1' };

/** One timed process run (ms), after the untimed `before()`. */
function once(job) {
  job.before?.();
  const start = process.hrtime.bigint();
  const result = spawnSync(job.command, job.args, {
    cwd: job.cwd,
    env: { ...environment, ...job.env },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${job.name} failed: ${result.stderr}`);
  job.stdout = result.stdout;
  return elapsed;
}

function runRounds(jobs) {
  for (const job of jobs) job.times = [];
  for (let round = 0; round < runs; round++) {
    for (const job of jobs) job.times.push(once(job));
  }
  for (const job of jobs) job.ms = median(job.times);
}

/** A job running this script as a child that hashes with @tvc/hash. */
const tvcJob = (name, mode, target, { args = [], ...extra } = {}) => ({
  name,
  command: process.execPath,
  args: [fileURLToPath(import.meta.url), '--child', mode, target, ...args],
  ...extra,
});

// ---------------------------------------------------------------------------------------------
// DVC: a no-scm repository under bench/.data/hash with hard links to the data

function dvcRepo() {
  const repo = path.join(data, `dvc-${BIG_MIB}m-${SMALL_FILES}`);
  if (!fs.existsSync(path.join(repo, '.dvc'))) {
    fs.rmSync(repo, { recursive: true, force: true });
    fs.mkdirSync(repo, { recursive: true });
    const run = (...args) => execFileSync(dvcBinary, args, { cwd: repo, env: environment });
    run('init', '-q', '--no-scm');
    // DVC 3 keeps its state (the hash memo) in the site cache dir: keep it here, to wipe it.
    run('config', 'core.site_cache_dir', path.join(repo, 'site-cache'));
    // no update-check daemon running beside the measurements
    run('config', 'core.check_update', 'false');
    fs.linkSync(bigFile, path.join(repo, 'big.bin'));
    execFileSync('cp', ['-al', smallTree(), path.join(repo, 'small')]);
  }
  return repo;
}

/** `dvc add --no-commit` of `target`; cold wipes DVC's state (its hash memo) before each run. */
function dvcJob(name, repo, target, { warm }) {
  return {
    name,
    command: dvcBinary,
    args: ['add', '-q', '--no-commit', target],
    cwd: repo,
    before: () => {
      fs.rmSync(path.join(repo, `${target}.dvc`), { force: true });
      if (!warm) fs.rmSync(path.join(repo, 'site-cache'), { recursive: true, force: true });
    },
    md5: () => /md5: (\S+)/.exec(fs.readFileSync(path.join(repo, `${target}.dvc`), 'utf8'))?.[1],
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes: one measured operation each, printing the md5 (and memo stats)

async function child(mode, args) {
  const hash = await import(pathToFileURL(built).href);
  const [target, memoFile] = args;
  if (mode === 'file') {
    console.log((await hash.hashFile(target)).md5);
  } else if (mode === 'dir') {
    console.log((await hash.hashDirectory(target)).md5);
  } else if (mode === 'dir-memo' || mode === 'dir-workspace') {
    const memo = await hash.HashMemo.open(memoFile);
    // as @tvc/core's Workspace calls it: with its memo, and an ignore function (.dvcignore)
    const ignore = mode === 'dir-workspace' ? (relpath) => relpath.endsWith('.dvcignored') : undefined;
    const result = await hash.hashDirectory(target, { memo, ignore });
    await memo.save();
    console.log(result.md5, JSON.stringify(memo.stats));
  } else if (mode === 'libuv-file') {
    console.log(await libuvFile(target));
  } else if (mode === 'libuv-dir') {
    console.log(await libuvDirectory(target, hash));
  }
}

/** The rejected design for one file: double-buffered async 1 MiB reads, MD5 on the main thread. */
async function libuvFile(file) {
  const handle = await fs.promises.open(file, 'r');
  const md5 = createHash('md5');
  let [current, next] = [Buffer.allocUnsafe(1 << 20), Buffer.allocUnsafe(1 << 20)];
  let read = await handle.read(current, 0, current.length, null);
  while (read.bytesRead > 0) {
    const pending = handle.read(next, 0, next.length, null);
    md5.update(current.subarray(0, read.bytesRead));
    read = await pending;
    [current, next] = [next, current];
  }
  await handle.close();
  return md5.digest('hex');
}

/** The rejected design for many files: fs callbacks (threadpool), 64 files in flight, MD5 on the main thread. */
async function libuvDirectory(directory, hash) {
  const files = [];
  const visit = async (absolute, prefix) => {
    const below = [];
    for (const dirent of await fs.promises.readdir(absolute, { withFileTypes: true })) {
      const relpath = prefix ? `${prefix}/${dirent.name}` : dirent.name;
      if (dirent.isDirectory()) below.push(visit(path.join(absolute, dirent.name), relpath));
      else files.push(relpath);
    }
    await Promise.all(below);
  };
  await visit(directory, '');
  const entries = new Array(files.length);
  let next = 0;
  const worker = (buffer) =>
    new Promise((resolve, reject) => {
      const one = () => {
        const index = next++;
        if (index >= files.length) return resolve();
        fs.open(path.join(directory, files[index]), 'r', (error, fd) => {
          if (error) return reject(error);
          const md5 = createHash('md5');
          const loop = () =>
            fs.read(fd, buffer, 0, buffer.length, null, (readError, bytes) => {
              if (readError) return reject(readError);
              if (bytes > 0) {
                md5.update(buffer.subarray(0, bytes));
                return loop();
              }
              fs.close(fd, () => {
                entries[index] = { relpath: files[index], md5: md5.digest('hex') };
                one();
              });
            });
          loop();
        });
      };
      one();
    });
  await Promise.all(Array.from({ length: 64 }, () => worker(Buffer.allocUnsafe(1 << 16))));
  return hash.manifestMd5(entries);
}

// ---------------------------------------------------------------------------------------------
// Runs

const started = Date.now();
generateBig();
generateSmall();
settle();
const bigBytes = fs.statSync(bigFile).size;
let smallBytes = 0;
for (const dirent of fs.readdirSync(smallTree(), { withFileTypes: true, recursive: true })) {
  if (dirent.isFile()) smallBytes += fs.statSync(path.join(dirent.parentPath, dirent.name)).size;
}

const checks = [];
const check = (what, actual, expected) => {
  if (actual !== expected) checks.push(`${what}: ${actual} ≠ ${expected}`);
};

const memoFile = path.join(data, `memo-${SMALL_FILES}.json`);
const coldMemoFile = path.join(data, `memo-${SMALL_FILES}-cold.json`);
fs.rmSync(memoFile, { force: true });
once(tvcJob('fill the memo', 'dir-memo', smallTree(), { args: [memoFile] }));

const big = [
  { name: '`md5sum`', command: 'md5sum', args: [bigFile] },
  tvcJob('tvc `hashFile`', 'file', bigFile, { tvc: true }),
  tvcJob('main-thread async reads + MD5 (not used)', 'libuv-file', bigFile),
];
const small = [
  {
    name: '`md5sum` (find | xargs, one process)',
    command: 'sh',
    args: ['-c', 'find . -type f -print0 | xargs -0 md5sum > /dev/null'],
    cwd: smallTree(),
  },
  tvcJob('tvc `hashDirectory`, cold', 'dir', smallTree(), { tvc: true }),
  tvcJob('tvc `hashDirectory`, cold, 1 hash thread', 'dir', smallTree(), { env: { TVC_HASH_THREADS: '1' } }),
  tvcJob('tvc `hashDirectory`, warm memo', 'dir-memo', smallTree(), { args: [memoFile], tvc: true }),
  tvcJob(
    'tvc `hashDirectory`, cold, as the workspace calls it (empty memo, ignore function)',
    'dir-workspace',
    smallTree(),
    {
      args: [coldMemoFile],
      before: () => fs.rmSync(coldMemoFile, { force: true }),
    },
  ),
  tvcJob('fs callbacks + main-thread MD5 (not used)', 'libuv-dir', smallTree()),
];
const startup = { name: 'node -e 0', command: process.execPath, args: ['-e', '0'] };
if (dvcBinary) {
  const repo = dvcRepo();
  big.push(dvcJob('`dvc add --no-commit`', repo, 'big.bin', { warm: false }));
  small.push(dvcJob('`dvc add --no-commit`, cold state', repo, 'small', { warm: false }));
  const warm = dvcJob('`dvc add --no-commit`, warm state', repo, 'small', { warm: true });
  once(warm); // fills DVC's state
  small.push(warm);
}
runRounds([...big, ...small, startup]);

const bigMd5 = big[0].stdout.split(' ')[0];
for (const job of big.slice(1)) check(job.name, job.md5 ? job.md5() : job.stdout.trim(), bigMd5);
const smallMd5 = small[1].stdout.trim();
for (const job of small.slice(2))
  check(job.name, job.md5 ? job.md5() : job.stdout.trim().split(' ')[0], smallMd5);
const warmJob = small[3];
const warmRead = JSON.parse(warmJob.stdout.trim().split(' ')[1]).bytesRead;
warmJob.name += ` (read ${warmRead} B)`;
if (warmRead !== 0) checks.push(`the warm memo run read ${warmRead} bytes`);

// memo load
const hash = await import(pathToFileURL(built).href);
const memoEntries = 100_000;
const syntheticMemo = path.join(data, 'memo-synthetic.json');
const flat = [];
for (let index = 0; index < memoEntries; index++) {
  flat.push(
    `${smallTree()}/d${String(index % 200).padStart(3, '0')}/file-${index}.bin`,
    `${4_000_000 + index}:1732489123${String(index).padStart(9, '0')}:1732489124${String(index).padStart(9, '0')}:${2048 + (index % 2048)}`,
    createHash('md5').update(String(index)).digest('hex'),
  );
}
fs.writeFileSync(syntheticMemo, `{"format":"tvc-hash-memo","version":2,"entries":${JSON.stringify(flat)}}\n`);
const loads = [];
for (let run = 0; run < runs; run++) {
  const start = performance.now();
  const memo = await hash.HashMemo.open(syntheticMemo);
  loads.push(performance.now() - start);
  check('memo entries', memo.size, memoEntries);
}

// ---------------------------------------------------------------------------------------------
// Report

const mib = (bytes) => (bytes / (1 << 20)).toFixed(bytes < 10 << 20 ? 1 : 0);
const seconds = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
function table(title, rows, bytes, files) {
  const base = rows[0].ms;
  console.log(`\n${title}\n`);
  console.log('| | time | MiB/s | files/s | speed vs md5sum |');
  console.log('|---|---:|---:|---:|---:|');
  for (const row of rows) {
    const rate = (bytes / (1 << 20) / (row.ms / 1000)).toFixed(0);
    const fileRate = files ? Math.round(files / (row.ms / 1000)).toLocaleString('en') : '—';
    const name = row.tvc ? `**${row.name}**` : row.name;
    console.log(`| ${name} | ${seconds(row.ms)} | ${rate} | ${fileRate} | ${(base / row.ms).toFixed(2)}× |`);
  }
}

console.log(
  `Hashing (${quick ? 'quick' : 'full'}; median of ${runs} runs, each tool a fresh process, page cache warm; ${new Date().toISOString().slice(0, 10)})`,
);
table(`One ${mib(bigBytes)} MiB file`, big, bigBytes);
table(`${SMALL_FILES.toLocaleString('en')} files, ${mib(smallBytes)} MiB`, small, smallBytes, SMALL_FILES);
console.log(`\nHashMemo.open of ${memoEntries.toLocaleString('en')} entries: ${median(loads).toFixed(0)} ms`);
console.log(
  `Node start-up alone (\`node -e 0\`), in every tvc row: ${seconds(startup.ms)}` +
    (process.env.NODE_EXTRA_CA_CERTS
      ? ' (NODE_EXTRA_CA_CERTS is set: Node 20 parses that bundle at start-up)'
      : ''),
);

const targetBig = big[0].ms / big[1].ms;
const targetSmall = small[0].ms / small[1].ms;
console.log(
  `\nTargets: large file ≥ 0.90× md5sum: ${targetBig.toFixed(2)}× ${targetBig >= 0.9 ? 'met' : 'MISSED'}; ` +
    `small files faster than md5sum: ${targetSmall.toFixed(2)}× ${targetSmall > 1 ? 'met' : 'MISSED'}.`,
);
if (!dvcBinary) console.log('DVC not found: run .ci/run once (it makes .venv) or set TVC_DVC to compare.');
if (checks.length > 0) {
  console.log(`\nResults disagree:\n${checks.join('\n')}`);
  process.exit(1);
}
console.log(`All tools agreed on every hash. (${((Date.now() - started) / 1000).toFixed(0)} s)`);
