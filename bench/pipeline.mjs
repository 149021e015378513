// No-op `status` and `repro`, and one changed stage, on a generated pipeline: tvc against DVC on
// the same files, medians of several runs, ratios. `--quick` uses a smaller pipeline.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dvcBin } from './common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const quick = process.argv.includes('--quick');
const stages = quick ? 200 : 500;
const runs = quick ? 3 : 5;
const tvcBin = path.join(root, 'packages/cli/bin/tvc.js');
const env = { ...process.env, DVC_NO_ANALYTICS: '1', CI: '1' };

/** `stages` stages in 20 chains; each copies its predecessor's output, reads one param and a shared script. */
function generate(dir) {
  execFileSync('git', ['init', '-q'], { cwd: dir });
  mkdirSync(path.join(dir, '.dvc'));
  writeFileSync(path.join(dir, '.dvc/config'), '');
  writeFileSync(path.join(dir, 'params.yaml'), 'train:\n  lr: 0.01\n  epochs: 10\n');
  mkdirSync(path.join(dir, 'in'));
  mkdirSync(path.join(dir, 'out'));
  let yaml = 'stages:\n';
  for (let index = 0; index < stages; index++) {
    const source = index < 20 ? `in/${index}.txt` : `out/${index - 20}.txt`;
    if (index < 20) writeFileSync(path.join(dir, source), `input ${index}\n`.repeat(50));
    yaml += `  s${index}:\n    cmd: cp ${source} out/${index}.txt\n    deps:\n    - ${source}\n    params:\n    - train.lr\n    outs:\n    - out/${index}.txt\n`;
  }
  writeFileSync(path.join(dir, 'dvc.yaml'), yaml);
  execFileSync('git', ['add', '-A'], { cwd: dir });
  execFileSync(
    'git',
    ['-c', 'user.name=bench', '-c', 'user.email=bench@tvc.test', 'commit', '-q', '-m', 'bench'],
    { cwd: dir },
  );
}

function time(command, args, cwd, before) {
  const samples = [];
  for (let run = 0; run < runs; run++) {
    before?.(run);
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (result.status !== 0 && !(args[0] === 'status' && result.status === 1)) {
      throw new Error(
        `${path.basename(command)} ${args.join(' ')} failed (${result.status}): ${result.stderr}`,
      );
    }
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const tvc = (...args) => [process.execPath, [tvcBin, ...args]];
const dvc = (...args) => [dvcBin, args];

const base = mkdtempSync(path.join(tmpdir(), 'tvc-bench-pipeline-'));
try {
  const ours = path.join(base, 'tvc');
  mkdirSync(ours);
  generate(ours);
  execFileSync(process.execPath, [tvcBin, 'repro', '-j', '2', '-q'], { cwd: ours, env });
  const theirs = path.join(base, 'dvc');
  cpSync(ours, theirs, { recursive: true });
  // Steady state, as a user sees it: the data is older than the memo's two-second racy window,
  // and each tool has run once (DVC builds its state database, tvc its hash memo).
  execFileSync('sleep', ['2.5']);
  spawnSync(process.execPath, [tvcBin, 'status'], { cwd: ours, env, stdio: 'ignore' });
  if (dvcBin) spawnSync(dvcBin, ['status'], { cwd: theirs, env, stdio: 'ignore' });

  const rows = [];
  const measure = (name, tvcArgs, dvcArgs, cwdFor, before) => {
    const ourTime = time(...tvc(...tvcArgs), cwdFor('tvc'), before && ((run) => before('tvc', run)));
    const theirTime = dvcBin
      ? time(...dvc(...dvcArgs), cwdFor('dvc'), before && ((run) => before('dvc', run)))
      : undefined;
    rows.push({ name, ourTime, theirTime });
  };
  const dirOf = (tool) => (tool === 'tvc' ? ours : theirs);
  measure(`no-op \`status\` (${stages} stages)`, ['status'], ['status'], dirOf);
  measure(`no-op \`repro\` (${stages} stages)`, ['repro'], ['repro'], dirOf);
  // One stage changed each run: a leaf stage's input alternates between two contents.
  const leaf = stages - 1;
  const touch = (tool, run) =>
    writeFileSync(path.join(dirOf(tool), 'out', `${leaf - 20}.txt`), `changed ${run}\n`);
  measure(
    `one changed stage (${stages} stages)`,
    ['repro', '--no-run-cache', `s${leaf}`],
    ['repro', '--no-run-cache', `s${leaf}`],
    dirOf,
    touch,
  );

  const format = (ms) => (ms === undefined ? '—' : `${Math.round(ms)}`);
  console.log(`Pipeline commands (median of ${runs}; ${new Date().toISOString().slice(0, 10)})\n`);
  console.log('| command | tvc (ms) | DVC (ms) | DVC / tvc |');
  console.log('|---|---:|---:|---:|');
  for (const row of rows) {
    const ratio = row.theirTime === undefined ? '—' : `${(row.theirTime / row.ourTime).toFixed(1)}×`;
    console.log(`| ${row.name} | ${format(row.ourTime)} | ${format(row.theirTime)} | ${ratio} |`);
  }
  if (!dvcBin) console.log('\nDVC not found: run .ci/run once (it makes .venv) or set TVC_DVC to compare.');
} finally {
  rmSync(base, { recursive: true, force: true });
}
