// Loading a templated pipeline: 12 `matrix` definitions expanding to 4,000 stages, every field
// interpolated. How long does expansion take, and how does `tvc dag --dot` compare with DVC's?
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDvcYaml, Tvc } from '@tvc/core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const quick = process.argv.includes('--quick');
const runs = quick ? 3 : 5;
const dvcBinary = [process.env.TVC_DVC, path.join(root, '.venv/bin/dvc')].find(
  (candidate) => candidate && existsSync(candidate),
);

// Core alone has no params formats (they are plugins); this one reads params.yaml as DVC does.
const yamlParams = (tvc) => {
  const format = {
    specificationVersion: 'v1',
    name: 'yaml',
    extensions: ['.yaml', '.yml'],
    read: (text, file) => parseDvcYaml(text, file).value ?? {},
    write: () => {
      throw new Error('read only');
    },
  };
  tvc.hooks.paramsFormat.tap('bench-yaml', (request) =>
    format.extensions.includes(request.extension) ? format : undefined,
  );
};

function generate() {
  const dir = mkdtempSync(path.join(tmpdir(), 'tvc-bench-templated-'));
  execFileSync('git', ['init', '-q'], { cwd: dir });
  mkdirSync(path.join(dir, '.dvc'));
  writeFileSync(path.join(dir, '.dvc/config'), '');
  writeFileSync(path.join(dir, 'params.yaml'), 'train:\n  epochs: 10\n  batch: 32\n');
  const models = Array.from({ length: 10 }, (_, index) => `m${index}`).join(', ');
  const rates = Array.from({ length: 10 }, (_, index) => `0.${index + 1}5`).join(', ');
  let yaml = 'stages:\n';
  let total = 0;
  for (let group = 0; group < 12; group++) {
    const seeds = group < 4 ? '[1, 2, 3, 4]' : '[1, 2, 3]';
    total += group < 4 ? 400 : 300;
    yaml += `  g${group}:
    matrix:
      model: [${models}]
      lr: [${rates}]
      seed: ${seeds}
    cmd: python train.py --model \${item.model} --lr \${item.lr} --seed \${item.seed} --epochs \${train.epochs}
    deps:
    - train.py
    - data/\${item.model}.csv
    params:
    - train.epochs
    outs:
    - out/g${group}/\${key}.bin
`;
  }
  writeFileSync(path.join(dir, 'dvc.yaml'), yaml);
  return { dir, total };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function timeCommand(command, args, dir, times) {
  const results = [];
  for (let run = 0; run < times; run++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DVC_NO_ANALYTICS: '1' },
    });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
    results.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(results);
}

const { dir, total } = generate();
try {
  const loads = [];
  for (let run = 0; run < runs; run++) {
    const start = process.hrtime.bigint();
    const tvc = await Tvc.open({ cwd: dir, plugins: [yamlParams], cacheParsedFiles: true }); // as the CLI
    const pipeline = await tvc.loadPipeline();
    loads.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (pipeline.stages.length !== total)
      throw new Error(`expected ${total} stages, got ${pipeline.stages.length}`);
  }
  const cli = timeCommand(
    process.execPath,
    [path.join(root, 'packages/cli/bin/tvc.js'), 'dag', '--dot'],
    dir,
    runs,
  );
  const dvc = dvcBinary ? timeCommand(dvcBinary, ['dag', '--dot'], dir, 1) : undefined;
  console.log(`Templated pipeline loading (median of ${runs}; ${new Date().toISOString().slice(0, 10)})\n`);
  console.log(
    '| definitions | stages | load (ms) | `tvc dag --dot` (ms) | `dvc dag --dot` (ms) | DVC / tvc |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|');
  const ratio = dvc === undefined ? '—' : `${(dvc / cli).toFixed(1)}×`;
  console.log(
    `| 12 | ${total} | ${median(loads).toFixed(1)} | ${cli.toFixed(0)} | ${dvc === undefined ? '—' : dvc.toFixed(0)} | ${ratio} |`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
