import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { comparisonDvc, listFiles, TempRepo, TVC_BIN, tvc } from './harness';

/**
 * Data commands against the real DVC: the same command on two copies of the same repository
 * must leave the same files (`.dvc` files, `.gitignore` lines, cache objects) byte for byte, and
 * each tool's `status` must be clean after the other's checkout.
 */
const binary = comparisonDvc('data commands');

const repos: TempRepo[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) await repo.remove();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function repo(): Promise<TempRepo> {
  const created = await TempRepo.create();
  repos.push(created);
  return created;
}

/**
 * Every file of a repository but git's and DVC's scratch space, with its bytes (DVC 3.67 leaves
 * a `.<random>.tmp` copy in the cache after `add -o`: not an object, so not compared).
 */
async function snapshot(root: string): Promise<Record<string, string>> {
  const files = (await listFiles(root)).filter(
    (file) =>
      !file.startsWith('.git/') &&
      !file.startsWith('.dvc/tmp/') &&
      !file.startsWith('.dvc/cache/runs/') &&
      !/^\.dvc\/cache\/.*\/\.[^/]*\.tmp$/.test(file),
  );
  return Object.fromEntries(files.map((file) => [file, readFileSync(path.join(root, file), 'latin1')]));
}

type Setup = (repo: TempRepo) => Promise<void>;

const DATA: Setup = async (repo) => {
  await repo.write('data/raw.csv', 'a,b\n1,2\n');
  await repo.write('data/images/cat.txt', 'meow\n');
  await repo.write('data/images/nested/dog.txt', 'woof\n');
  await repo.write('data/images/nested/same.txt', 'meow\n');
  await repo.write('one.txt', '1\n');
  await repo.write('other.txt', '2\n');
  await repo.write('notes.md', 'x\n');
  await repo.write('run.sh', 'echo hi\n');
  await mkdir(repo.path('empty'), { recursive: true });
  await repo.write('sp ace é.txt', 'x\n');
  await repo.write('dir ü/ä b', 'y\n');
  chmodSync(repo.path('run.sh'), 0o755);
};

/** Runs `setup` and the same command list through DVC in one repository and tvc in another. */
async function both(setup: Setup, commands: string[][]) {
  const [theirs, ours] = [await repo(), await repo()];
  await setup(theirs);
  await setup(ours);
  const results = [];
  for (const command of commands) {
    const dvcResult = await theirs.dvc(...command);
    const tvcResult = await ours.tvc(...command);
    results.push({ command, dvc: dvcResult, tvc: tvcResult });
  }
  return { theirs, ours, results };
}

/** A `git clone` of `source` (a fresh checkout: no data, no cache). */
function clone(source: TempRepo, withCache: boolean): string {
  const parent = mkdtempSync(path.join(tmpdir(), 'tvc-e2e-clone-'));
  dirs.push(parent);
  const dir = path.join(parent, 'clone');
  execFileSync('git', ['clone', '-q', source.dir, dir]);
  if (withCache) cpSync(source.path('.dvc', 'cache'), path.join(dir, '.dvc', 'cache'), { recursive: true });
  return dir;
}

async function commitAll(repo: TempRepo): Promise<void> {
  await repo.git('add', '-A');
  await repo.git('commit', '-q', '-m', 'data');
}

