// `exp show` and `exp diff` on a repository with 100 experiments: tvc against DVC (`dvc exp show
// -f`, without its experiments cache, as tvc keeps none), medians of several runs, ratios.
// One experiment is made by a real `exp run`; the other 99 are its commit with params.yaml and
// metrics.json changed, made with git plumbing (commit-tree, update-ref) in under a second.
// `--quick` takes fewer runs and leaves out `--json`; KEEP=1 leaves the generated repository and prints where it is.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { benchEnv, dvcBin, git, tvcBin } from './common.mjs';

const quick = process.argv.includes('--quick');
const experiments = 100;
const runs = quick ? 3 : 5;
const env = benchEnv;

const paramsYaml = (index) =>
  `train:\n  lr: ${(0.001 * (index + 1)).toFixed(3)}\n  epochs: ${10 + (index % 7)}\n  batch: 32\n` +
  `  optimizer: adam\nmodel:\n  layers: [64, 32]\n  dropout: ${(0.1 + (index % 5) / 10).toFixed(1)}\nseed: ${index}\n`;
const metricsJson = (index) =>
  `${JSON.stringify({ acc: 0.5 + index / 250, loss: 1 / (index + 2), nested: { f1: 0.4 + index / 300, tp: index * 3 } })}\n`;

/** A one-stage project (params → metrics.json), committed, with one real experiment and 99 made by plumbing. */
function generate(dir) {
  git(dir, ['init', '-q', '-b', 'main']);
  execFileSync(process.execPath, [tvcBin, 'init', '-q'], { cwd: dir, env });
  writeFileSync(path.join(dir, 'params.yaml'), paramsYaml(0));
  writeFileSync(
    path.join(dir, 'dvc.yaml'),
    'stages:\n  train:\n    cmd: cp metrics.in metrics.json\n    deps:\n    - metrics.in\n' +
      '    params:\n    - train.lr\n    - train.epochs\n    - seed\n    metrics:\n    - metrics.json:\n        cache: false\n',
  );
  writeFileSync(path.join(dir, 'metrics.in'), metricsJson(0));
  execFileSync(process.execPath, [tvcBin, 'repro', '-q'], { cwd: dir, env });
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'baseline']);
  const baseline = git(dir, ['rev-parse', 'HEAD']);

  // The real experiment: DVC's when it is here, else tvc's.
  writeFileSync(path.join(dir, 'metrics.in'), metricsJson(1));
  const [command, args] = dvcBin ? [dvcBin, []] : [process.execPath, [tvcBin]];
  execFileSync(command, [...args, 'exp', 'run', '-q', '-S', 'seed=1', '-n', 'exp-1'], { cwd: dir, env });
  const template = git(dir, ['rev-parse', `refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/exp-1`]);
  const entries = git(dir, ['ls-tree', template]).split('\n');

  // The rest: the real experiment's tree with params.yaml and metrics.json replaced.
  const refs = [];
  for (let index = 2; index <= experiments; index++) {
    const blobs = {
      'params.yaml': git(dir, ['hash-object', '-w', '--stdin'], paramsYaml(index)),
      'metrics.json': git(dir, ['hash-object', '-w', '--stdin'], metricsJson(index)),
    };
    const tree = git(
      dir,
      ['mktree'],
      `${entries
        .map((entry) => {
          const name = entry.slice(entry.indexOf('\t') + 1);
          return blobs[name] ? `100644 blob ${blobs[name]}\t${name}` : entry;
        })
        .join('\n')}\n`,
    );
    const date = `${1_700_000_000 + index * 60} +0000`;
    const commit = execFileSync('git', ['commit-tree', tree, '-p', baseline, '-m', `exp-${index}`], {
      cwd: dir,
      env: { ...env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
      encoding: 'utf8',
    }).trim();
    refs.push(`create refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/exp-${index} ${commit}\n`);
  }
  git(dir, ['update-ref', '--stdin'], refs.join(''));
}

function time(command, args, cwd) {
  const samples = [];
  let output = '';
  for (let run = 0; run < runs; run++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 });
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (result.status !== 0) {
      throw new Error(
        `${path.basename(command)} ${args.join(' ')} failed (${result.status}): ${result.stderr}`,
      );
    }
    output = result.stdout;
  }
  samples.sort((a, b) => a - b);
  return { ms: samples[Math.floor(samples.length / 2)], output };
}

// The Created column says `HH:MM AM` for today and a date otherwise, decided by each tool's clock.
const normalise = (text) => text.replace(/\b\d\d:\d\d [AP]M\b/g, 'HH:MM XM');

const dir = mkdtempSync(path.join(tmpdir(), 'tvc-bench-exp-show-'));
try {
  generate(dir);
  const rows = [];
  const mismatches = [];
  const measure = (name, tvcArgs, dvcArgs) => {
    const ours = time(process.execPath, [tvcBin, ...tvcArgs], dir);
    const theirs = dvcBin ? time(dvcBin, dvcArgs, dir) : undefined;
    if (theirs && normalise(ours.output) !== normalise(theirs.output)) mismatches.push(name);
    rows.push({ name, ourTime: ours.ms, theirTime: theirs?.ms });
  };
  measure(`\`exp show\` (${experiments} experiments)`, ['exp', 'show'], ['exp', 'show', '-f']);
  // Left out by --quick, to keep `pnpm bench --quick` under two minutes.
  if (!quick)
    measure(
      `\`exp show --json\` (${experiments} experiments)`,
      ['exp', 'show', '--json'],
      ['exp', 'show', '-f', '--json'],
    );
  measure('`exp diff exp-1 exp-2`', ['exp', 'diff', 'exp-1', 'exp-2'], ['exp', 'diff', 'exp-1', 'exp-2']);

  const format = (ms) => (ms === undefined ? '—' : `${Math.round(ms)}`);
  console.log(`Experiments (median of ${runs}; ${new Date().toISOString().slice(0, 10)})\n`);
  console.log('| command | tvc (ms) | DVC (ms) | DVC / tvc |');
  console.log('|---|---:|---:|---:|');
  for (const row of rows) {
    const ratio = row.theirTime === undefined ? '—' : `${(row.theirTime / row.ourTime).toFixed(1)}×`;
    console.log(`| ${row.name} | ${format(row.ourTime)} | ${format(row.theirTime)} | ${ratio} |`);
  }
  if (mismatches.length > 0) console.log(`\nOutputs differ from DVC's: ${mismatches.join(', ')}`);
  else if (dvcBin) console.log("\nOutputs identical to DVC's (the Created column's time of day aside).");
  if (!dvcBin) console.log('\nDVC not found: run .ci/run once (it makes .venv) or set TVC_DVC to compare.');
} finally {
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  else console.log(dir);
}
