import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCache } from './crash/invariants';
import { assertNoUnexpectedError, comparisonDvc, dvc, listFiles, TempRepo, TVC_BIN, tvc } from './harness';

/**
 * `tvc gc` against the real DVC: one project is built with tvc's commands (branches, a tag,
 * several commits, a tracked directory, pipeline outputs (a file and a directory), an experiment,
 * a `.dvc` file deleted after an old commit, a repository import, run-cache entries, garbage),
 * then for each set of flags it is copied twice, `dvc gc FLAGS -f` runs in one copy and
 * `tvc gc FLAGS -f` in the other, and the files surviving under `.dvc/cache` (objects and the
 * run-cache) must be the same, as must the messages.
 */
const binary = comparisonDvc('tvc gc');
const run = promisify(execFile);

const made: string[] = [];
let base: TempRepo;

async function ok(repo: TempRepo, ...args: string[]): Promise<void> {
  const result = await repo.tvc(...args);
  if (result.code !== 0) throw new Error(`tvc ${args.join(' ')}: ${result.stderr}${result.stdout}`);
}

async function commitAll(repo: TempRepo, message: string): Promise<void> {
  await repo.git('add', '-A');
  await repo.git('commit', '-q', '-m', message);
}

/** A copy of the project (git, cache and all) in a new temporary directory. */
async function copy(source: string): Promise<string> {
  const parent = await mkdtemp(path.join(tmpdir(), 'tvc-gc-'));
  made.push(parent);
  const dir = path.join(parent, 'project');
  await run('cp', ['-a', source, dir]);
  return dir;
}

const cacheFiles = (dir: string) => listFiles(path.join(dir, '.dvc', 'cache'));

/** The messages, with the copy's directory replaced and the `Removing` lines (unordered in DVC) sorted. */
function normalised(text: string, dir: string): string {
  const lines = text.split(dir).join('<repo>').split('\n');
  const removing = lines.filter((line) => line.startsWith('Removing ')).sort();
  return [...removing, ...lines.filter((line) => !line.startsWith('Removing '))].join('\n');
}

async function gcBoth(flags: string[]): Promise<{ dvc: string[]; tvc: string[]; before: string[] }> {
  const theirs = await copy(base.dir);
  const ours = await copy(base.dir);
  const before = await cacheFiles(theirs);
  const dvcRun = await dvc(theirs, 'gc', ...flags);
  const tvcRun = await tvc(ours, 'gc', ...flags);
  expect({ flags, code: tvcRun.code, stdout: normalised(tvcRun.stdout, ours) }).toEqual({
    flags,
    code: dvcRun.code,
    stdout: normalised(dvcRun.stdout, theirs),
  });
  expect(tvcRun.stderr.split('\n')[0]).toBe(dvcRun.stderr.split('\n')[0]);
  return { dvc: await cacheFiles(theirs), tvc: await cacheFiles(ours), before };
}

afterAll(async () => {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
  await base?.remove();
});