describe.skipIf(!binary)('tvc add writes what dvc add writes', () => {
  const cases: [string, string[][]][] = [
    ['a file', [['add', 'data/raw.csv']]],
    ['a directory with nested directories', [['add', 'data/images']]],
    ['several targets, an executable among them', [['add', 'one.txt', 'run.sh', 'data/raw.csv']]],
    ['--glob', [['add', '--glob', 'o*.txt']]],
    ['-o/--out', [['add', 'notes.md', '-o', 'data/notes-copy.md']]],
    ['--no-commit', [['add', '--no-commit', 'one.txt']]],
    [
      'a re-add after a change',
      [
        ['add', 'data/images'],
        ['add', 'data/raw.csv'],
      ],
    ],
    [
      'an empty directory, names with spaces and non-ASCII letters',
      [['add', 'empty', 'sp ace é.txt', 'dir ü']],
    ],
  ];
  for (const [name, commands] of cases) {
    it(name, async () => {
      const { theirs, ours, results } = await both(DATA, commands);
      for (const result of results) {
        expect(result.tvc.code, result.tvc.stderr).toBe(0);
        expect(result.dvc.code, result.dvc.stderr).toBe(0);
      }
      expect(await snapshot(ours.dir)).toEqual(await snapshot(theirs.dir));
    });
  }

  it('re-adding a changed directory records the new content', async () => {
    const { theirs, ours } = await both(DATA, [['add', 'data/images']]);
    for (const side of [theirs, ours]) {
      await side.write('data/images/nested/dog.txt', 'WOOF\n');
      await side.write('data/images/new.txt', 'new\n');
    }
    expect((await theirs.dvc('add', 'data/images')).code).toBe(0);
    expect((await ours.tvc('add', 'data/images')).code).toBe(0);
    expect(await snapshot(ours.dir)).toEqual(await snapshot(theirs.dir));
  });

  it('says how to stage the files in git', async () => {
    const ours = await repo();
    await DATA(ours);
    const result = await ours.tvc('add', 'data/raw.csv');
    // DVC's text, with tvc's command for auto staging
    expect(result.stdout).toBe(
      '\nTo track the changes with git, run:\n\n\tgit add data/raw.csv.dvc data/.gitignore\n\nTo enable auto staging, run:\n\n\ttvc config core.autostage true\n',
    );
    expect((await ours.tvc('add', '-q', 'one.txt')).stdout).toBe('');
  });

  it('refuses a stage output and a git-tracked file, as DVC does', async () => {
    const setup: Setup = async (side) => {
      await side.write('dvc.yaml', 'stages:\n  s:\n    cmd: echo hi > so.txt\n    outs:\n    - so.txt\n');
      await side.write('so.txt', 'hi\n');
      await side.write('tracked.txt', 't\n');
      await side.git('add', 'tracked.txt', 'dvc.yaml');
      await side.git('commit', '-q', '-m', 'tracked');
    };
    const { theirs, ours, results } = await both(setup, [
      ['add', 'so.txt'],
      ['add', 'tracked.txt'],
      ['add', 'nothing'],
    ]);
    const [stageOutput, tracked, missing] = results;
    for (const result of results) {
      expect(result.dvc.code).not.toBe(0);
      expect(result.tvc.code).not.toBe(0);
    }
    expect(stageOutput!.tvc.stderr).toContain(
      "cannot update 'so.txt': overlaps with an output of stage: 's' in 'dvc.yaml'.",
    );
    expect(tracked!.tvc.stderr).toContain("output 'tracked.txt' is already tracked by SCM (e.g. Git)");
    expect(missing!.tvc.stderr).toContain("output 'nothing' does not exist");
    expect(await snapshot(ours.dir)).toEqual(await snapshot(theirs.dir));
  });
});

