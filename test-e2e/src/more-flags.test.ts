import { existsSync, lstatSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { comparisonDvc, type RunResult, TempRepo } from './harness';

/**
 * More of DVC's flags tvc lacked (issue 18): checkout `--with-deps`/`--allow-missing`, commit
 * `--with-deps`/`--no-relink`, add `--force`/`--no-relink`. Each scenario runs in one repository
 * with tvc and, when DVC is at hand, in another with DVC; what the user sees is compared.
 */
const DVC = comparisonDvc('the checkout, commit and add flags');

type Tool = 'tvc' | 'dvc';

const PIPELINE =
  'stages:\n' +
  '  a:\n    cmd: echo a > a.txt\n    outs: [a.txt]\n' +
  '  b:\n    cmd: cat a.txt > b.txt\n    deps: [a.txt]\n    outs: [b.txt]\n';

const repos: TempRepo[] = [];

async function fresh(): Promise<TempRepo> {
  const repo = await TempRepo.create();
  repos.push(repo);
  return repo;
}

function run(repo: TempRepo, tool: Tool, ...args: string[]): Promise<RunResult> {
  return tool === 'tvc' ? repo.tvc(...args) : repo.dvc(...args);
}

/** The a → b pipeline, reproduced (by tvc) and committed to git. */
async function pipeline(): Promise<TempRepo> {
  const repo = await fresh();
  await repo.write('dvc.yaml', PIPELINE);
  expect((await repo.tvc('repro', '-q')).code).toBe(0);
  await repo.git('add', '-A');
  await repo.git('commit', '-q', '-m', 'ran');
  return repo;
}

/** Runs `scenario` with tvc and, at the same time in another repository, with DVC when it is at hand. */
async function both<T>(scenario: (tool: Tool) => Promise<T>): Promise<{ ours: T; theirs: T | undefined }> {
  const [ours, theirs] = await Promise.all([scenario('tvc'), DVC ? scenario('dvc') : undefined]);
  return { ours, theirs };
}

function isLink(file: string): boolean {
  return lstatSync(file).isSymbolicLink();
}

describe('more missing DVC flags', () => {
  afterEach(async () => {
    await Promise.all(repos.splice(0).map((repo) => repo.remove()));
  });

  it('checkout --with-deps also checks out the upstream stages, as DVC', async () => {
    const { ours, theirs } = await both(async (tool) => {
      const repo = await pipeline();
      await rm(repo.path('a.txt'));
      await rm(repo.path('b.txt'));
      const plain = await run(repo, tool, 'checkout', 'b');
      const plainA = existsSync(repo.path('a.txt'));
      const deps = await run(repo, tool, 'checkout', '--with-deps', 'b');
      return { plain: plain.stdout, plainA, deps: deps.stdout, code: deps.code, a: await repo.read('a.txt') };
    });
    expect(ours).toEqual({
      plain: 'A       b.txt\n',
      plainA: false,
      deps: 'A       a.txt\n',
      code: 0,
      a: 'a\n',
    });
    if (theirs) expect(ours).toEqual(theirs);
  });

  it('checkout --allow-missing succeeds when outputs are missing from the cache, as DVC', async () => {
    const { ours, theirs } = await both(async (tool) => {
      const repo = await pipeline();
      await rm(repo.path('a.txt'));
      await rm(repo.path('.dvc/cache/files'), { recursive: true, force: true });
      const strict = await run(repo, tool, 'checkout');
      const allowed = await run(repo, tool, 'checkout', '--allow-missing');
      return {
        strict: strict.code !== 0,
        allowed: allowed.code,
        failed: /Checkout failed/.test(allowed.stderr),
        a: existsSync(repo.path('a.txt')),
        b: await repo.read('b.txt'),
      };
    });
    expect(ours).toEqual({ strict: true, allowed: 0, failed: false, a: false, b: 'a\n' });
    if (theirs) expect(ours).toEqual(theirs);
  });

  it('commit --with-deps also commits the upstream stages (dvc.lock as DVC writes it)', async () => {
    const { ours, theirs } = await both(async (tool) => {
      const repo = await pipeline();
      await repo.write('a.txt', 'A\n');
      await repo.write('b.txt', 'B\n');
      expect((await run(repo, tool, 'commit', '-f', 'b')).code).toBe(0);
      const plain = await repo.read('dvc.lock');
      expect((await run(repo, tool, 'commit', '-f', '--with-deps', 'b')).code).toBe(0);
      return { plain, deps: await repo.read('dvc.lock') };
    });
    // without -d only b's entry changes: a.txt keeps its old hash (a\n)
    expect(ours.plain).toContain('60b725f10c9c85c70d97880dfe8191b3');
    expect(ours.deps).not.toContain('60b725f10c9c85c70d97880dfe8191b3');
    expect(ours.deps).toContain('b.txt\n      hash: md5\n      md5: 30cf3d7d133b08543cb6c8933c29dfd7');
    if (theirs) expect(ours).toEqual(theirs);
  });

  it('add --no-relink and commit --no-relink leave the workspace file as it is, as DVC', async () => {
    const { ours, theirs } = await both(async (tool) => {
      const repo = await fresh();
      expect((await repo.tvc('config', 'cache.type', 'symlink')).code).toBe(0);
      await repo.write('d.txt', 'x\n');
      await repo.write('e.txt', 'e\n');
      expect((await run(repo, tool, 'add', '--no-relink', 'd.txt')).code).toBe(0);
      expect((await run(repo, tool, 'add', 'e.txt')).code).toBe(0);
      const added = { d: isLink(repo.path('d.txt')), e: isLink(repo.path('e.txt')) };
      await repo.write('d.txt', 'y\n');
      await rm(repo.path('e.txt'));
      await repo.write('e.txt', 'f\n');
      expect((await run(repo, tool, 'commit', '-f', '--no-relink', 'd.txt.dvc')).code).toBe(0);
      expect((await run(repo, tool, 'commit', '-f', 'e.txt.dvc')).code).toBe(0);
      const committed = { d: isLink(repo.path('d.txt')), e: isLink(repo.path('e.txt')) };
      const cached = existsSync(repo.path('.dvc/cache/files/md5/00/9520053b00386d1173f3988c55d192'));
      return { added, committed, cached, dvcFile: await repo.read('d.txt.dvc') };
    });
    expect(ours.added).toEqual({ d: false, e: true });
    expect(ours.committed).toEqual({ d: false, e: true });
    expect(ours.cached).toBe(true);
    if (theirs) expect(ours).toEqual(theirs);
  });

  it('add -o refuses a path that exists, and --force overwrites it, as DVC', async () => {
    const { ours, theirs } = await both(async (tool) => {
      const repo = await fresh();
      await repo.write('in.txt', 'hi\n');
      await repo.write('out.txt', 'old\n');
      const refused = await run(repo, tool, 'add', '-o', 'out.txt', 'in.txt');
      const kept = await repo.read('out.txt');
      const forced = await run(repo, tool, 'add', '-f', '-o', 'out.txt', 'in.txt');
      return {
        refused: refused.code !== 0,
        message: /The file 'out.txt' already exists locally/.test(refused.stderr),
        hint: /re-run with '--force'/.test(refused.stderr),
        kept,
        forced: forced.code,
        out: await repo.read('out.txt'),
        dvcFile: existsSync(repo.path('out.txt.dvc')),
      };
    });
    expect(ours).toEqual({
      refused: true,
      message: true,
      hint: true,
      kept: 'old\n',
      forced: 0,
      out: 'hi\n',
      dvcFile: true,
    });
    if (theirs) expect(ours).toEqual(theirs);
  });

  it('status --no-updates does not check an import for updates, as DVC', async () => {
    const source = await fresh();
    await source.write('d.txt', 'one\n');
    expect((await source.tvc('add', '-q', 'd.txt')).code).toBe(0);
    await source.git('add', '-A');
    await source.git('commit', '-q', '-m', 'one');
    const { ours, theirs } = await both(async (tool) => {
      const repo = await fresh();
      const imported = await run(repo, tool, 'import', '-q', source.dir, 'd.txt');
      expect(imported.code, imported.stderr).toBe(0);
      return repo;
    }).then(async ({ ours, theirs }) => {
      await source.write('d.txt', 'two\n');
      expect((await source.tvc('add', '-q', 'd.txt')).code).toBe(0);
      await source.git('commit', '-q', '-a', '-m', 'two');
      const look = async (repo: TempRepo, tool: Tool) => ({
        checked: (await run(repo, tool, 'status', '--json')).stdout,
        skipped: (await run(repo, tool, 'status', '--no-updates', '--json')).stdout,
        text: (await run(repo, tool, 'status', '--no-updates')).stdout,
      });
      return { ours: await look(ours, 'tvc'), theirs: theirs ? await look(theirs, 'dvc') : undefined };
    });
    expect(ours.checked).toContain('update available');
    expect(ours.skipped).toBe('{}\n');
    expect(ours.text).toBe('Data and pipelines are up to date.\n');
    if (theirs) {
      expect(ours.checked.replaceAll(source.dir, 'SRC')).toBe(theirs.checked.replaceAll(source.dir, 'SRC'));
      expect(ours.skipped).toBe(theirs.skipped);
      expect(ours.text).toBe(theirs.text);
    }
  });

  it('exp remove --keep removes every experiment but the named ones, as DVC', async () => {
    const { ours, theirs } = await both(async (tool) => {
      const repo = await fresh();
      for (const name of ['e1', 'e2', 'e3']) {
        await repo.write('n.txt', `${name}\n`);
        expect((await repo.tvc('exp', 'save', '-q', '-n', name, '-I', 'n.txt')).code).toBe(0);
      }
      const queueToo = await run(repo, tool, 'exp', 'remove', '--keep', '--queue');
      const removed = await run(repo, tool, 'exp', 'remove', '--keep', 'e2');
      const left = (await run(repo, tool, 'exp', 'list', '--name-only')).stdout;
      return {
        refused: queueToo.code !== 0,
        removed: removed.stdout.match(/'e\d'/g)?.sort(),
        left,
      };
    });
    expect(ours).toEqual({ refused: true, removed: ["'e1'", "'e3'"], left: 'e2\n' });
    if (theirs) expect(ours).toEqual(theirs);
  });

  it('exp save accepts targets and -R (DVC 3.67.1 still commits every .dvc file)', async () => {
    const { ours, theirs } = await both(async (tool) => {
      const repo = await fresh();
      await repo.write('data/x.txt', 'x\n');
      await repo.write('y.txt', 'y\n');
      expect((await run(repo, tool, 'add', '-q', 'data/x.txt', 'y.txt')).code).toBe(0);
      await repo.git('add', '-A');
      await repo.git('commit', '-q', '-m', 'data');
      await repo.write('data/x.txt', 'X\n');
      await repo.write('y.txt', 'Y\n');
      const saved = await run(repo, tool, 'exp', 'save', '-R', 'data', '-n', 's');
      const refs = (await repo.git('for-each-ref', '--format=%(refname)', 'refs/exps')).split('\n');
      const ref = refs.find((line) => line.endsWith('/s'));
      return {
        code: saved.code,
        stdout: saved.stdout,
        x: await repo.git('show', `${ref}:data/x.txt.dvc`),
        y: await repo.git('show', `${ref}:y.txt.dvc`),
      };
    });
    expect(ours.code).toBe(0);
    expect(ours.stdout).toContain('Experiment has been saved as: s');
    expect(ours.x).toContain('253bcac7dd806bb7cf57dc19f71f2fa0');
    expect(ours.y).toContain('f8caf16cb8f98353e7c5c0875b146714');
    if (theirs) expect(ours).toEqual(theirs);
  });
});