describe.skipIf(!binary)('tvc gc keeps what dvc gc keeps', () => {
  beforeAll(async () => {
    // The source of a repository import.
    const source = await TempRepo.create();
    made.push(source.dir);
    await source.write('shared.txt', 'shared data\n');
    await ok(source, 'add', 'shared.txt');
    await commitAll(source, 'source');

    base = await TempRepo.create();
    const repo = base;
    await repo.write('params.yaml', 'seed: 1\n');
    await repo.write(
      'dvc.yaml',
      [
        'stages:',
        '  train:',
        '    cmd: cat raw.txt params.yaml > model.txt',
        '    deps: [raw.txt]',
        '    params: [seed]',
        '    outs: [model.txt]',
        '  feats:',
        '    cmd: mkdir -p feats && cp raw.txt feats/r && cp params.yaml feats/p',
        '    deps: [raw.txt]',
        '    params: [seed]',
        '    outs: [feats]',
        '',
      ].join('\n'),
    );
    await repo.write('raw.txt', 'raw 1\n');
    await repo.write('images/a.png', 'a1\n');
    await repo.write('images/b.png', 'b1\n');
    await repo.write('old.txt', 'old\n');
    await ok(repo, 'add', 'images', 'old.txt');
    await ok(repo, 'repro');
    await commitAll(repo, 'one');
    await repo.git('tag', 'v1');

    await repo.write('raw.txt', 'raw 2\n');
    await repo.write('images/a.png', 'a2\n');
    await repo.write('images/c.png', 'c2\n');
    await ok(repo, 'add', 'images');
    await ok(repo, 'repro');
    await commitAll(repo, 'two');

    await repo.git('checkout', '-q', '-b', 'side');
    await repo.write('raw.txt', 'raw side\n');
    await ok(repo, 'repro');
    await commitAll(repo, 'side');
    await repo.git('checkout', '-q', 'main');
    await ok(repo, 'checkout', '-f');

    // A .dvc file gone from the last commit; an import; another version of raw.txt.
    await repo.git('rm', '-q', 'old.txt.dvc');
    await ok(repo, 'import', source.dir, 'shared.txt', '-o', 'shared.txt');
    await repo.write('raw.txt', 'raw 3\n');
    await ok(repo, 'repro');
    await commitAll(repo, 'three');

    // An experiment (its commit under refs/exps), then the workspace back at HEAD.
    await ok(repo, 'exp', 'run', '-S', 'seed=7');
    await repo.git('checkout', '-q', '--', '.');
    await ok(repo, 'checkout', '-f');

    // Uncommitted workspace changes and garbage: data added then untracked, a temporary a killed
    // tvc left, a DVC 2 object nobody uses.
    await repo.write('raw.txt', 'raw workspace\n');
    await ok(repo, 'repro');
    await repo.write('scratch.txt', 'scratch\n');
    await ok(repo, 'add', 'scratch.txt');
    await rm(repo.path('scratch.txt.dvc'));
    await repo.write('.dvc/cache/files/md5/ab/.cdef0123.999999-0123456789ab.tmp', 'half');
    await repo.write('.dvc/cache/0f/0123456789abcdef0123456789abcd', 'legacy\n');
  }, 240_000);

  it('the project has objects for every scope and run-cache entries', async () => {
    const files = await cacheFiles(base.dir);
    expect(files.filter((file) => file.startsWith('runs/')).length).toBeGreaterThan(3);
    expect(files.filter((file) => file.endsWith('.dir')).length).toBeGreaterThan(4);
    expect(await base.git('for-each-ref', 'refs/exps')).toMatch(/refs\/exps\//);
  });

  const cases: string[][] = [
    ['-w'],
    ['-a'],
    ['-T'],
    ['-A'],
    ['--all-experiments'],
    ['--rev', 'v1'],
    ['--rev', 'HEAD~1', '-n', '2'],
    ['-a', '-n', '2'],
    ['-a', '-T', '--all-experiments'],
    ['--date', '2000-01-01'],
    ['-a', '--date', '2999-01-01'],
    ['-w', '--dry'],
  ];
  const survivors = new Map<string, string[]>();
  for (const flags of cases) {
    it(`gc ${flags.join(' ')}`, async () => {
      const result = await gcBoth([...flags, ...(flags.includes('--dry') ? [] : ['-f'])]);
      expect(result.tvc).toEqual(result.dvc);
      survivors.set(flags.join(' '), result.tvc);
      if (flags.includes('--dry')) expect(result.tvc).toEqual(result.before);
      else expect(result.tvc.length).toBeLessThan(result.before.length);
    }, 120_000);
  }

  it('the scopes keep different sets (the comparisons above are not all alike)', () => {
    const w = survivors.get('-w');
    const all = survivors.get('-A');
    const exps = survivors.get('--all-experiments');
    expect(w && all && exps).toBeTruthy();
    expect(all!.length).toBeGreaterThan(w!.length);
    expect(exps!.length).toBeGreaterThan(w!.length);
    expect(new Set([...survivors.values()].map((files) => files.join('\n'))).size).toBeGreaterThan(4);
  });

  it('refuses without a scope, --num alone, or -f on a stdin that is no terminal, as dvc does', async () => {
    for (const flags of [[], ['-n', '2', '-w'], ['-w']]) {
      const theirs = await copy(base.dir);
      const ours = await copy(base.dir);
      const dvcRun = await dvc(theirs, 'gc', ...flags);
      const tvcRun = await tvc(ours, 'gc', ...flags);
      expect({ flags, code: tvcRun.code }).toEqual({ flags, code: dvcRun.code });
      expect(tvcRun.code).not.toBe(0);
      expect(await cacheFiles(ours)).toEqual(await cacheFiles(theirs));
      if (flags.length === 0) expect(tvcRun.stderr.split('\n')[0]).toBe(dvcRun.stderr.split('\n')[0]);
    }
  }, 120_000);

  it('a used directory whose manifest is missing: with -f its files are let go, as DVC', async () => {
    const theirs = await copy(base.dir);
    const ours = await copy(base.dir);
    const manifest = (await cacheFiles(theirs)).filter((file) => file.endsWith('.dir'));
    const used = await base.read('images.dvc');
    const md5 = /md5: ([0-9a-f]{32})\.dir/.exec(used)![1]!;
    expect(manifest).toContain(`files/md5/${md5.slice(0, 2)}/${md5.slice(2)}.dir`);
    for (const dir of [theirs, ours])
      await rm(path.join(dir, '.dvc/cache/files/md5', md5.slice(0, 2), `${md5.slice(2)}.dir`));
    const dvcRun = await dvc(theirs, 'gc', '-w', '-f');
    const tvcRun = await tvc(ours, 'gc', '-w', '-f');
    expect(tvcRun.stdout).toBe(dvcRun.stdout);
    expect(await cacheFiles(ours)).toEqual(await cacheFiles(theirs));
  }, 120_000);

  it('a revision that cannot be read stops the gc, or is skipped with --skip-failed; -q prints nothing', async () => {
    const dirs = [await copy(base.dir), await copy(base.dir)];
    for (const dir of dirs) {
      const git = (...args: string[]) => run('git', args, { cwd: dir });
      await git('checkout', '-q', '-b', 'broken');
      await writeFile(path.join(dir, 'dvc.yaml'), 'stages:\n  x:\n    cmd: [\n');
      await git('commit', '-q', '-am', 'broken');
      await git('checkout', '-q', 'main');
    }
    const [theirs, ours] = dirs as [string, string];
    const before = await cacheFiles(ours);
    const dvcFailed = await dvc(theirs, 'gc', '-a', '-f');
    const tvcFailed = await tvc(ours, 'gc', '-a', '-f');
    expect(tvcFailed.code).toBe(dvcFailed.code);
    expect(tvcFailed.stderr).toMatch(/^ERROR: Failed to collect 'broken': /m);
    expect(await cacheFiles(ours)).toEqual(before);
    const dvcSkipped = await dvc(theirs, 'gc', '-a', '-f', '--skip-failed');
    const tvcSkipped = await tvc(ours, 'gc', '-a', '-f', '--skip-failed');
    expect(tvcSkipped.stdout).toBe(dvcSkipped.stdout);
    expect(tvcSkipped.stderr).toContain("WARNING: Failed to collect 'broken', skipping");
    expect(await cacheFiles(ours)).toEqual(await cacheFiles(theirs));
    const quiet = await tvc(ours, 'gc', '-w', '-f', '-q');
    const dvcQuiet = await dvc(theirs, 'gc', '-w', '-f', '-q');
    expect({ code: quiet.code, stdout: quiet.stdout, stderr: quiet.stderr }).toEqual({
      code: dvcQuiet.code,
      stdout: dvcQuiet.stdout,
      stderr: dvcQuiet.stderr,
    });
  }, 120_000);

  it('rejects -p for now, and -c or --not-in-remote without a remote as DVC, removing nothing', async () => {
    const ours = await copy(base.dir);
    const before = await cacheFiles(ours);
    for (const flags of [['-w', '-p', '.']]) {
      const result = await tvc(ours, 'gc', ...flags, '-f');
      expect(result.code).toBe(255);
      expect(result.stderr).toMatch(/^ERROR: tvc gc cannot/);
    }
    for (const flags of [
      ['-w', '-c'],
      ['-w', '-c', '-r', 'x'],
      ['-w', '--not-in-remote'],
    ]) {
      const result = await tvc(ours, 'gc', ...flags, '-f');
      const theirs = await dvc(ours, 'gc', ...flags, '-f');
      expect(result.code).toBe(251);
      expect(theirs.code).toBe(251);
      const error = (text: string) =>
        text
          .split('\n')
          .find((line) => line.startsWith('ERROR:'))
          ?.replace(/`?dvc /, '')
          .replace(/`?tvc /, '');
      expect(error(result.stderr)).toBe(error(theirs.stderr));
    }
    expect(await cacheFiles(ours)).toEqual(before);
  }, 60_000);

  it('the project still works after a gc: status agrees with DVC, checkout of the workspace', async () => {
    const ours = await copy(base.dir);
    expect((await tvc(ours, 'gc', '-w', '-f')).code).toBe(0);
    const tvcStatus = await tvc(ours, 'status', '--json');
    const dvcStatus = await dvc(ours, 'status', '--json');
    expect(tvcStatus.code).toBe(0);
    expect(JSON.parse(tvcStatus.stdout)).toEqual(JSON.parse(dvcStatus.stdout));
    expect((await tvc(ours, 'checkout')).code).toBe(0);
    expect((await checkCache(ours)).violations).toEqual([]);
    // The run-cache still knows the first run, whose output the gc took: repro runs it again.
    const theirs = await copy(ours);
    for (const dir of [ours, theirs]) {
      await run('git', ['checkout', '-q', 'v1', '--', 'params.yaml'], { cwd: dir });
      await writeFile(path.join(dir, 'raw.txt'), 'raw 1\n');
    }
    const dvcRepro = await dvc(theirs, 'repro', 'train');
    const tvcRepro = await tvc(ours, 'repro', 'train');
    expect(tvcRepro.code, tvcRepro.stderr).toBe(0);
    expect(dvcRepro.code, dvcRepro.stderr).toBe(0);
    expect(tvcRepro.stdout).toContain("Running stage 'train'");
    expect(await base.read('model.txt')).not.toBe('raw 1\nseed: 1\n');
    expect(readFileSync(path.join(ours, 'model.txt'), 'utf8')).toBe('raw 1\nseed: 1\n');
  }, 120_000);

  it('SIGKILLed at random moments, it leaves only whole objects and a project both tools read', async () => {
    // A bigger directory in three versions, so that the removals take a while.
    const big = await copy(base.dir);
    for (let version = 0; version < 3; version++) {
      for (let index = 0; index < 400; index++) {
        await writeFile(path.join(big, `images/f${index}.png`), `v${version} ${index}\n`);
      }
      const added = await tvc(big, 'add', 'images');
      expect(added.code, added.stderr).toBe(0);
    }
    // An uninterrupted gc: how long it takes, what it keeps.
    const timing = await copy(big);
    const all = await cacheFiles(timing);
    const started = Date.now();
    expect((await tvc(timing, 'gc', '-T', '-f')).code).toBe(0);
    const duration = Date.now() - started;
    const kept = await cacheFiles(timing);
    const goneFirst = all.filter((file) => file.endsWith('.dir') && !kept.includes(file));
    expect(goneFirst.length).toBeGreaterThan(0);
    const outcomes: string[] = [];
    for (let trial = 0; trial < 5; trial++) {
      const dir = await copy(big);
      const child = spawn(process.execPath, [TVC_BIN, 'gc', '-T', '-f'], {
        cwd: dir,
        stdio: 'ignore',
        env: { ...process.env, NO_COLOR: '1' },
      });
      let done = false;
      const exited = new Promise<void>((resolve) =>
        child.on('exit', () => {
          done = true;
          resolve();
        }),
      );
      let delay: number;
      if (trial < 2) {
        // Anywhere in the run (reading revisions, or removing).
        delay = Math.floor(duration * Math.random());
        await new Promise((resolve) => setTimeout(resolve, delay));
      } else {
        // Once the removals have begun (the first unused manifest is gone), a little later.
        const watched = goneFirst.map((file) => path.join(dir, '.dvc', 'cache', file));
        while (!done && watched.every((file) => existsSync(file))) await new Promise((r) => setTimeout(r, 1));
        delay = Math.floor(40 * Math.random());
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
      child.kill('SIGKILL');
      await exited;
      const after = await cacheFiles(dir);
      outcomes.push(
        `trial ${trial}: killed after ${delay}ms, ${all.length - after.length} of ${all.length - kept.length} removed`,
      );
      const { violations } = await checkCache(dir);
      expect({ trial, delay, violations }).toEqual({ trial, delay, violations: [] });
      for (const file of kept) expect(after).toContain(file);
      const tvcStatus = assertNoUnexpectedError('tvc status', await tvc(dir, 'status'));
      expect(tvcStatus.code, tvcStatus.stderr).toBe(0);
      const dvcStatus = await dvc(dir, 'status');
      expect(dvcStatus.code, dvcStatus.stderr).toBe(0);
      // The next gc finishes the job: the same survivors as an uninterrupted one.
      expect((await tvc(dir, 'gc', '-T', '-f')).code).toBe(0);
      expect(await cacheFiles(dir)).toEqual(kept);
    }
    if (process.env.GC_KILL_PROGRESS === '1') console.log(outcomes.join('\n'));
  }, 400_000);
});
