#!/usr/bin/env node
// Runs tvc and the real DVC side by side on a DVC project and prints where they disagree: the
// commands a project's readers use (stage list, dag, status, params/metrics/plots, repro --dry,
// exp show), stdout and exit code compared. Check your own project before switching:
//
//   node scripts/compare-with-dvc.mjs path/to/project [--dvc path/to/dvc] [--keep]
//
// The project is copied into a temporary directory first (with its .git), so neither tool can
// change it. Exit code: 0 when everything agrees, 1 when something differs, 2 on bad usage.
// test-e2e/src/wild.test.ts runs the same comparison on the fixtures of test-e2e/fixtures/wild.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The commands compared, in order (read-only ones; `repro --dry` runs nothing). */
export const COMMANDS = [
  ['stage', 'list'],
  // The plain `dag` drawing is tvc's own layered layout (DVC's grandalf layout routes edges
  // differently), so only its machine-readable forms are compared.
  ['dag', '--dot'],
  ['dag', '--md'],
  ['status'],
  ['status', '--json'],
  ['repro', '--dry'],
  ['repro', '--dry', '-f'],
  ['metrics', 'show', '--json'],
  ['plots', 'show', '--json'],
  // DVC orders params files and keys from Python sets here: `PYTHONHASHSEED=1…4` gives three
  // different orders of the same JSON, so it is compared with sorted keys (see UNORDERED).
  ['params', 'diff', '--all', '--json'],
  ['exp', 'show', '--json'],
  ['exp', 'show', '--csv'],
];

/** Commands whose JSON DVC prints in a hash-seed-dependent order: compared with sorted keys. */
export const UNORDERED = new Set(['params diff --all --json']);

/** Whether `command`'s JSON is compared with sorted keys (every `params diff … --json`). */
function unordered(command) {
  return UNORDERED.has(command) || (command.startsWith('params diff ') && command.includes('--json'));
}

/** A deliberate difference taken out: DVC ends a repro that did something with a push hint. */
export function comparable(text) {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('Use `dvc push`') && !line.startsWith('Use `tvc push`'))
    .join('\n');
}

function sortedKeys(value) {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortedKeys(value[key])]),
    );
  return value;
}

/** Whether two outputs of `command` agree (exit code, then stdout as the command's rule says). */
export function agree(command, ours, theirs) {
  if (ours.code !== theirs.code) return false;
  if (unordered(command) && ours.code === 0) {
    try {
      return (
        JSON.stringify(sortedKeys(JSON.parse(ours.stdout))) ===
        JSON.stringify(sortedKeys(JSON.parse(theirs.stdout)))
      );
    } catch {
      return false;
    }
  }
  return comparable(ours.stdout) === comparable(theirs.stdout);
}

function run(binary, args, cwd) {
  const result = spawnSync(binary, args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { code: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

function collect(binary, args, cwd, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.end(input ?? '');
  });
}

/**
 * Runs DVC on each `[cwd, args]` job; resolves to `{code, stdout, stderr}` per job, in order.
 * With the Python of DVC's virtualenv beside `dvc`, all jobs run in one process
 * (compare-with-dvc.py: DVC's ~1 s start-up is paid once); otherwise one `dvc` process per job.
 */
export async function runDvc(dvc, jobs) {
  const python = path.join(path.dirname(dvc), 'python');
  if (!existsSync(python)) {
    const results = [];
    for (const [cwd, args] of jobs) results.push(await collect(dvc, args, cwd));
    return results;
  }
  const driver = path.join(root, 'scripts/compare-with-dvc.py');
  const result = await collect(python, [driver], jobs[0]?.[0] ?? root, JSON.stringify(jobs));
  if (result.code !== 0) throw new Error(`DVC (${python} ${driver}) failed:\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** Runs the built tvc in `cwd`. */
export function runTvc(args, cwd) {
  return collect(process.execPath, [path.join(root, 'packages/cli/bin/tvc.js'), ...args], cwd);
}

async function main(argv) {
  const args = argv.slice(2);
  const keep = args.includes('--keep');
  const dvcAt = args.indexOf('--dvc');
  const dvc = dvcAt >= 0 ? args[dvcAt + 1] : (process.env.TVC_DVC ?? path.join(root, '.venv/bin/dvc'));
  const project = args.find((arg, index) => !arg.startsWith('--') && args[index - 1] !== '--dvc');
  if (!project || !existsSync(project)) {
    console.error('usage: node scripts/compare-with-dvc.mjs PROJECT [--dvc PATH] [--keep]');
    return 2;
  }
  if (!existsSync(dvc)) {
    console.error(`DVC not found at ${dvc}: pass --dvc PATH or set TVC_DVC (.ci/run installs it in .venv)`);
    return 2;
  }
  const tvcBin = path.join(root, 'packages/cli/bin/tvc.js');
  if (!existsSync(path.join(root, 'packages/cli/dist'))) {
    console.error('tvc is not built: run `pnpm build` first');
    return 2;
  }
  const copy = mkdtempSync(path.join(tmpdir(), 'tvc-compare-'));
  cpSync(project, copy, { recursive: true });
  let differences = 0;
  try {
    const dvcResults = await runDvc(
      dvc,
      COMMANDS.map((command) => [copy, command]),
    );
    for (const [index, command] of COMMANDS.entries()) {
      const label = command.join(' ');
      const theirs = dvcResults[index];
      const ours = run(process.execPath, [tvcBin, ...command], copy);
      if (agree(label, ours, theirs)) {
        console.log(`same     ${label}`);
        continue;
      }
      differences++;
      console.log(`DIFFERS  ${label} (exit: tvc ${ours.code}, DVC ${theirs.code})`);
      const show = (who, result) => {
        const text = (result.stdout || result.stderr).trimEnd();
        console.log(`  ${who}:\n${text.replace(/^/gm, '    ')}`);
      };
      show('DVC', theirs);
      show('tvc', ours);
    }
  } finally {
    if (keep) console.log(`(copy kept in ${copy})`);
    else rmSync(copy, { recursive: true, force: true });
  }
  console.log(
    differences === 0
      ? `tvc and DVC agree on all ${COMMANDS.length} commands`
      : `${differences} of ${COMMANDS.length} commands differ`,
  );
  return differences === 0 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exitCode = 2;
    },
  );
}
