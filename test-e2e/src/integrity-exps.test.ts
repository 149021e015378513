import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunResult, TempRepo, TVC_BIN } from './harness';

/**
 * Issue 14 ("Integrity first"), the experiments' part: `exp apply` is all or nothing, Ctrl+C on
 * `--run-all -j 2` says so and exits 252, temporary workspaces do not leak, `-S` mistakes are
 * refused before anything starts, and a closed pipe ends every command quietly.
 */
const repos: TempRepo[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) {
    await repo.tvc('queue', 'stop', '--kill').catch(() => {});
    await repo.remove();
  }
});

/** The exp-queue fixture, reproduced and committed, so dvc.lock and the cache hold its outputs. */
async function project(): Promise<TempRepo> {
  const repo = await TempRepo.create('exp-queue');
  repos.push(repo);
  const repro = await repo.tvc('repro', '-q');
  if (repro.code !== 0) throw new Error(`repro failed: ${repro.stderr}`);
  await repo.git('add', '-A');
  await repo.git('commit', '-q', '-m', 'reproduced');
  return repo;
}

const PARAMS = "lr: 1\nnap: 0\nflaky: ''\n";

async function workspaceUnchanged(repo: TempRepo): Promise<void> {
  expect(await repo.git('status', '--porcelain')).toBe('');
  expect(await repo.read('params.yaml')).toBe(PARAMS);
  expect(await repo.read('model.bin')).toBe('model 1\n');
}

function tempWorkspaces(repo: TempRepo): string[] {
  const dir = repo.path('.dvc/tmp/exps');
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith('tmp')) : [];
}

async function expRefs(repo: TempRepo): Promise<string[]> {
  return (await repo.git('for-each-ref', '--format=%(refname)', 'refs/exps/'))
    .split('\n')
    .filter((ref) => ref && !ref.startsWith('refs/exps/celery/'));
}

interface Task {
  name: string;
  status: string;
  attempts: number;
}

async function tasks(repo: TempRepo): Promise<Task[]> {
  const result = await repo.tvc('queue', 'status', '--json');
  expect(result.stderr).toBe('');
  return (JSON.parse(result.stdout) as { tasks: Task[] }).tasks;
}

async function queue(repo: TempRepo, ...args: string[]): Promise<string> {
  const result = await repo.tvc('exp', 'run', '--queue', ...args);
  expect(result.stderr).toBe('');
  return /Queued experiment '([^']+)'/.exec(result.stdout)![1]!;
}

