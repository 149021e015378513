// Loading a generated pipeline: is it linear in the number of stages, and how does it compare
// with DVC on the same files? Medians of several runs; ratios, not absolute times, are the point.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tvc } from '@tvc/core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const quick = process.argv.includes('--quick');
const sizes = quick ? [250, 500, 1000, 2000] : [500, 1000, 2000, 4000];
const runs = quick ? 3 : 5;
const dvcBinary = [process.env.TVC_DVC, path.join(root, '.venv/bin/dvc')].find(
  (candidate) => candidate && existsSync(candidate),
);

/** N stages in 10 parallel chains, each stage reading its predecessor and a shared input, with params. */
function generate(stages) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tvc-bench-load-'));
  execFileSync('git', ['init', '-q'], { cwd: dir });
  mkdirSync(path.join(dir, '.dvc'));
  writeFileSync(path.join(dir, '.dvc/config'), '');
  writeFileSync(path.join(dir, 'params.yaml'), 'train:\n  lr: 0.01\n  epochs: 10\n');
  let yaml = 'stages:\n';
  for (let index = 0; index < stages; index++) {
    const chain = index % 10;
    const previous = index >= 10 ? `    - out/${index - 10}.txt\n` : '';
    yaml += `  s${index}:\n    cmd: python step.py ${index}\n    deps:\n    - step.py\n${previous}    params:\n    - train.lr\n    outs:\n    - out/${index}.txt\n`;
    if (chain === 0 && index % 100 === 0) yaml += '    desc: a chain head\n';
  }
  writeFileSync(path.join(dir, 'dvc.yaml'), yaml);
  return dir;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

async function timeLoad(dir) {
  const times = [];
  for (let run = 0; run < runs; run++) {
    const start = process.hrtime.bigint();
    const tvc = await Tvc.open({ cwd: dir, cacheParsedFiles: true }); // as the CLI opens it
    await tvc.loadPipeline();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

function timeCommand(command, args, dir) {
  const times = [];
  for (let run = 0; run < runs; run++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DVC_NO_ANALYTICS: '1' },
    });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

const rows = [];
for (const stages of sizes) {
  const dir = generate(stages);
  try {
    const load = await timeLoad(dir);
    const cli = timeCommand(
      process.execPath,
      [path.join(root, 'packages/cli/bin/tvc.js'), 'dag', '--dot'],
      dir,
    );
    const dvc = dvcBinary ? timeCommand(dvcBinary, ['dag', '--dot'], dir) : undefined;
    rows.push({ stages, load, perStage: (load * 1000) / stages, cli, dvc });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const format = (value, digits = 0) => (value === undefined ? '—' : value.toFixed(digits));
console.log(`Pipeline loading (median of ${runs}; ${new Date().toISOString().slice(0, 10)})\n`);
console.log(
  '| stages | load (ms) | per stage (µs) | `tvc dag --dot` (ms) | `dvc dag --dot` (ms) | DVC / tvc |',
);
console.log('|---:|---:|---:|---:|---:|---:|');
for (const row of rows) {
  const ratio = row.dvc === undefined ? '—' : `${(row.dvc / row.cli).toFixed(1)}×`;
  console.log(
    `| ${row.stages} | ${format(row.load, 1)} | ${format(row.perStage, 1)} | ${format(row.cli)} | ${format(row.dvc)} | ${ratio} |`,
  );
}
const first = rows[0];
const last = rows[rows.length - 1];
const growth = last.load / first.load;
const size = last.stages / first.stages;
console.log(`\n${size}× the stages took ${growth.toFixed(1)}× the time to load (linear would be ${size}×).`);
if (!dvcBinary) console.log('DVC not found: run .ci/run once (it makes .venv) or set TVC_DVC to compare.');
