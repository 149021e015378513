// The data half, side by side with DVC on the same generated data (bench/.data/data, git-ignored):
// `add` of many small files (2 KiB each, in 100 directories) into an empty cache, re-`add` after
// one file changed, `checkout` of them into an empty workspace, and a no-op `status` over twice
// as many tracked files; also the directory's hashing alone against `find | xargs md5sum`.
// Every command runs as its own process in its own repository (git + .dvc), timed from outside;
// each round runs every job once, so that load from other processes falls on both tools alike;
// medians, ratios, and the load average before and after. The page cache is warm.
//
//   node bench/data.mjs [--quick] [--runs N] [--no-dvc]   (build first: pnpm build)
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchEnv, dvcBin, tvcBin } from './common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const runsFlag = process.argv.indexOf('--runs');
const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : quick ? 3 : 5;
const FILES = quick ? 5_000 : 50_000;
const STATUS_FILES = quick ? 10_000 : 100_000;
const DIRS = 100;
const FILE_SIZE = 2048;
const dvc = process.argv.includes('--no-dvc') ? undefined : dvcBin;
const data = path.join(here, '.data/data');
const env = { ...benchEnv, DVC_NO_ANALYTICS: '1' };

if (!fs.existsSync(path.join(here, '../packages/cli/dist'))) {
  console.error('packages/cli/dist is missing: run `pnpm build` first.');
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Data: `files` files of FILE_SIZE bytes, each different, in DIRS directories

function generate(files) {
  const dir = path.join(data, `src-${files}`);
  if (fs.existsSync(path.join(dir, '.complete'))) return path.join(dir, 'tree');
  fs.rmSync(dir, { recursive: true, force: true });
  const bytes = Buffer.alloc(FILE_SIZE);
  for (let index = 0; index < FILE_SIZE; index++) bytes[index] = (index * 131 + 7) & 0xff;
  for (let index = 0; index < files; index++) {
    const sub = path.join(dir, 'tree', `d${String(index % DIRS).padStart(3, '0')}`);
    if (index < DIRS) fs.mkdirSync(sub, { recursive: true });
    bytes.write(`file ${index}\n`, 0);
    fs.writeFileSync(path.join(sub, `f${String(index).padStart(6, '0')}.bin`), bytes);
  }
  fs.writeFileSync(path.join(dir, '.complete'), '');
  return path.join(dir, 'tree');
}

/** The memo (tvc) and the state database (DVC) do not trust files changed in the last 2 s. */
function settle(from = Date.now()) {
  const wait = from + 2500 - Date.now();
  if (wait > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
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

/** A fresh repository for `tool` (git, then `init`); DVC's state is kept inside it, to wipe it. */
function makeRepo(tool, name) {
  const repo = path.join(data, `${tool}-${name}`);
  fs.rmSync(repo, { recursive: true, force: true });
  fs.mkdirSync(repo, { recursive: true });
  execFileSync('git', ['init', '-q'], { cwd: repo, env });
  run(tool, repo, ['init', '-q']);
  if (tool === 'dvc') {
    run(tool, repo, ['config', 'core.site_cache_dir', path.join(repo, '.site-cache')]);
    run(tool, repo, ['config', 'core.check_update', 'false']);
  }
  return repo;
}

/** Empties the cache and the memo/state: nothing of `data` is known. */
function forget(repo) {
  fs.rmSync(path.join(repo, '.dvc/cache'), { recursive: true, force: true });
  fs.rmSync(path.join(repo, '.dvc/tmp'), { recursive: true, force: true });
  fs.rmSync(path.join(repo, '.site-cache'), { recursive: true, force: true });
}

function copyTree(source, dest) {
  fs.rmSync(dest, { recursive: true, force: true });
  execFileSync('cp', ['-r', source, dest]);
}

const recordedMd5 = (repo) =>
  /md5: (\S+)/.exec(fs.readFileSync(path.join(repo, 'data.dvc'), 'utf8'))?.[1] ?? 'none';

function countFiles(dir) {
  let count = 0;
  for (const dirent of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (dirent.isFile()) count++;
  }
  return count;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// ---------------------------------------------------------------------------------------------
// Runs

const started = Date.now();
const loadBefore = os.loadavg();
const source = generate(FILES);
const statusSource = generate(STATUS_FILES);
const checks = [];
const check = (what, actual, expected) => {
  if (actual !== expected) checks.push(`${what}: ${actual} ≠ ${expected}`);
};
const names = Object.keys(tools);
const repos = Object.fromEntries(names.map((tool) => [tool, makeRepo(tool, `add-${FILES}`)]));
const times = { hash: [], md5sum: [] };
for (const job of ['add', 'readd', 'checkout', 'status'])
  for (const tool of names) times[`${job}:${tool}`] = [];

// status: a steady state, set up once (add, settle, one status run)
const statusRepos = {};
for (const tool of names) {
  const repo = makeRepo(tool, `status-${STATUS_FILES}`);
  copyTree(statusSource, path.join(repo, 'data'));
  statusRepos[tool] = repo;
}
settle();
for (const tool of names) {
  run(tool, statusRepos[tool], ['add', '-q', 'data']);
  settle();
  run(tool, statusRepos[tool], ['status', '-q'], { ok: [0, 1] });
}
if (dvc) check('status: md5 of data', recordedMd5(statusRepos.tvc), recordedMd5(statusRepos.dvc));

const hashChild = [path.join(here, 'hash.mjs'), '--child', 'dir', source];
for (let round = 0; round < runs; round++) {
  // hashing alone: md5sum over the files in one process, and @tvc/hash's hashDirectory
  for (const [key, command, args, cwd] of [
    ['md5sum', 'sh', ['-c', 'find . -type f -print0 | xargs -0 md5sum > /dev/null'], source],
    ['hash', process.execPath, hashChild, here],
  ]) {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (result.status !== 0) throw new Error(`${key} failed: ${result.stderr}`);
    times[key].push(Number(process.hrtime.bigint() - start) / 1e6);
  }

  // a fresh workspace, older than the racy window, nothing cached or memoised
  for (const tool of names) {
    const repo = repos[tool];
    for (const file of ['data.dvc', '.gitignore']) fs.rmSync(path.join(repo, file), { force: true });
    forget(repo);
    copyTree(source, path.join(repo, 'data'));
  }
  settle();
  for (const tool of names) times[`add:${tool}`].push(run(tool, repos[tool], ['add', '-q', 'data']).ms);
  if (dvc) check(`round ${round}: add md5`, recordedMd5(repos.tvc), recordedMd5(repos.dvc));

  // one file changed (another one each round)
  for (const tool of names) {
    const changed = path.join(repos[tool], 'data/d001', `f${String(DIRS + 1).padStart(6, '0')}.bin`);
    fs.rmSync(changed, { force: true }); // a copy link may have left it read-only
    fs.writeFileSync(changed, `changed in round ${round}\n`);
  }
  for (const tool of names) times[`readd:${tool}`].push(run(tool, repos[tool], ['add', '-q', 'data']).ms);
  if (dvc) check(`round ${round}: re-add md5`, recordedMd5(repos.tvc), recordedMd5(repos.dvc));

  // checkout into an empty workspace
  for (const tool of names) fs.rmSync(path.join(repos[tool], 'data'), { recursive: true, force: true });
  for (const tool of names) {
    times[`checkout:${tool}`].push(run(tool, repos[tool], ['checkout', '-q']).ms);
    check(`round ${round}: ${tool} checkout files`, countFiles(path.join(repos[tool], 'data')), FILES);
  }

  for (const tool of names) {
    const { ms, stdout } = run(tool, statusRepos[tool], ['status'], { ok: [0, 1] });
    times[`status:${tool}`].push(ms);
    if (round === 0 && !/up to date/i.test(stdout)) checks.push(`${tool} status is not a no-op: ${stdout}`);
  }
}
const loadAfter = os.loadavg();

// ---------------------------------------------------------------------------------------------
// Report

const ms = (key) => (times[key]?.length ? median(times[key]) : undefined);
const show = (value) =>
  value === undefined ? '—' : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`;
const rows = [
  ['`add`', 'add', `${FILES.toLocaleString('en')} files of 2 KiB, empty cache`, 5],
  ['re-`add`, one file changed', 'readd', 'memo/state warm', 10],
  ['`checkout` into an empty workspace', 'checkout', `${FILES.toLocaleString('en')} files`, 5],
  ['no-op `status`', 'status', `${STATUS_FILES.toLocaleString('en')} tracked files`, 5],
];
const load = (values) => values.map((value) => value.toFixed(2)).join(' ');
console.log(
  `Data (${quick ? 'quick' : 'full'}; median of ${runs} rounds, each command a fresh process; ${new Date().toISOString().slice(0, 10)}; ` +
    `${os.cpus().length} cores; load average ${load(loadBefore)} before, ${load(loadAfter)} after)\n`,
);
console.log('| command | data | tvc | DVC | DVC / tvc | target |');
console.log('|---|---|---:|---:|---:|---:|');
const results = [];
for (const [title, key, what, target] of rows) {
  const ours = ms(`${key}:tvc`);
  const theirs = ms(`${key}:dvc`);
  const ratio = theirs === undefined ? undefined : theirs / ours;
  const verdict = ratio === undefined ? '' : ratio >= target ? ' met' : ' MISSED';
  results.push(ratio === undefined || ratio >= target);
  console.log(
    `| ${title} | ${what} | ${show(ours)} | ${show(theirs)} | ${ratio === undefined ? '—' : `${ratio.toFixed(1)}×`} | ≥ ${target}×${verdict} |`,
  );
}
const hashRatio = ms('md5sum') / ms('hash');
console.log(
  `\nHashing the ${FILES.toLocaleString('en')} files alone: tvc \`hashDirectory\` ${show(ms('hash'))}, ` +
    `\`find | xargs md5sum\` ${show(ms('md5sum'))}: ${hashRatio.toFixed(2)}× md5sum (target ≥ 1.5×${hashRatio >= 1.5 ? ', met' : ', MISSED'}).`,
);
if (!dvc) console.log('DVC not found: set TVC_DVC or run .ci/run once (it makes .venv) to compare.');
if (checks.length > 0) {
  console.log(`\nResults disagree:\n${checks.join('\n')}`);
  process.exit(1);
}
console.log(
  `tvc and DVC recorded the same md5 every time. (${((Date.now() - started) / 1000).toFixed(0)} s)`,
);
