import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TempRepo, TVC_BIN } from './harness';

let repo: TempRepo | undefined;
afterEach(async () => {
  await repo?.remove();
  repo = undefined;
});

async function chain(): Promise<TempRepo> {
  repo = await TempRepo.create('chain');
  return repo;
}

async function runs(current: TempRepo): Promise<string[]> {
  return existsSync(current.path('runs.log')) ? (await current.read('runs.log')).trim().split('\n') : [];
}

async function cacheObjects(current: TempRepo): Promise<string[]> {
  const root = current.path('.dvc/cache/files/md5');
  if (!existsSync(root)) return [];
  const found: string[] = [];
  for (const prefix of await readdir(root)) {
    for (const rest of await readdir(path.join(root, prefix))) found.push(`${prefix}${rest}`);
  }
  return found.sort();
}

describe('tvc repro', () => {
  it('runs every stage in order, records dvc.lock, then skips everything', async () => {
    const current = await chain();
    const first = await current.tvc('repro');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      "Running stage 'prepare':\n> mkdir -p data && tr a-z A-Z < raw.txt > data/prepared.txt\n",
    );
    expect(first.stdout).toContain(
      "Generating lock file 'dvc.lock'\nUpdating lock file 'dvc.lock'\n\nRunning stage 'train':\n> sh train.sh\n",
    );
    expect(first.stdout.indexOf("'train'")).toBeLessThan(first.stdout.indexOf("'evaluate'"));
    expect(await runs(current)).toEqual(['trained', 'evaluated']);
    expect(await current.read('model.txt')).toBe('model(lr=0.01): HELLO TVC\n');
    const lock = await current.read('dvc.lock');
    expect(lock).toMatch(/^schema: '2.0'\nstages:\n {2}prepare:\n {4}cmd: mkdir -p data/);
    expect(lock).toContain(
      '    params:\n      params.yaml:\n        train.epochs: 10\n        train.learning_rate: 0.01\n',
    );
    expect(await current.read('.gitignore')).toBe('/model.txt\n');
    expect(await current.read('data/.gitignore')).toBe('/prepared.txt\n');
    expect((await cacheObjects(current)).length).toBeGreaterThanOrEqual(2);

    const second = await current.tvc('repro');
    expect(second.stdout).toBe(
      "Stage 'prepare' didn't change, skipping\nStage 'train' didn't change, skipping\nStage 'evaluate' didn't change, skipping\nData and pipelines are up to date.\n",
    );
    expect(await runs(current)).toEqual(['trained', 'evaluated']);
    const status = await current.tvc('status');
    expect(status.stdout).toBe('Data and pipelines are up to date.\n');
    expect((await current.tvc('status', '--json')).stdout).toBe('{}\n');
  });

  it('a changed param the stage does not declare reruns nothing; a declared one reruns it and what follows', async () => {
    const current = await chain();
    await current.tvc('repro');
    await current.write(
      'params.yaml',
      (await current.read('params.yaml')).replace('log_every: 5', 'log_every: 50'),
    );
    expect((await current.tvc('status')).stdout).toBe('Data and pipelines are up to date.\n');
    expect((await current.tvc('repro')).stdout).toContain('Data and pipelines are up to date.');
    await current.write(
      'params.yaml',
      (await current.read('params.yaml')).replace('learning_rate: 0.01', 'learning_rate: 0.02'),
    );
    const status = await current.tvc('status');
    expect(status.stdout).toBe(
      'train:\n\tchanged deps:\n\t\tparams.yaml:\n\t\t\tmodified:           train.learning_rate\n',
    );
    expect(JSON.parse((await current.tvc('status', '--json')).stdout)).toEqual({
      train: [{ 'changed deps': { 'params.yaml': { 'train.learning_rate': 'modified' } } }],
    });
    const again = await current.tvc('repro');
    expect(again.stdout).toContain("Stage 'prepare' didn't change, skipping");
    expect(again.stdout).toContain("Running stage 'train':");
    expect(again.stdout).toContain("Running stage 'evaluate':");
    expect(await runs(current)).toEqual(['trained', 'evaluated', 'trained', 'evaluated']);
    expect(await current.read('dvc.lock')).toContain('train.learning_rate: 0.02');
  });

  it('status shows each kind of change as DVC does', async () => {
    const current = await chain();
    const fresh = await current.tvc('status', '--json');
    expect(JSON.parse(fresh.stdout)).toEqual({
      prepare: [
        { 'changed deps': { 'raw.txt': 'modified' } },
        { 'changed outs': { 'data/prepared.txt': 'deleted' } },
      ],
      train: [
        { 'changed deps': { 'train.sh': 'modified', 'data/prepared.txt': 'deleted', 'params.yaml': 'new' } },
        { 'changed outs': { 'model.txt': 'deleted' } },
      ],
      evaluate: [
        { 'changed deps': { 'evaluate.sh': 'modified', 'model.txt': 'deleted' } },
        { 'changed outs': { 'metrics.json': 'deleted' } },
      ],
    });
    await current.tvc('repro');
    await current.write('raw.txt', 'changed\n');
    await current.write(
      'dvc.yaml',
      (await current.read('dvc.yaml')).replace('cmd: sh evaluate.sh', 'cmd: sh ./evaluate.sh'),
    );
    await writeFile(current.path('model.txt'), 'tampered');
    const text = await current.tvc('status');
    expect(text.stdout).toBe(
      [
        'prepare:',
        '\tchanged deps:',
        '\t\tmodified:           raw.txt',
        'train:',
        '\tchanged outs:',
        '\t\tmodified:           model.txt',
        'evaluate:',
        '\tchanged deps:',
        '\t\tmodified:           model.txt',
        '\tchanged command',
        '',
      ].join('\n'),
    );
    expect((await current.tvc('status', '-q')).code).toBe(1);
  });

  it('a failing command names the stage and exit code; finished stages keep their lock entries', async () => {
    const current = await chain();
    await current.tvc('repro');
    const lockBefore = await current.read('dvc.lock');
    await current.write('raw.txt', 'new data\n');
    await current.write('train.sh', 'exit 2\n');
    const result = await current.tvc('repro');
    expect(result.code).toBe(255);
    expect(result.stderr).toContain(
      "ERROR: dvc.yaml:8:3: failed to reproduce 'train': command exited with code 2",
    );
    const lock = await current.read('dvc.lock');
    const entry = (text: string, stage: string) => text.split(`  ${stage}:\n`)[1]!.split(/\n {2}\w/)[0];
    expect(entry(lock, 'prepare')).not.toBe(entry(lockBefore, 'prepare'));
    expect(entry(lock, 'train')).toBe(entry(lockBefore, 'train'));
    expect(entry(lock, 'evaluate')).toBe(entry(lockBefore, 'evaluate'));
  });

  it('-k keeps going with independent stages and reports every failure', async () => {
    repo = await TempRepo.create();
    const current = repo;
    await current.write(
      'dvc.yaml',
      'stages:\n  a:\n    cmd: exit 1\n    outs: [a.txt]\n  b:\n    cmd: cat a.txt > b.txt\n    deps: [a.txt]\n    outs: [b.txt]\n  c:\n    cmd: echo c > c.txt\n    outs: [c.txt]\n  d:\n    cmd: exit 3\n    outs: [d.txt]\n',
    );
    const result = await current.tvc('repro', '-k');
    expect(result.code).toBe(255);
    expect(result.stderr).toContain("ERROR: failed to reproduce stages: 'a' and 'd'");
    expect(await current.read('c.txt')).toBe('c\n');
    expect(existsSync(current.path('b.txt'))).toBe(false);
    expect(await current.read('dvc.lock')).toContain('  c:\n');
  });

  it('--dry prints the commands and changes nothing (a dependency the dry run did not make fails, as in DVC)', async () => {
    const current = await chain();
    const result = await current.tvc('repro', '--dry');
    // DVC 3.67: its dry run tries the run cache, which hashes `train`'s missing data/prepared.txt.
    expect(result.code).toBe(255);
    expect(result.stdout).toContain(
      "Running stage 'prepare':\n> mkdir -p data && tr a-z A-Z < raw.txt > data/prepared.txt\n",
    );
    expect(result.stdout).not.toContain("'train'");
    expect(result.stderr).toContain("failed to reproduce 'train'");
    await current.tvc('repro', 'prepare');
    const rest = await current.tvc('repro', '--dry');
    expect(rest.stdout).toContain("Running stage 'train':\n> sh train.sh\n");
    expect(rest.stderr).toContain("failed to reproduce 'evaluate'");
    expect(existsSync(current.path('model.txt'))).toBe(false);
    const forced = await current.tvc('repro', '--dry', '-f');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("Running stage 'evaluate':\n> sh evaluate.sh\n");
  });

  it('-s, --downstream, -f, --force-downstream and targets select what runs', async () => {
    const current = await chain();
    const single = await current.tvc('repro', '-s', 'prepare');
    expect(single.stdout).toContain("Running stage 'prepare':");
    expect(single.stdout).not.toContain("'train'");
    await current.tvc('repro');
    // As in DVC, -f forces every stage of the plan: the target and what it depends on.
    const forced = await current.tvc('repro', '-f', 'train');
    expect(forced.stdout).toContain("Running stage 'prepare':");
    expect(forced.stdout).toContain("Running stage 'train':");
    expect(forced.stdout).not.toContain("'evaluate'");
    const downstream = await current.tvc('repro', '-f', '--downstream', 'train');
    expect(downstream.stdout).not.toContain("'prepare'");
    expect(downstream.stdout).toContain("Running stage 'train':");
    expect(downstream.stdout).toContain("Running stage 'evaluate':");
    const forceDownstream = await current.tvc('repro', '-s', '-f', 'prepare', '--force-downstream');
    expect(forceDownstream.stdout).toContain("Running stage 'prepare':");
    const cascade = await current.tvc('repro', '-f', '--force-downstream', 'evaluate');
    expect(cascade.stdout).toContain("Running stage 'prepare':");
    expect(cascade.stdout).toContain("Running stage 'train':");
    expect(cascade.stdout).toContain("Running stage 'evaluate':");
    const glob = await current.tvc('repro', '-f', '-s', '--glob', 'tr*');
    expect(glob.stdout).toContain("Running stage 'train':");
    expect(glob.stdout).not.toContain("Running stage 'prepare':");
  });

  it('-i asks before each stage; answering no aborts', async () => {
    const current = await chain();
    const child = spawn(process.execPath, [TVC_BIN, 'repro', '-i'], {
      cwd: current.dir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes("Going to reproduce stage: 'prepare'. Are you sure you want to continue? [y/n] ")) {
        child.stdin.write('n\n');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(255);
    expect(stderr).toContain('reproduction aborted by the user');
    expect(existsSync(current.path('dvc.lock'))).toBe(false);
  });

  it('restores outputs from the run-cache for a combination seen before', async () => {
    const current = await chain();
    await current.tvc('repro');
    const params = await current.read('params.yaml');
    await current.write('params.yaml', params.replace('learning_rate: 0.01', 'learning_rate: 0.5'));
    await current.tvc('repro');
    expect(await current.read('model.txt')).toBe('model(lr=0.5): HELLO TVC\n');
    await current.write('params.yaml', params);
    const back = await current.tvc('repro');
    expect(back.stdout).toContain("Stage 'train' is cached - skipping run, checking out outputs");
    expect(await current.read('model.txt')).toBe('model(lr=0.01): HELLO TVC\n');
    const noCache = await current.tvc('repro', '-f', '--no-run-cache', 'train', '-s');
    expect(noCache.stdout).toContain("Running stage 'train':");
    expect(existsSync(current.path('.dvc/cache/runs'))).toBe(true);
  });

  it('a deleted output is checked out from the cache without running the stage', async () => {
    const current = await chain();
    await current.tvc('repro');
    await writeFile(current.path('model.txt'), '');
    const { rm } = await import('node:fs/promises');
    await rm(current.path('model.txt'));
    const result = await current.tvc('repro');
    expect(result.stdout).toContain("Stage 'train' is cached - skipping run, checking out outputs");
    expect(await current.read('model.txt')).toBe('model(lr=0.01): HELLO TVC\n');
    expect(await runs(current)).toEqual(['trained', 'evaluated']);
  });

  it('a missing dependency names the stage and the path', async () => {
    const current = await chain();
    const { rm } = await import('node:fs/promises');
    await rm(current.path('raw.txt'));
    const result = await current.tvc('repro');
    expect(result.code).toBe(255);
    expect(result.stderr).toContain("failed to reproduce 'prepare': dependency 'raw.txt' does not exist");
  });

  it('persistent outputs are kept and uncached outputs are hashed, not cached', async () => {
    repo = await TempRepo.create();
    const current = repo;
    await current.write(
      'dvc.yaml',
      'stages:\n  grow:\n    cmd: echo line >> log.txt && echo x > plain.txt\n    outs:\n    - log.txt:\n        persist: true\n    - plain.txt:\n        cache: false\n',
    );
    await current.tvc('repro');
    await current.tvc('repro', '-f');
    expect(await current.read('log.txt')).toBe('line\nline\n');
    const lock = await current.read('dvc.lock');
    expect(lock).toContain(
      '- path: plain.txt\n      hash: md5\n      md5: 401b30e3b8b5d629635a5c613cdb7919\n      size: 2\n',
    );
    expect(await current.read('.gitignore')).toBe('/log.txt\n');
  });

  it('--jobs 2 runs two independent sleeping stages in about half the serial time', async () => {
    repo = await TempRepo.create();
    const current = repo;
    await current.write(
      'dvc.yaml',
      'stages:\n  left:\n    cmd: sleep 2 && echo l > left.txt\n    outs: [left.txt]\n  right:\n    cmd: sleep 2 && echo r > right.txt\n    outs: [right.txt]\n',
    );
    let start = Date.now();
    const serial = await current.tvc('repro', '-f');
    const serialMs = Date.now() - start;
    start = Date.now();
    const parallel = await current.tvc('repro', '-f', '-j', '2');
    const parallelMs = Date.now() - start;
    expect(serial.code).toBe(0);
    expect(parallel.code).toBe(0);
    expect(serialMs).toBeGreaterThan(4000);
    expect(parallelMs).toBeLessThan(serialMs * 0.75);
    expect(parallel.stdout).toContain("Running stage 'left':");
    expect(parallel.stdout).toContain('[left] > sleep 2 && echo l > left.txt');
  });

  it('Ctrl+C stops the running stage, keeps finished entries, leaves no lock behind', async () => {
    repo = await TempRepo.create();
    const current = repo;
    await current.write(
      'dvc.yaml',
      'stages:\n  quick:\n    cmd: echo q > q.txt\n    outs: [q.txt]\n  slow:\n    cmd: sleep 30 && echo s > s.txt\n    deps: [q.txt]\n    outs: [s.txt]\n',
    );
    const child = spawn(process.execPath, [TVC_BIN, 'repro'], {
      cwd: current.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('> sleep 30')) resolve();
      });
    });
    const started = Date.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(code).toBe(252);
    expect(stderr).toContain('interrupted by the user');
    const lock = await current.read('dvc.lock');
    expect(lock).toContain('  quick:\n');
    expect(lock).not.toContain('  slow:\n');
    expect(existsSync(current.path('s.txt'))).toBe(false);
    expect(existsSync(current.path('.dvc/tmp/tvc.lock'))).toBe(false);
    const status = await current.tvc('status', '--json');
    expect(Object.keys(JSON.parse(status.stdout))).toEqual(['slow']);
  });

  it('a second repro while one runs gets a clear error and changes nothing', async () => {
    repo = await TempRepo.create();
    const current = repo;
    await current.write(
      'dvc.yaml',
      'stages:\n  slow:\n    cmd: sleep 3 && echo s > s.txt\n    outs: [s.txt]\n',
    );
    const child = spawn(process.execPath, [TVC_BIN, 'repro'], {
      cwd: current.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve) => {
      let seen = '';
      child.stdout.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes('> sleep 3')) resolve();
      });
    });
    const second = await current.tvc('repro');
    expect(second.code).toBe(255);
    expect(second.stderr).toMatch(
      /ERROR: the repository is locked by another tvc process \(pid \d+, `tvc repro`\)/,
    );
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
    expect(await current.read('s.txt')).toBe('s\n');
  });

  it('a corrupted cache object is detected and never linked into the workspace', async () => {
    const current = await chain();
    await current.tvc('repro');
    const lock = await current.read('dvc.lock');
    const md5 = /path: model\.txt\n\s+hash: md5\n\s+md5: (\w+)/.exec(lock)![1]!;
    const object = current.path('.dvc/cache/files/md5', md5.slice(0, 2), md5.slice(2));
    await chmod(object, 0o644);
    await writeFile(object, 'garbage');
    const status = await current.tvc('status', '--json');
    expect(JSON.parse(status.stdout)).toEqual({
      train: [{ 'changed outs': { 'model.txt': 'not in cache' } }],
    });
    const { rm } = await import('node:fs/promises');
    await rm(current.path('model.txt'));
    const result = await current.tvc('repro');
    expect(result.stdout).toContain("Running stage 'train':");
    expect(await current.read('model.txt')).toBe('model(lr=0.01): HELLO TVC\n');
    expect(await readFile(object, 'utf8')).toBe('model(lr=0.01): HELLO TVC\n');
  });

  it('checks outputs out with the link type of .dvc/config (hardlink)', async () => {
    const current = await chain();
    await current.write('.dvc/config', '[cache]\n    type = hardlink\n');
    await current.tvc('repro');
    const { rm, stat } = await import('node:fs/promises');
    await rm(current.path('model.txt'));
    const result = await current.tvc('repro');
    expect(result.stdout).toContain("Stage 'train' is cached - skipping run, checking out outputs");
    expect((await stat(current.path('model.txt'))).nlink).toBeGreaterThan(1);
    expect(await current.read('model.txt')).toBe('model(lr=0.01): HELLO TVC\n');
  });

  it('-R reproduces the stages of the pipeline files below a directory', async () => {
    repo = await TempRepo.create('pipelines-in-subdirs');
    const result = await repo.tvc('repro', '-R', 'sub');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Running stage 'sub/dvc.yaml:standalone':");
    expect(result.stdout).toContain("Running stage 'gen_a':");
    expect(result.stdout).not.toContain("Running stage 'gen_x':");
  });

  it('refuses a cached output that git tracks, as DVC does', async () => {
    repo = await TempRepo.create();
    await repo.write('dvc.yaml', 'stages:\n  make:\n    cmd: echo new > made.txt\n    outs: [made.txt]\n');
    await repo.write('made.txt', 'committed\n');
    await repo.git('add', 'made.txt', 'dvc.yaml');
    await repo.git('commit', '-q', '-m', 'track made.txt in git');
    const result = await repo.tvc('repro');
    expect(result.code).toBe(255);
    expect(result.stderr).toContain(
      "failed to reproduce 'make': output 'made.txt' is already tracked by SCM (e.g. Git)",
    );
    expect(existsSync(repo.path('.gitignore'))).toBe(false);
  });

  it('does not load a dvc.yaml that git ignores, as DVC does', async () => {
    repo = await TempRepo.create();
    await repo.write('.gitignore', 'scratch/\n');
    await repo.write('scratch/dvc.yaml', 'not: [valid');
    await repo.write('dvc.yaml', 'stages:\n  a:\n    cmd: echo a > a.txt\n    outs: [a.txt]\n');
    const result = await repo.tvc('repro');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('on a terminal, shows a live line with each running stage and its elapsed time', async () => {
    repo = await TempRepo.create();
    await repo.write(
      'dvc.yaml',
      'stages:\n  slow:\n    cmd: sleep 1.5 && echo s > s.txt\n    outs: [s.txt]\n',
    );
    const { execFile } = await import('node:child_process');
    // `script` gives tvc a pseudo-terminal, as a user's shell would.
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        'script',
        ['-qfec', `${JSON.stringify(process.execPath)} ${JSON.stringify(TVC_BIN)} repro`, '/dev/null'],
        { cwd: repo!.dir, env: { ...process.env, CI: '', COLUMNS: '100' } },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
    });
    expect(output).toMatch(/\u23f5 slow \d+\.\ds/);
    expect(output).toContain("Running stage 'slow':");
  });

  it('when stdout is not a terminal, prints plain lines only', async () => {
    repo = await TempRepo.create();
    await repo.write(
      'dvc.yaml',
      'stages:\n  slow:\n    cmd: sleep 0.5 && echo s > s.txt\n    outs: [s.txt]\n',
    );
    const result = await repo.tvc('repro');
    expect(result.stdout).not.toMatch(/\u001b|\r/);
  });
});
