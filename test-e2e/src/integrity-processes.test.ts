// Integrity around processes: what a stage command leaves behind when tvc is killed, and what
// `status` says while a command rewrites its outputs.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
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