async function waitFor(what: string, probe: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts tvc in the background (its own process group), collecting its output. */
function background(repo: TempRepo, ...args: string[]) {
  const child: ChildProcess = spawn(process.execPath, [TVC_BIN, ...args], {
    cwd: repo.dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output, exited };
}

/** The md5 dvc.lock records for `out` at a commit. */
async function recordedMd5(repo: TempRepo, rev: string, out: string): Promise<string> {
  const lock = await repo.git('show', `${rev}:dvc.lock`);
  const match = new RegExp(`- path: ${out}\\n\\s+hash: md5\\n\\s+md5: ([0-9a-f]{32})`).exec(lock);
  if (!match) throw new Error(`no md5 for ${out} in ${rev}:dvc.lock`);
  return match[1]!;
}

function objectPath(repo: TempRepo, md5: string): string {
  return repo.path('.dvc/cache/files/md5', md5.slice(0, 2), md5.slice(2));
}

describe('exp apply is all or nothing (item 4)', () => {
  async function withExperiment(): Promise<{ repo: TempRepo; object: string }> {
    const repo = await project();
    const run = await repo.tvc('exp', 'run', '--temp', '-n', 'e1', '-S', 'lr=7');
    expect(run.code).toBe(0);
    const [ref] = await expRefs(repo);
    const object = objectPath(repo, await recordedMd5(repo, ref!, 'model.bin'));
    expect(existsSync(object)).toBe(true);
    return { repo, object };
  }

  it('a missing object: refused before anything changes, the output named, exit 255', async () => {
    const { repo, object } = await withExperiment();
    chmodSync(path.dirname(object), 0o755);
    const { rmSync } = await import('node:fs');
    rmSync(object, { force: true });
    const apply = await repo.tvc('exp', 'apply', 'e1');
    expect(apply.code).toBe(255);
    expect(apply.stdout).toBe('');
    expect(apply.stderr).toContain('ERROR: Checkout failed for following targets:\nmodel.bin\n');
    expect(apply.stderr).toContain('tvc pull');
    expect(apply.stderr).not.toContain('unexpected error');
    await workspaceUnchanged(repo);
  });

  it('a corrupt object: refused, named, no "unexpected error", params.yaml and dvc.lock untouched', async () => {
    const { repo, object } = await withExperiment();
    chmodSync(object, 0o644);
    writeFileSync(object, 'not model 7\n');
    const apply = await repo.tvc('exp', 'apply', 'e1');
    expect(apply.code).toBe(255);
    expect(apply.stderr).toContain('model.bin');
    expect(apply.stderr).toContain('corrupt');
    expect(apply.stderr).not.toContain('unexpected error');
    await workspaceUnchanged(repo);
  });

  it('with every object there it applies params, dvc.lock and outputs', async () => {
    const { repo } = await withExperiment();
    const apply = await repo.tvc('exp', 'apply', 'e1');
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    expect(await repo.read('params.yaml')).toBe("lr: 7\nnap: 0\nflaky: ''\n");
    expect(await repo.read('model.bin')).toBe('model 7\n');
  });
});

describe('Ctrl+C on exp run --run-all -j 2 (item 6)', () => {
  it('exits 252, names what was interrupted, and leaves the entries queued', async () => {
    const repo = await project();
    const a = await queue(repo, '-n', 'slow-a', '-S', 'nap=60');
    const b = await queue(repo, '-n', 'slow-b', '-S', 'nap=60', '-S', 'lr=2');
    const run = background(repo, 'exp', 'run', '--run-all', '-j', '2');
    await waitFor(
      'both to run',
      () => run.output.stdout.includes('training lr=1') && run.output.stdout.includes('training lr=2'),
    );
    run.child.kill('SIGINT');
    const code = await run.exited;
    expect(code).toBe(252);
    expect(run.output.stdout).not.toContain('No queued experiments to run.');
    expect(run.output.stderr).toContain('interrupted');
    expect(run.output.stderr).toContain(a);
    expect(run.output.stderr).toContain(b);
    expect((await tasks(repo)).map((task) => [task.name, task.status, task.attempts])).toEqual([
      [a, 'Queued', 0],
      [b, 'Queued', 0],
    ]);
    expect(tempWorkspaces(repo)).toEqual([]);
  });
});

describe('temporary workspaces do not leak (item 7)', () => {
  it('a --run-all killed with SIGKILL: the next queue command fails the entry and removes its copy', async () => {
    const repo = await project();
    const slow = await queue(repo, '-n', 'slow', '-S', 'nap=60');
    const run = background(repo, 'exp', 'run', '--run-all');
    await waitFor('slow to run', () => run.output.stdout.includes('training lr=1'));
    expect(tempWorkspaces(repo)).toHaveLength(1);
    process.kill(-run.child.pid!, 'SIGKILL'); // tvc and the stage's command
    await run.exited;
    expect(tempWorkspaces(repo)).toHaveLength(1);
    expect((await tasks(repo)).map((task) => [task.name, task.status])).toEqual([[slow, 'Failed']]);
    expect(tempWorkspaces(repo)).toEqual([]);
    expect((await repo.tvc('queue', 'remove', '--all')).stdout).toBe(`Removed tasks in queue: ${slow}\n`);
    expect(tempWorkspaces(repo)).toEqual([]);
  });

  it('a copy left by a killed --temp run goes at the next queue command; DVC-made ones stay', async () => {
    const repo = await project();
    const run = background(repo, 'exp', 'run', '--temp', '-S', 'nap=60');
    await waitFor('the run', () => run.output.stdout.includes('training lr=1'));
    process.kill(-run.child.pid!, 'SIGKILL');
    await run.exited;
    expect(tempWorkspaces(repo)).toHaveLength(1);
    // a directory tvc did not make (DVC's own executor uses the same place) is left alone
    const foreign = repo.path('.dvc/tmp/exps/tmpdvcmade');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(foreign);
    expect((await repo.tvc('queue', 'status')).code).toBe(0);
    expect(tempWorkspaces(repo)).toEqual(['tmpdvcmade']);
  });

  it('a failed queued experiment: its copy is removed when it ends, kept with --keep-failed', async () => {
    const repo = await project();
    const bad = await queue(repo, '-n', 'bad', '-S', 'lr=13');
    const run = await repo.tvc('exp', 'run', '--run-all');
    expect(run.code).toBe(1);
    expect(tempWorkspaces(repo)).toEqual([]);
    expect((await repo.tvc('queue', 'logs', bad)).stdout).not.toContain('partial results');
    await repo.tvc('queue', 'remove', '--all');
    const kept = await queue(repo, '-n', 'kept', '-S', 'lr=13');
    const again = await repo.tvc('exp', 'run', '--run-all', '--keep-failed');
    expect(again.code).toBe(1);
    expect(tempWorkspaces(repo)).toHaveLength(1);
    const log = (await repo.tvc('queue', 'logs', kept)).stdout;
    const copy = /The partial results are in (\S+)/.exec(log)![1]!;
    expect(existsSync(path.join(copy, 'data.txt'))).toBe(true);
    // a later queue command does not sweep a kept copy; removing its entry does
    await repo.tvc('queue', 'status');
    expect(existsSync(copy)).toBe(true);
    await repo.tvc('queue', 'remove', kept);
    expect(tempWorkspaces(repo)).toEqual([]);
  });

  it('a failed --temp run: the copy is removed unless --keep-failed', async () => {
    const repo = await project();
    const plain = await repo.tvc('exp', 'run', '--temp', '-S', 'lr=13', '-n', 'bad');
    expect(plain.code).toBe(255);
    expect(plain.stderr).toMatch(
      /experiment 'bad' failed: .*exited with code 3; no experiment was recorded\n/,
    );
    expect(tempWorkspaces(repo)).toEqual([]);
    const kept = await repo.tvc('exp', 'run', '--temp', '-S', 'lr=13', '-n', 'bad', '--keep-failed');
    expect(kept.code).toBe(255);
    const copy = /the partial results are in (\S+)/.exec(kept.stderr)![1]!;
    expect(existsSync(path.join(copy, 'data.txt'))).toBe(true);
    expect((await repo.tvc('queue', 'status')).code).toBe(0);
    expect(existsSync(copy)).toBe(true);
    await workspaceUnchanged(repo);
  });
});

describe('-S mistakes are refused before anything starts (item 16)', () => {
  const cases: [string, string[], RegExp][] = [
    ['a key that does not exist', ['-S', 'train.lrr=0.1'], /Could not override 'train\.lrr'/],
    ['a sweep without --queue', ['-S', 'lr=1,2'], /Sweep overrides can't be used without `--queue`/],
    ['a syntax error', ['-S', 'x=[1,'], /invalid --set-param 'x=\[1,'/],
  ];
  for (const [what, args, message] of cases) {
    for (const mode of [[], ['--temp']]) {
      it(`${what}${mode.length ? ' (--temp)' : ''}: one error, no made-up name, nothing changed`, async () => {
        const repo = await project();
        const result: RunResult = await repo.tvc('exp', 'run', ...mode, ...args);
        expect(result.code).toBe(255);
        expect(result.stdout).toBe('');
        const errors = result.stderr.split('\n').filter((line) => line.startsWith('ERROR'));
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatch(message);
        expect(result.stderr).not.toMatch(/failed|partial results|experiment '/);
        await workspaceUnchanged(repo);
        expect(await expRefs(repo)).toEqual([]);
        expect(tempWorkspaces(repo)).toEqual([]);
      });
    }
  }

  it('queued: the same errors, nothing queued', async () => {
    const repo = await project();
    for (const args of [
      ['-S', 'train.lrr=0.1'],
      ['-S', 'x=[1,'],
    ]) {
      const result = await repo.tvc('exp', 'run', '--queue', ...args);
      expect(result.code).toBe(255);
      expect(result.stderr.split('\n').filter((line) => line.startsWith('ERROR'))).toHaveLength(1);
      expect(result.stderr).toContain('invalid --set-param');
    }
    expect(await tasks(repo)).toEqual([]);
  });
});

describe('a closed pipe ends every command quietly (item 17)', () => {
  /** Runs tvc with its stdout read by a reader that closes before tvc writes anything. */
  function closedEarly(repo: TempRepo, ...args: string[]): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, [TVC_BIN, ...args], {
      cwd: repo.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  }

  it('queue status, exp show, dag, queue logs: exit 141 (as DVC), no stack trace', async () => {
    const repo = await project();
    const name = await queue(repo, '-S', 'lr=2');
    await repo.tvc('exp', 'run', '--run-all');
    for (const args of [
      ['queue', 'status'],
      ['exp', 'show'],
      ['dag'],
      ['queue', 'logs', name],
      ['params', 'show'],
    ]) {
      const result = await closedEarly(repo, ...args);
      expect({ args, stderr: result.stderr }).toEqual({ args, stderr: '' });
      expect({ args, code: result.code }).toEqual({ args, code: 141 });
    }
  });

  it('through a shell pipe into head -1, the first line and nothing on stderr', async () => {
    const repo = await project();
    for (let index = 0; index < 3; index++) await queue(repo, '-S', `lr=${index + 2}`);
    const child = spawn('sh', ['-c', `"${process.execPath}" "${TVC_BIN}" queue status | head -1`], {
      cwd: repo.dir,
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
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Task +Name +Created +Status\n$/);
  });
});