describe.skipIf(!binary)('tvc checkout', () => {
  async function added(tool: 'dvc' | 'tvc'): Promise<TempRepo> {
    const side = await repo();
    await DATA(side);
    const result = await side[tool]('add', 'data/raw.csv', 'data/images', 'run.sh');
    expect(result.code, result.stderr).toBe(0);
    await commitAll(side);
    return side;
  }

  it('fills a fresh clone from the cache; DVC then finds it clean', async () => {
    const source = await added('tvc');
    const dir = clone(source, true);
    const result = await tvc(dir, 'checkout');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'A       data/images/',
      'A       data/raw.csv',
      'A       run.sh',
    ]);
    expect(readFileSync(path.join(dir, 'data/images/nested/dog.txt'), 'utf8')).toBe('woof\n');
    expect(statSync(path.join(dir, 'run.sh')).mode & 0o100).not.toBe(0);
    const status = execFileSync(binary!, ['status', '--json'], { cwd: dir, encoding: 'utf8' });
    expect(JSON.parse(status)).toEqual({});
    expect((await tvc(dir, 'checkout', '--summary')).stdout).toBe('No changes.\n');
  });

  it("after DVC's checkout of DVC's files, tvc status is clean", async () => {
    const source = await added('dvc');
    const dir = clone(source, true);
    execFileSync(binary!, ['checkout', '-q'], { cwd: dir });
    const status = await tvc(dir, 'status');
    expect(status.stdout).toBe('Data and pipelines are up to date.\n');
  });

  it('prints the summary DVC prints', async () => {
    const source = await added('tvc');
    const dir = clone(source, true);
    const ours = await tvc(dir, 'checkout', '--summary');
    const other = clone(source, true);
    const theirs = execFileSync(binary!, ['checkout', '--summary'], { cwd: other, encoding: 'utf8' });
    expect(ours.stdout).toBe(theirs);
  });

  it('a target inside a tracked directory restores only that part, as DVC', async () => {
    const source = await added('tvc');
    const ours = clone(source, true);
    const theirs = clone(source, true);
    const result = await tvc(ours, 'checkout', 'data/images/nested');
    expect(result.code, result.stderr).toBe(0);
    const expected = execFileSync(binary!, ['checkout', 'data/images/nested'], {
      cwd: theirs,
      encoding: 'utf8',
    });
    expect(result.stdout).toBe(expected);
    expect(await listFiles(path.join(ours, 'data'))).toEqual(await listFiles(path.join(theirs, 'data')));
  });

  it('never overwrites an unsaved change without -f, and names it', async () => {
    const source = await added('tvc');
    await source.write('data/raw.csv', 'changed\n');
    await source.write('data/images/extra.txt', 'extra\n');
    const refused = await source.tvc('checkout');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("Can't remove the following unsaved files without confirmation");
    expect(refused.stderr).toContain('data/raw.csv');
    expect(refused.stderr).toContain('data/images/extra.txt');
    expect(await source.read('data/raw.csv')).toBe('changed\n');
    expect(existsSync(source.path('data/images/extra.txt'))).toBe(true);
    const forced = await source.tvc('checkout', '-f');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'M       data/images/',
      'M       data/raw.csv',
    ]);
    expect(await source.read('data/raw.csv')).toBe('a,b\n1,2\n');
    expect(existsSync(source.path('data/images/extra.txt'))).toBe(false);
    expect(
      JSON.parse(execFileSync(binary!, ['status', '--json'], { cwd: source.dir, encoding: 'utf8' })),
    ).toEqual({});
  });

  it('reports a missing or corrupt object by path and links nothing from it', async () => {
    const source = await added('tvc');
    const dir = clone(source, true);
    const dvcFile = readFileSync(path.join(dir, 'data/raw.csv.dvc'), 'utf8');
    const md5 = /md5: ([0-9a-f]{32})/.exec(dvcFile)![1]!;
    const object = path.join(dir, '.dvc/cache/files/md5', md5.slice(0, 2), md5.slice(2));
    chmodSync(object, 0o644);
    writeFileSync(object, 'corrupt\n');
    const result = await tvc(dir, 'checkout');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Checkout failed for following targets:\ndata/raw.csv');
    expect(existsSync(path.join(dir, 'data/raw.csv'))).toBe(false);
    expect(existsSync(path.join(dir, 'data/images/cat.txt'))).toBe(true);
    rmSync(object);
    const missing = await tvc(dir, 'checkout', 'data/raw.csv.dvc');
    expect(missing.stderr).toContain('data/raw.csv');
    expect(existsSync(path.join(dir, 'data/raw.csv'))).toBe(false);
  });

  it('refuses a .dvc file whose path or hash is hostile, naming the file', async () => {
    const side = await repo();
    await side.write(
      'evil.dvc',
      'outs:\n- md5: ../../../etc/passwd\n  size: 1\n  hash: md5\n  path: evil.txt\n',
    );
    const badHash = await side.tvc('checkout');
    expect(badHash.code).not.toBe(0);
    expect(badHash.stderr).toContain('evil.dvc');
    expect(badHash.stderr).toContain('is not an md5 hash');
    await side.write(
      'evil.dvc',
      'outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 1\n  hash: md5\n  path: ../../outside.txt\n',
    );
    const badPath = await side.tvc('checkout');
    expect(badPath.code).not.toBe(0);
    expect(badPath.stderr).toContain('evil.dvc');
    expect(badPath.stderr).not.toContain('unexpected error');
  });
});

