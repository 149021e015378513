// Integrity around processes: what a stage command leaves behind when tvc is killed, and what
// `status` says while a command rewrites its outputs.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunResult, TempRepo, TVC_BIN } from './harness';

let repo: TempRepo | undefined;
const started: ChildProcessWithoutNullStreams[] = [];
afterEach(async () => {
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  await repo?.remove();
  repo = undefined;
});

/** Starts `tvc args…` in `cwd`; resolves once its stdout contains `marker`. */
async function startTvc(
  cwd: string,
  args: readonly string[],
  marker: string,
  options: { detached?: boolean } = {},
): Promise<{ child: ChildProcessWithoutNullStreams; output: () => string; closed: Promise<number | null> }> {
  const child = spawn(process.execPath, [TVC_BIN, ...args], {
    cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: options.detached === true,
  });
  started.push(child);
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(marker)) resolve();
    });
    child.on('close', () => reject(new Error(`tvc ended before '${marker}':\n${output}`)));
  });
  return { child, output: () => output, closed };
}

describe('status while repro rewrites a directory output', () => {
  it('never fails with an internal error: the output is deleted or modified', async () => {
    repo = await TempRepo.create();
    const current = repo;
    // Rewrites `out` (rm -rf, then 200 files) again and again until `stop` appears.
    await current.write(
      'churn.sh',
      [
        'mkdir -p out && echo 0 > out/f0',
        'i=0',
        'while [ ! -e stop ] && [ $i -lt 3000 ]; do',
        '  rm -rf out && mkdir out',
        '  for f in $(seq 1 200); do echo "$f $i" > out/f$f; done',
        '  i=$((i+1))',
        'done',
        '',
      ].join('\n'),
    );
    await current.write(
      'dvc.yaml',
      'stages:\n  churn:\n    cmd: sh churn.sh\n    deps: [churn.sh]\n    outs: [out]\n',
    );
    await current.write('stop', '');
    expect((await current.tvc('repro')).code).toBe(0);
    await rm(current.path('stop'));
    const running = await startTvc(current.dir, ['repro', '-f'], '> sh churn.sh');
    const results: RunResult[] = [];
    for (let call = 0; call < 40; call++) {
      const flags = [[], ['-q'], ['--json']][call % 3]!;
      results.push(await current.tvc('status', ...flags));
    }
    await current.write('stop', '');
    expect(await running.closed).toBe(0);
    const failures = results.filter(
      (result) => result.stderr.includes('unexpected error') || result.code > 1,
    );
    expect(failures.map((result) => `${result.code}: ${result.stderr}`)).toEqual([]);
    // the churn really was seen: some calls found `out` changed
    expect(results.some((result) => /modified|deleted/.test(result.stdout) || result.code === 1)).toBe(true);
  }, 180_000);
});

/** Whether a process with this pid exists and has not ended (a zombie has). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return !existsSync('/proc/self');
  }
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

/** The records tvc keeps of the commands it runs (.dvc/tmp/tvc-running). */
async function runningRecords(current: TempRepo): Promise<{ stage: string; pid: number; owner: number }[]> {
  const directory = current.path('.dvc/tmp/tvc-running');
  if (!existsSync(directory)) return [];
  const names = (await readdir(directory)).filter((name) => name.endsWith('.json'));
  return Promise.all(names.map(async (name) => JSON.parse(await readFile(`${directory}/${name}`, 'utf8'))));
}

/** The record of the one command running, once tvc has written it (just after printing `> cmd`). */
async function runningRecord(current: TempRepo): Promise<{ stage: string; pid: number; owner: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const [record] = await runningRecords(current);
    if (record) return record;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('tvc recorded no running command');
}

