import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '../..');
export const FIXTURES = path.resolve(here, '../fixtures');
export const EXPECTED = path.resolve(here, '../expected');
export const TVC_BIN = path.join(REPO_ROOT, 'packages/cli/bin/tvc.js');

const run = promisify(execFile);

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export function spawnCollect(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', DVC_NO_ANALYTICS: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
  });
}

/**
 * `ERROR: unexpected error - …` is what the CLI prints for a throw that is not a TvcError: always a
 * bug, whatever the test expects. A run that printed it fails the test that made it, quoting the output.
 */
export const UNEXPECTED_ERROR = /unexpected error/i;

/** Throws when a run's output says `unexpected error` (see {@link UNEXPECTED_ERROR}). */
export function assertNoUnexpectedError(what: string, result: RunResult): RunResult {
  if (UNEXPECTED_ERROR.test(result.stderr) || UNEXPECTED_ERROR.test(result.stdout)) {
    throw new Error(
      `\`${what}\` printed "unexpected error" (an internal error, always a bug); exit ${result.code}\n` +
        `--- stderr ---\n${result.stderr}\n--- stdout ---\n${result.stdout}`,
    );
  }
  return result;
}

/** Runs the built `tvc` in `cwd`, as a user would; fails on an "unexpected error" in its output. */
export async function tvc(cwd: string, ...args: string[]): Promise<RunResult> {
  const result = await spawnCollect(process.execPath, [TVC_BIN, ...args], cwd);
  return assertNoUnexpectedError(`tvc ${args.join(' ')}`, result);
}

/** Where the real DVC is, when this machine has it (`.venv/bin/dvc`, made by .ci/run, or TVC_DVC). */
export function dvcBinary(): string | undefined {
  const candidates = [process.env.TVC_DVC, path.join(REPO_ROOT, '.venv/bin/dvc')];
  return candidates.find((candidate): candidate is string => !!candidate && existsSync(candidate));
}

/**
 * The DVC a live comparison runs against. Without one the comparison is skipped with one line
 * saying how to enable it; under CI a missing DVC fails the run instead.
 */
export function comparisonDvc(what: string): string | undefined {
  const binary = dvcBinary();
  if (!binary && process.env.CI) {
    throw new Error(`CI must compare ${what} with DVC, but DVC is not installed (.ci/run installs it)`);
  }
  if (!binary) {
    console.warn(
      `${what}: comparisons with DVC skipped; run \`.ci/run\` once (it installs DVC in .venv) or set TVC_DVC=/path/to/dvc`,
    );
  }
  return binary;
}

/** JSON with sorted keys, through Python (DVC's own, when there is one) so that `1.0` stays a float. */
export function canonicalJson(text: string): string {
  const binary = dvcBinary();
  const python =
    binary && existsSync(path.join(path.dirname(binary), 'python'))
      ? path.join(path.dirname(binary), 'python')
      : 'python3';
  return execFileSync(
    python,
    ['-c', 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))'],
    { input: text, encoding: 'utf8' },
  );
}

/** A table's header line(s) as they are and its rows sorted (DVC orders files from a Python set). */
export function canonicalTable(text: string, markdown: boolean): string {
  const lines = text.split('\n');
  const head = markdown ? 2 : 1;
  return [...lines.slice(0, head), ...lines.slice(head).sort()].join('\n');
}

/** Runs the real DVC in `cwd`; its "unexpected error" (on files tvc wrote, say) fails the test too. */
export async function dvc(cwd: string, ...args: string[]): Promise<RunResult> {
  const binary = dvcBinary();
  if (!binary) throw new Error('DVC is not installed: run .ci/run or set TVC_DVC');
  const result = await spawnCollect(binary, args, cwd);
  return assertNoUnexpectedError(`dvc ${args.join(' ')}`, result);
}

/** A temporary git repository, initialised for DVC, with a fixture's files copied in and committed. */
export class TempRepo {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async create(
    fixture?: string,
    options: { init?: boolean; commit?: boolean } = {},
  ): Promise<TempRepo> {
    const dir = await mkdtemp(path.join(tmpdir(), 'tvc-e2e-'));
    const repo = new TempRepo(dir);
    await repo.git('init', '-q', '-b', 'main');
    await repo.git('config', 'user.email', 'e2e@tvc.test');
    await repo.git('config', 'user.name', 'tvc e2e');
    if (options.init !== false) {
      const result = await tvc(dir, 'init', '-q');
      if (result.code !== 0) throw new Error(`tvc init failed: ${result.stderr}`);
    }
    if (fixture) await cp(path.join(FIXTURES, fixture), dir, { recursive: true });
    if (options.commit !== false) {
      await repo.git('add', '-A');
      await repo.git('commit', '-q', '-m', 'fixture', '--allow-empty');
    }
    return repo;
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  async git(...args: string[]): Promise<string> {
    const { stdout } = await run('git', args, { cwd: this.dir });
    return stdout;
  }

  tvc(...args: string[]): Promise<RunResult> {
    return tvc(this.dir, ...args);
  }

  tvcIn(subdir: string, ...args: string[]): Promise<RunResult> {
    return tvc(path.join(this.dir, subdir), ...args);
  }

  dvc(...args: string[]): Promise<RunResult> {
    return dvc(this.dir, ...args);
  }

  read(file: string): Promise<string> {
    return readFile(this.path(file), 'utf8');
  }

  async write(file: string, text: string): Promise<void> {
    await mkdir(path.dirname(this.path(file)), { recursive: true });
    await writeFile(this.path(file), text);
  }

  remove(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}

/** Fixtures whose `dag` and `stage list` outputs were recorded from DVC (expected/<fixture>/cases.tsv). */
export const GOLDEN_FIXTURES = [
  'get-started',
  'pipelines-in-subdirs',
  'diamond',
  'skip-edge',
  'frozen',
  'dir-deps',
  'empty',
  'templating',
  'foreach',
  'matrix',
];

/** Reads a fixture's recorded expectation (an output of the real DVC, recorded once). */
export function expected(fixture: string, name: string): Promise<string> {
  return readFile(path.join(EXPECTED, fixture, name), 'utf8');
}

/** Every file below `root`, relative with forward slashes, sorted. */
export async function listFiles(root: string, prefix = ''): Promise<string[]> {
  if (!existsSync(root)) return [];
  const found: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) found.push(...(await listFiles(path.join(root, entry.name), relative)));
    else found.push(relative);
  }
  return found.sort();
}