describe.skipIf(!binary)('a fresh clone of a project with .dvc files', () => {
  async function project(): Promise<TempRepo> {
    const side = await repo();
    await DATA(side);
    await side.write(
      'dvc.yaml',
      'stages:\n  count:\n    cmd: wc -l data/raw.csv > count.txt\n    deps:\n    - data/raw.csv\n    outs:\n    - count.txt\n',
    );
    expect((await side.tvc('add', 'data/raw.csv')).code).toBe(0);
    expect((await side.tvc('repro', '-q')).code).toBe(0);
    await commitAll(side);
    return side;
  }

  it('status says what DVC says, without and with the cache', async () => {
    const source = await project();
    for (const withCache of [false, true]) {
      const dir = clone(source, withCache);
      const ours = await tvc(dir, 'status', '--json');
      const theirs = execFileSync(binary!, ['status', '--json'], { cwd: dir, encoding: 'utf8' });
      expect(JSON.parse(ours.stdout)).toEqual(JSON.parse(theirs));
    }
  });

  it('repro names the missing data and points at checkout; after checkout it runs', async () => {
    const source = await project();
    const dir = clone(source, true);
    const failed = await tvc(dir, 'repro');
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain(
      "failed to reproduce 'data/raw.csv.dvc': missing data 'source': data/raw.csv",
    );
    expect(failed.stderr).toContain('tvc checkout');
    expect(failed.stderr).not.toContain('the command must write it');
    expect((await tvc(dir, 'checkout')).code).toBe(0);
    const ran = await tvc(dir, 'repro');
    expect(ran.code, ran.stderr).toBe(0);
    expect(JSON.parse(execFileSync(binary!, ['status', '--json'], { cwd: dir, encoding: 'utf8' }))).toEqual(
      {},
    );
  });
});

describe.skipIf(!binary)('tvc commit, remove and move do what DVC does', () => {
  const ADDED: Setup = async (side) => {
    await DATA(side);
    execFileSync(binary!, ['add', '-q', 'data/raw.csv', 'data/images', 'one.txt'], { cwd: side.dir });
    await side.write('data/raw.csv', 'changed\n');
    await side.write('data/images/nested/new.txt', 'new\n');
  };

  it('commit -f records and caches the changes; without -f both refuse', async () => {
    const { theirs, ours, results } = await both(ADDED, [
      ['commit', 'data/raw.csv.dvc'],
      ['commit', '-f', 'data/raw.csv.dvc', 'data/images.dvc'],
    ]);
    expect(results[0]!.dvc.code).not.toBe(0);
    expect(results[0]!.tvc.code).not.toBe(0);
    expect(results[0]!.tvc.stderr).toContain("unable to commit changed stage: 'data/raw.csv.dvc'");
    expect(results[1]!.dvc.code).toBe(0);
    expect(results[1]!.tvc.code, results[1]!.tvc.stderr).toBe(0);
    expect(results[1]!.tvc.stdout).toBe(results[1]!.dvc.stdout);
    expect(await snapshot(ours.dir)).toEqual(await snapshot(theirs.dir));
  });

  it('commit after add --no-commit caches the data', async () => {
    const { theirs, ours } = await both(DATA, [
      ['add', '--no-commit', 'one.txt'],
      ['commit', 'one.txt.dvc'],
    ]);
    expect(await snapshot(ours.dir)).toEqual(await snapshot(theirs.dir));
  });

  it('remove, and remove --outs', async () => {
    const { theirs, ours, results } = await both(ADDED, [
      ['remove', 'one.txt.dvc'],
      ['remove', '--outs', 'data/images.dvc'],
    ]);
    for (const result of results) {
      expect(result.tvc.code, result.tvc.stderr).toBe(0);
      expect(result.tvc.stdout).toBe(result.dvc.stdout);
    }
    expect(await snapshot(ours.dir)).toEqual(await snapshot(theirs.dir));
  });

  it('remove of dvc.yaml stages, and --outs', async () => {
    const setup: Setup = async (side) => {
      await side.write(
        'dvc.yaml',
        'stages:\n  a:\n    cmd: echo a > a.txt\n    outs:\n    - a.txt\n  b:\n    cmd: echo b > b.txt\n    outs:\n    - b.txt\n  c:\n    cmd: echo c > c.txt\n    outs:\n    - c.txt\n',
      );
      execFileSync(binary!, ['repro', '-q'], { cwd: side.dir });
    };
    const { theirs, ours, results } = await both(setup, [
      ['remove', 'b'],
      ['remove', '--outs', 'dvc.yaml:c'],
      ['remove', 'a'],
    ]);
    for (const result of results) {
      expect(result.tvc.code, result.tvc.stderr).toBe(0);
      expect(result.tvc.stdout).toBe(result.dvc.stdout);
    }
    expect(await snapshot(ours.dir)).toEqual(await snapshot(theirs.dir));
  });

  it('move a file, a directory, and into a directory', async () => {
    const setup: Setup = async (side) => {
      await DATA(side);
      execFileSync(binary!, ['add', '-q', 'data/raw.csv', 'data/images', 'one.txt'], { cwd: side.dir });
      await mkdir(side.path('moved'), { recursive: true });
    };
    const { theirs, ours, results } = await both(setup, [
      ['move', 'one.txt', 'uno.txt'],
      ['move', 'data/images', 'pictures'],
      ['move', 'data/raw.csv', 'moved'],
    ]);
    for (const result of results) expect(result.tvc.code, result.tvc.stderr).toBe(0);
    expect(await snapshot(ours.dir)).toEqual(await snapshot(theirs.dir));
    const failed = await ours.tvc('move', 'notes.md', 'x.md');
    expect(failed.stderr).toContain("Unable to find DVC file with output 'notes.md'");
  });
});

