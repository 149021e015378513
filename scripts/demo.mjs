// The demo: raw data tracked with `tvc add`, then the example pipeline (examples/demo) in a fresh
// git repository, through the built tvc.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tvcBin = path.join(root, 'packages/cli/bin/tvc.js');
const dir = mkdtempSync(path.join(tmpdir(), 'tvc-demo-'));

const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
function setParam(from, to) {
  const file = path.join(dir, 'params.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(from, to));
  console.log(`(params.yaml: ${from} -> ${to})`);
}

function tvc(...args) {
  tvcIn(dir, ...args);
}

function tvcIn(cwd, ...args) {
  if (args[0] === 'metrics-json') {
    console.log(`\n$ cat metrics.json\n${readFileSync(path.join(dir, 'metrics.json'), 'utf8').trim()}`);
    return;
  }
  console.log(`\n$ tvc ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [tvcBin, ...args], { cwd, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`tvc ${args.join(' ')} exited with ${result.status}`);
    process.exit(result.status ?? 1);
  }
}

console.log(`demo repository: ${dir}`);
git('init', '-q', '-b', 'main');
git('config', 'user.name', 'tvc demo');
git('config', 'user.email', 'demo@tvc.test');
cpSync(path.join(root, 'examples/demo'), dir, { recursive: true });
tvc('init', '-q');

console.log('\n# 0. Raw data arrives from outside the pipeline: track it with tvc add (the file goes into');
console.log('#    the cache and .gitignore; git keeps the small data/raw.csv.dvc that names its hash).');
execFileSync('python3', ['src/make_data.py', 'data/raw.csv'], { cwd: dir, stdio: 'inherit' });
tvc('add', 'data/raw.csv');
git('add', '-A');
git('-c', 'user.name=tvc demo', '-c', 'user.email=demo@tvc.test', 'commit', '-q', '-m', 'demo pipeline');
console.log('\n#    Lose the workspace copy, and tvc checkout brings it back from the cache:');
rmSync(path.join(dir, 'data/raw.csv'));
tvc('checkout');
tvc('stage', 'list');
tvc('dag');

console.log('\n# 1. Run the whole pipeline: every stage runs, dvc.lock records every hash.');
tvc('repro');
tvc('metrics-json');

console.log('\n# 2. Run it again: nothing changed, every stage is skipped.');
tvc('repro');

console.log('\n# 3. Change a parameter no stage declares (train.log_every): still nothing to do.');
setParam('log_every: 50', 'log_every: 10');
tvc('status');

console.log('\n# 4. Change a declared parameter (train.learning_rate): only train and evaluate rerun.');
setParam('learning_rate: 0.5', 'learning_rate: 0.05');
tvc('status');
tvc('repro');
tvc('metrics-json');

console.log('\n# 5. Back to the old value: train is restored from the run-cache instead of running.');
setParam('learning_rate: 0.05', 'learning_rate: 0.5');
tvc('repro');
git('add', '-A');
git('commit', '-q', '-m', 'reproduced');

console.log('\n# 6. Share it: push the data to a remote (a directory here; s3://, ssh://, https:// work the');
console.log('#    same), and a teammate who clones the repository gets the data with tvc pull.');
const store = `${dir}-store`;
const clone = `${dir}-clone`;
tvc('remote', 'add', '-d', 'store', store);
git('add', '.dvc/config');
git('commit', '-q', '-m', 'default remote');
tvc('push');
execFileSync('git', ['clone', '-q', dir, clone], { stdio: 'ignore' });
console.log(`\n$ git clone ${dir} ${clone} && cd ${clone}`);
tvcIn(clone, 'pull');
tvcIn(clone, 'status');

console.log(
  '\n# 7. An experiment sweep: queue one experiment per learning rate and epoch count, run two at a time',
);
console.log('#    in temporary copies of the repository (the workspace stays as it is), compare.');
tvc('exp', 'run', '--queue', '-S', 'train.learning_rate=0.005,0.05', '-S', 'train.epochs=3,30');
tvc('exp', 'run', '--run-all', '--jobs', '2');
tvc('queue', 'status');
tvc('exp', 'show', '--drop', 'data.*|src.*|.*\\.(csv|json|bin)$');
console.log(`\nThe demo repository is left at ${dir} (its remote at ${store}, the clone at ${clone})`);