describe('stage commands of a tvc that is killed', () => {
  it('SIGKILL to tvc’s process group ends the command too; the next status and repro report it interrupted', async () => {
    repo = await TempRepo.create();
    const current = repo;
    await current.write(
      'dvc.yaml',
      'stages:\n  slow:\n    cmd: echo $$ > cmd.pid && sleep 4 && echo late > late.txt\n    outs: [late.txt]\n',
    );
    // detached: tvc leads its own process group, as a job started by a shell or a CI runner does
    const run = await startTvc(current.dir, ['repro'], '> echo $$', { detached: true });
    expect(await waitFor(() => existsSync(current.path('cmd.pid')), 5000)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const pid = Number((await current.read('cmd.pid')).trim());
    expect(alive(pid)).toBe(true);
    process.kill(-run.child.pid!, 'SIGKILL');
    await run.closed;
    // the command went with tvc's group: gone, and late.txt (due after 4 s) never appears
    expect(await waitFor(() => !alive(pid), 2000)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(existsSync(current.path('late.txt'))).toBe(false);

    const status = await current.tvc('status');
    expect(status.code).toBe(0);
    expect(status.stderr).toContain("stage 'slow' was interrupted");
    const again = await current.tvc('repro');
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("stage 'slow' was interrupted");
    expect(await current.read('late.txt')).toBe('late\n');
    expect(await runningRecords(current)).toEqual([]);
    expect((await current.tvc('status')).stderr).not.toContain('interrupted');
  }, 60_000);

  it('a command left running by a tvc killed alone is reported by status and refused by repro', async () => {
    repo = await TempRepo.create();
    const current = repo;
    await current.write(
      'dvc.yaml',
      'stages:\n  slow:\n    cmd: sleep 30 && echo late > late.txt\n    outs: [late.txt]\n',
    );
    const run = await startTvc(current.dir, ['repro'], '> sleep 30', { detached: true });
    try {
      const record = await runningRecord(current);
      run.child.kill('SIGKILL'); // tvc alone: its command stays, re-parented
      await run.closed;
      expect(alive(record.pid)).toBe(true);

      const status = await current.tvc('status');
      expect(status.stderr).toContain(
        `stage 'slow' is still running: its command (pid ${record.pid}) was started by a tvc process that is gone (pid ${record.owner})`,
      );
      const refused = await current.tvc('repro');
      expect(refused.code).toBe(255);
      expect(refused.stderr).toContain("stage 'slow' is still running");
      expect(refused.stderr).toContain(`kill ${record.pid}`);
      expect(refused.stderr).not.toContain('unexpected error');
      expect(alive(record.pid)).toBe(true); // refused: nothing was killed or started
    } finally {
      try {
        process.kill(-run.child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }, 60_000);
});

describe('Ctrl+C on a terminal (SIGINT to tvc’s whole process group)', () => {
  it('stops the command and everything it started, exits 252, records nothing half-done', async () => {
    repo = await TempRepo.create();
    const current = repo;
    await current.write(
      'dvc.yaml',
      'stages:\n  quick:\n    cmd: echo q > q.txt\n    outs: [q.txt]\n  slow:\n    cmd: sleep 30 & echo $! > bg.pid; sleep 30; echo s > s.txt\n    deps: [q.txt]\n    outs: [s.txt]\n',
    );
    const run = await startTvc(current.dir, ['repro'], '> sleep 30 &', { detached: true });
    expect(await waitFor(() => existsSync(current.path('bg.pid')), 5000)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const background = Number((await current.read('bg.pid')).trim());
    const started = Date.now();
    process.kill(-run.child.pid!, 'SIGINT');
    expect(await run.closed).toBe(252);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.output()).toContain('interrupted by the user');
    expect(await waitFor(() => !alive(background), 5000)).toBe(true);
    const lock = await current.read('dvc.lock');
    expect(lock).toContain('  quick:\n');
    expect(lock).not.toContain('  slow:\n');
    expect(existsSync(current.path('.dvc/tmp/tvc.lock'))).toBe(false);
    expect(await runningRecords(current)).toEqual([]);
    const status = await current.tvc('status', '--json');
    expect(status.stderr).toBe('');
    expect(Object.keys(JSON.parse(status.stdout))).toEqual(['slow']);
  }, 60_000);
});