describe('an interrupted or killed add or checkout', () => {
  /** Runs tvc and kills it after `delay` ms (or lets it finish first). */
  function killed(cwd: string, delay: number, ...args: string[]): Promise<void> {
    // Ctrl+C (SIGINT) at one delay, SIGKILL at the others.
    const signal = delay === 400 ? 'SIGINT' : 'SIGKILL';
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [TVC_BIN, ...args], { cwd, stdio: 'ignore' });
      const timer = setTimeout(() => child.kill(signal), delay);
      child.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Every cache object holds what its name says. */
  async function cacheIntact(root: string): Promise<void> {
    const cache = path.join(root, '.dvc/cache/files/md5');
    for (const file of await listFiles(cache)) {
      if (/(^|\/)\.[^/]*\.tmp$/.test(file)) continue; // a temporary file: never a name an object has
      const md5 = createHash('md5')
        .update(readFileSync(path.join(cache, file)))
        .digest('hex');
      expect(`${md5}${file.endsWith('.dir') ? '.dir' : ''}`).toBe(file.replace('/', ''));
    }
  }

  async function bigDirectory(side: TempRepo): Promise<void> {
    for (let index = 0; index < 600; index++) {
      await side.write(`data/big/${index % 10}/${index}.txt`, `${index}\n`.repeat(200));
    }
  }

  it('leaves no half-written .dvc file or cache object, and every user file', async () => {
    const side = await repo();
    await bigDirectory(side);
    for (const delay of [150, 400, 700]) {
      await killed(side.dir, delay, 'add', 'data/big');
      await cacheIntact(side.dir);
      if (existsSync(side.path('data/big.dvc')))
        expect(await side.read('data/big.dvc')).toMatch(/nfiles: 600\n/);
      expect(await side.read('data/big/3/13.txt')).toBe('13\n'.repeat(200));
      expect((await listFiles(side.path('data/big'))).length).toBe(600);
    }
    const finished = await side.tvc('add', 'data/big');
    expect(finished.code, finished.stderr).toBe(0);
    await commitAll(side);
    rmSync(side.path('data/big'), { recursive: true });
    for (const delay of [150, 400]) {
      await killed(side.dir, delay, 'checkout');
      for (const file of await listFiles(side.path('data/big'))) {
        // A placement cut short leaves its temporary file (removed by the next checkout).
        if (/(^|\/)\.[^/]*\.tmp$/.test(file)) continue;
        const index = Number(path.basename(file, '.txt'));
        expect(readFileSync(side.path('data/big', file), 'utf8')).toBe(`${index}\n`.repeat(200));
      }
    }
    const done = await side.tvc('checkout');
    expect(done.code, done.stderr).toBe(0);
    expect((await listFiles(side.path('data/big'))).length).toBe(600); // no temporary file left
    const status = await side.tvc('status');
    expect(status.stdout).toBe('Data and pipelines are up to date.\n');
  });
});
