// The experiment queue: 4 CPU-bound experiments run with `exp run --run-all --jobs 2` against the
// same 4 with `--jobs 1` (serial), each in its own temporary workspace; and DVC's queue doing the
// same (`dvc exp run --run-all -j N`) when DVC is installed. Medians of several rounds; each round
// queues the 4 afresh. Target (issue 8): --jobs 2 takes at most 0.6x the serial time on 2 cores.
// `--quick` burns less CPU per experiment and takes fewer rounds.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { benchEnv, dvcBin, git as gitIn, tvcBin } from './common.mjs';

const quick = process.argv.includes('--quick');
const rounds = quick ? 2 : 3;
const burnMs = quick ? 700 : 1500;
const experiments = 4;
const env = {
  ...benchEnv,
  // DVC's queue workers start `dvc` from the PATH
  ...(dvcBin ? { PATH: `${path.dirname(dvcBin)}:${process.env.PATH}` } : {}),
};

const git = (dir, args) => gitIn(dir, args, undefined, env);

/** A one-stage project whose command keeps one core busy for `burnMs`. */
function generate(tool) {
  const dir = mkdtempSync(path.join(tmpdir(), `tvc-bench-queue-${tool}-`));
  git(dir, ['init', '-q', '-b', 'main']);
  if (tool === 'tvc') execFileSync(process.execPath, [tvcBin, 'init', '-q'], { cwd: dir, env });
  else execFileSync(dvcBin, ['init', '-q'], { cwd: dir, env });
  writeFileSync(path.join(dir, 'params.yaml'), 'seed: 0\n');
  writeFileSync(
    path.join(dir, 'burn.js'),
    `const seed = Number(require('fs').readFileSync('params.yaml', 'utf8').match(/seed: (\\d+)/)[1]);\n` +
      `const end = Date.now() + ${burnMs}; let x = seed;\n` +
      `while (Date.now() < end) x = (x * 1103515245 + 12345) % 2147483648;\n` +
      `require('fs').writeFileSync('metrics.json', JSON.stringify({ x }) + '\\n');\n`,
  );
  writeFileSync(
    path.join(dir, 'dvc.yaml'),
    `stages:\n  burn:\n    cmd: ${process.execPath} burn.js\n    deps: [burn.js]\n    params: [seed]\n    metrics:\n    - metrics.json:\n        cache: false\n`,
  );
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'baseline']);
  return dir;
}

function runTool(tool, dir, args) {
  const [bin, argv] = tool === 'tvc' ? [process.execPath, [tvcBin, ...args]] : [dvcBin, args];
  const result = spawnSync(bin, argv, { cwd: dir, env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** Queues the 4 experiments, then times `exp run --run-all -j jobs` until all are done. */
function round(tool, dir, jobs, index) {
  const seeds = Array.from({ length: experiments }, (_, n) => index * 100 + jobs * 10 + n + 1);
  runTool(tool, dir, ['exp', 'run', '--queue', '-S', `seed=${seeds.join(',')}`]);
  const started = process.hrtime.bigint();
  runTool(tool, dir, ['exp', 'run', '--run-all', '-j', String(jobs)]);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const made = git(dir, ['for-each-ref', '--format=%(refname)', 'refs/exps/']).split('\n');
  const finished = made.filter((ref) => /^refs\/exps\/[0-9a-f]{2}\/[0-9a-f]{38}\//.test(ref)).length;
  if (finished < experiments * (index + 1)) {
    throw new Error(`${tool} made ${finished} experiments, expected ${experiments * (index + 1)}`);
  }
  return ms;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const tools = dvcBin ? ['tvc', 'dvc'] : ['tvc'];
const results = {};
for (const tool of tools) {
  for (const jobs of [1, 2]) {
    const dir = generate(tool);
    try {
      const times = [];
      for (let index = 0; index < rounds; index++) times.push(round(tool, dir, jobs, index));
      results[`${tool}-${jobs}`] = median(times);
    } finally {
      if (tool === 'dvc') spawnSync(dvcBin, ['queue', 'stop'], { cwd: dir, env });
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

const fmt = (ms) => (ms === undefined ? '-' : `${Math.round(ms)} ms`);
console.log(
  `\nexperiment queue: ${experiments} CPU-bound experiments of ${burnMs} ms each, --run-all, median of ${rounds} rounds`,
);
console.log('| tool | --jobs 1 | --jobs 2 | jobs 2 / jobs 1 |');
console.log('|---|---|---|---|');
for (const tool of tools) {
  const serial = results[`${tool}-1`];
  const parallel = results[`${tool}-2`];
  console.log(`| ${tool} | ${fmt(serial)} | ${fmt(parallel)} | ${(parallel / serial).toFixed(2)}x |`);
}
if (dvcBin) {
  console.log(
    `tvc vs DVC: --jobs 1 ${(results['dvc-1'] / results['tvc-1']).toFixed(2)}x faster, --jobs 2 ${(results['dvc-2'] / results['tvc-2']).toFixed(2)}x faster`,
  );
}
