import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson, comparisonDvc, dvc, listFiles, TempRepo, TVC_BIN, tvc } from './harness';

/**
 * The local remote against the real DVC: what one tool pushes the other pulls, the remote's
 * files are the same whichever tool pushed, `status -c` says the same, and an interrupted push
 * completes on the next one with only whole objects on the remote.
 */
const binary = comparisonDvc('remotes');
const run = promisify(execFile);

const cleanup: string[] = [];
afterEach(() => {
  for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tvc-e2e-remote-'));
  cleanup.push(dir);
  return dir;
}

/** A repository with a tracked directory (nested) and a tracked file, committed, remote `store` set as default. */
async function project(store: string): Promise<TempRepo> {
  const repo = await TempRepo.create();
  cleanup.push(repo.dir);
  await repo.write('data/a.txt', 'alpha\n');
  await repo.write('data/sub/b.txt', 'beta\n');
  await repo.write('data/sub/c.txt', 'alpha\n');
  await repo.write('model.bin', 'weights\n');
  expect((await repo.tvc('add', '-q', 'data', 'model.bin')).code).toBe(0);
  expect((await repo.tvc('remote', 'add', '-d', 'store', store)).code).toBe(0);
  await repo.git('add', '-A');
  await repo.git('commit', '-q', '-m', 'data');
  return repo;
}

async function clone(repo: TempRepo): Promise<string> {
  const dir = path.join(scratch(), 'clone');
  await run('git', ['clone', '-q', repo.dir, dir]);
  return dir;
}

/** The built tvc or the real DVC in `cwd` (the harness's runners: an "unexpected error" fails the test). */
function exec(tool: 'tvc' | 'dvc', cwd: string, ...args: string[]) {
  return tool === 'tvc' ? tvc(cwd, ...args) : dvc(cwd, ...args);
}

/** Every object of a remote: its key and whether its content hashes to its name. */
async function remoteObjects(store: string): Promise<{ key: string; whole: boolean }[]> {
  const keys = (await listFiles(store)).filter((key) =>
    /^files\/md5\/[0-9a-f]{2}\/[0-9a-f]{30}(\.dir)?$/.test(key),
  );
  return Promise.all(
    keys.map(async (key) => {
      const md5 = createHash('md5')
        .update(await readFile(path.join(store, key)))
        .digest('hex');
      return { key, whole: key.replace(/^files\/md5\/(..)\//, '$1').replace(/\.dir$/, '') === md5 };
    }),
  );
}

/** The workspace's data files and their contents. */
async function workspace(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const file of await listFiles(dir)) {
    if (file.startsWith('.git/') || file.startsWith('.dvc/')) continue;
    files[file] = await readFile(path.join(dir, file), 'utf8');
  }
  return files;
}

const sortedLines = (text: string) => text.split('\n').filter(Boolean).sort();

describe.skipIf(!binary)('local remote, differential with DVC', () => {
  it('tvc push then dvc pull; the remote holds what dvc push writes', async () => {
    const base = scratch();
    const repo = await project(path.join(base, 'tvc-store'));
    const pushed = await repo.tvc('push');
    expect(pushed.stdout).toBe('4 files pushed\n');
    expect(pushed.code).toBe(0);
    expect((await repo.tvc('push')).stdout).toBe('Everything is up to date.\n');
    // DVC pushing the same repository to its own remote writes the same objects
    const other = await clone(repo);
    await run('cp', ['-r', path.join(repo.dir, '.dvc', 'cache'), path.join(other, '.dvc', 'cache')]);
    const dvcPushed = await exec('dvc', other, 'push', '-r', 'store');
    expect(dvcPushed.stdout).toBe('Everything is up to date.\n');
    const dvcStore = path.join(base, 'dvc-store');
    await exec('dvc', other, 'remote', 'add', 'mine', dvcStore);
    expect((await exec('dvc', other, 'push', '-r', 'mine')).stdout).toBe('4 files pushed\n');
    expect(await listFiles(path.join(base, 'tvc-store'))).toEqual(await listFiles(dvcStore));
    expect((await remoteObjects(path.join(base, 'tvc-store'))).every((object) => object.whole)).toBe(true);
    // a fresh clone gets the data with DVC
    const fresh = await clone(repo);
    const pulled = await exec('dvc', fresh, 'pull');
    expect(pulled.code).toBe(0);
    expect(await workspace(fresh)).toEqual(await workspace(repo.dir));
  });

  it('dvc push then tvc pull in a fresh clone, with the same output as dvc pull', async () => {
    const base = scratch();
    const repo = await project(path.join(base, 'store'));
    expect((await exec('dvc', repo.dir, 'push')).code).toBe(0);
    const mine = await clone(repo);
    const theirs = await clone(repo);
    const tvcPull = await exec('tvc', mine, 'pull');
    const dvcPull = await exec('dvc', theirs, 'pull');
    expect(tvcPull.code).toBe(0);
    expect(sortedLines(tvcPull.stdout)).toEqual(sortedLines(dvcPull.stdout));
    expect(await workspace(mine)).toEqual(await workspace(repo.dir));
    expect(await listFiles(path.join(mine, '.dvc', 'cache'))).toEqual(
      await listFiles(path.join(theirs, '.dvc', 'cache')),
    );
    expect((await exec('dvc', mine, 'status')).stdout).toBe('Data and pipelines are up to date.\n');
    expect((await exec('tvc', mine, 'pull')).stdout).toBe('Everything is up to date.\n');
    // fetch alone, and pull of one target
    const third = await clone(repo);
    expect((await exec('tvc', third, 'fetch', 'model.bin.dvc')).stdout).toBe('1 file fetched\n');
    const one = await exec('tvc', third, 'pull', 'data.dvc');
    expect(one.stdout).toBe('A       data/\n3 files fetched and 3 files added\n');
  });

  it('status -c says what DVC says, in text and JSON, before and after a push and in a clone', {
    timeout: 180_000,
  }, async () => {
    const base = scratch();
    const repo = await project(path.join(base, 'store'));
    const compare = async (cwd: string, copy: string) => {
      for (const args of [
        ['status', '-c'],
        ['status', '-c', '--json'],
        ['status', '-r', 'store'],
      ]) {
        const mine = await exec('tvc', cwd, ...args);
        const theirs = await exec('dvc', copy, ...args);
        expect(mine.code, args.join(' ')).toBe(theirs.code);
        if (args.includes('--json')) expect(canonicalJson(mine.stdout)).toBe(canonicalJson(theirs.stdout));
        else expect(sortedLines(mine.stdout)).toEqual(sortedLines(theirs.stdout));
      }
    };
    await compare(repo.dir, repo.dir);
    expect((await repo.tvc('push')).code).toBe(0);
    await compare(repo.dir, repo.dir);
    // a clone without a cache: the remote's objects are 'deleted' (each tool on its own clone)
    await compare(await clone(repo), await clone(repo));
    // an object in neither place is 'missing'
    await repo.write('extra.txt', 'extra\n');
    expect((await repo.tvc('add', '-q', 'extra.txt')).code).toBe(0);
    const object = createHash('md5').update('extra\n').digest('hex');
    rmSync(path.join(repo.dir, '.dvc', 'cache', 'files', 'md5', object.slice(0, 2), object.slice(2)));
    await compare(repo.dir, repo.dir);
  });

  it('an interrupted push (SIGKILL) completes on the next push, the remote holding only whole objects', async () => {
    const base = scratch();
    const store = path.join(base, 'store');
    const repo = await TempRepo.create();
    cleanup.push(repo.dir);
    for (let index = 0; index < 200; index++) {
      await repo.write(`many/f${index}.bin`, `${index}\n`.repeat(20_000 + index));
    }
    expect((await repo.tvc('add', '-q', 'many')).code).toBe(0);
    expect((await repo.tvc('remote', 'add', '-d', 'store', store)).code).toBe(0);
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'many');
    const child = spawn(process.execPath, [TVC_BIN, 'push', '-j', '1'], { cwd: repo.dir, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('close', resolve));
    const started = Date.now();
    for (;;) {
      const objects = await listFiles(path.join(store, 'files')).catch(() => []);
      if (objects.length >= 5 || Date.now() - started > 20_000) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    await exited;
    const partial = await remoteObjects(store);
    expect(partial.every((object) => object.whole)).toBe(true);
    // a manifest on the remote means every file it lists is there (it is uploaded last)
    if (partial.some((object) => object.key.endsWith('.dir'))) expect(partial).toHaveLength(201);
    const again = await repo.tvc('push');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^\d+ files pushed\n$/);
    const objects = await remoteObjects(store);
    expect(objects).toHaveLength(201);
    expect(objects.every((object) => object.whole)).toBe(true);
    expect((await exec('dvc', repo.dir, 'status', '-c')).stdout).toBe(
      "Cache and remote 'store' are in sync.\n",
    );
  }, 240_000);

  it('-j 1 and the default number of jobs push the same objects', async () => {
    const base = scratch();
    const one = await project(path.join(base, 'one'));
    const many = await project(path.join(base, 'many'));
    expect((await one.tvc('push', '-j', '1')).stdout).toBe('4 files pushed\n');
    expect((await many.tvc('push')).stdout).toBe('4 files pushed\n');
    expect(await listFiles(path.join(base, 'one'))).toEqual(await listFiles(path.join(base, 'many')));
    expect((await one.tvc('push', '-j', '0')).code).not.toBe(0);
  });

  it("without a remote: DVC's error in tvc's words, exit 1", async () => {
    const repo = await TempRepo.create();
    cleanup.push(repo.dir);
    await repo.write('x.txt', 'x\n');
    await repo.tvc('add', '-q', 'x.txt');
    const result = await repo.tvc('push');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'ERROR: failed to push data to the cloud - config file error: no remote specified',
    );
    expect(result.stderr).toContain('tvc remote add -d <remote name> <remote url>');
    const named = await repo.tvc('pull', '-r', 'nope');
    expect(named.code).toBe(1);
    expect(named.stderr).toContain("remote 'nope' doesn't exist");
  });
});

describe.skipIf(!binary)('exp push / exp pull through a bare git origin and a local remote', () => {
  it('brings an experiment and its outputs to another clone; DVC pulls what tvc pushed', {
    timeout: 240_000,
  }, async () => {
    const base = scratch();
    const origin = path.join(base, 'origin.git');
    await run('git', ['init', '-q', '--bare', '-b', 'main', origin]);
    const repo = await TempRepo.create();
    cleanup.push(repo.dir);
    await repo.write('params.yaml', 'x: 1\n');
    await repo.write(
      'dvc.yaml',
      "stages:\n  make:\n    cmd: python3 -c \"print(int(open('params.yaml').read().split(':')[1]) * 10)\" > out.txt\n    params:\n    - x\n    outs:\n    - out.txt\n",
    );
    await repo.write('.gitignore', '');
    expect((await repo.tvc('remote', 'add', '-d', 'store', path.join(base, 'store'))).code).toBe(0);
    expect((await repo.tvc('repro', '-q')).code).toBe(0);
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'baseline');
    await repo.git('remote', 'add', 'origin', origin);
    await repo.git('push', '-q', 'origin', 'HEAD:main');
    const ran = await repo.tvc('exp', 'run', '-q', '-S', 'x=7', '-n', 'seven');
    expect(ran.code, ran.stderr).toBe(0);
    const pushed = await repo.tvc('exp', 'push', 'origin', 'seven');
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toBe("Pushed experiment seven to Git remote 'origin'.\n1 file uploaded\n");
    expect((await repo.tvc('exp', 'push', 'origin', 'seven')).stdout).toBe(
      "Experiment seven is up to date on Git remote 'origin'.\n",
    );
    // tvc in another clone
    const mine = path.join(base, 'mine');
    await run('git', ['clone', '-q', origin, mine]);
    const pulled = await exec('tvc', mine, 'exp', 'pull', 'origin', 'seven');
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout).toBe("Pulled experiment '['seven']' from Git remote 'origin'.\n");
    expect((await exec('tvc', mine, 'exp', 'apply', 'seven')).code).toBe(0);
    expect(await readFile(path.join(mine, 'out.txt'), 'utf8')).toBe('70\n');
    // DVC in a third clone
    const theirs = path.join(base, 'theirs');
    await run('git', ['clone', '-q', origin, theirs]);
    const dvcPulled = await exec('dvc', theirs, 'exp', 'pull', 'origin', 'seven');
    expect(dvcPulled.code, dvcPulled.stderr).toBe(0);
    expect(dvcPulled.stdout).toBe(pulled.stdout);
    expect((await exec('dvc', theirs, 'exp', 'apply', 'seven')).code).toBe(0);
    expect(await readFile(path.join(theirs, 'out.txt'), 'utf8')).toBe('70\n');
  });
});

describe('local remote, failure and bad input', () => {
  it('a damaged object on the remote is reported on pull, never put in the cache or checked out', async () => {
    const base = scratch();
    const store = path.join(base, 'store');
    const repo = await project(store);
    expect((await repo.tvc('push')).code).toBe(0);
    const object = createHash('md5').update('weights\n').digest('hex');
    const key = path.join(store, 'files', 'md5', object.slice(0, 2), object.slice(2));
    rmSync(key);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(key, 'tampered\n');
    const fresh = await clone(repo);
    const pulled = await exec('tvc', fresh, 'pull');
    expect(pulled.code).toBe(1);
    expect(pulled.stderr).toContain(
      `failed to download 'model.bin' (files/md5/${object.slice(0, 2)}/${object.slice(2)})`,
    );
    expect(pulled.stderr).toContain(`holds md5 ${createHash('md5').update('tampered\n').digest('hex')}`);
    expect(pulled.stderr).toContain('ERROR: failed to pull data from the cloud - 1 files failed to download');
    expect(await listFiles(path.join(fresh, '.dvc', 'cache'))).not.toContain(
      `files/md5/${object.slice(0, 2)}/${object.slice(2)}`,
    );
    expect((await listFiles(fresh)).includes('model.bin')).toBe(false);
  });

  it('outputs marked push: false stay local', async () => {
    const base = scratch();
    const store = path.join(base, 'store');
    const repo = await TempRepo.create();
    cleanup.push(repo.dir);
    await repo.write(
      'dvc.yaml',
      'stages:\n  make:\n    cmd: echo kept > kept.txt && echo local > local.txt\n    outs:\n    - kept.txt\n    - local.txt:\n        push: false\n',
    );
    expect((await repo.tvc('repro', '-q')).code).toBe(0);
    expect((await repo.tvc('remote', 'add', '-d', 'store', store)).code).toBe(0);
    expect((await repo.tvc('status', '-c', '--json')).stdout).toBe('{"kept.txt": "new"}\n');
    expect((await repo.tvc('push')).stdout).toBe('1 file pushed\n');
    const kept = createHash('md5').update('kept\n').digest('hex');
    expect(await listFiles(store)).toEqual([`files/md5/${kept.slice(0, 2)}/${kept.slice(2)}`]);
  });

  it('a remote that cannot be written: one clear line naming the remote, exit 1', async () => {
    const base = scratch();
    const { writeFileSync } = await import('node:fs');
    // the remote's path is a file: nothing can be created below it
    writeFileSync(path.join(base, 'store'), 'not a directory');
    const repo = await project(path.join(base, 'store'));
    const pushed = await repo.tvc('push');
    expect(pushed.code).toBe(1);
    expect(pushed.stderr).toMatch(
      /^ERROR: failed to push data to the cloud - remote 'store': '.+' cannot be created: a file is in the way of the remote's directories \('.+'\)\n {2}hint: point the remote's url at a directory/,
    );
    expect(pushed.stderr.trim().split('\n')).toHaveLength(2);
  });
});

describe.skipIf(!binary)('repro --pull', () => {
  it('pulls the missing outputs of unchanged stages instead of running them, as DVC', {
    timeout: 120_000,
  }, async () => {
    const base = scratch();
    const repo = await TempRepo.create();
    cleanup.push(repo.dir);
    await repo.write('in.txt', 'input\n');
    await repo.write(
      'dvc.yaml',
      'stages:\n  make:\n    cmd: cp in.txt out.txt\n    deps:\n    - in.txt\n    outs:\n    - out.txt\n',
    );
    expect((await repo.tvc('repro', '-q')).code).toBe(0);
    expect((await repo.tvc('remote', 'add', '-d', 'store', path.join(base, 'store'))).code).toBe(0);
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'pipeline');
    expect((await repo.tvc('push')).code).toBe(0);
    const mine = await clone(repo);
    const theirs = await clone(repo);
    const tvcRepro = await exec('tvc', mine, 'repro', '--pull');
    const dvcRepro = await exec('dvc', theirs, 'repro', '--pull');
    expect(tvcRepro.code, tvcRepro.stderr).toBe(0);
    expect(dvcRepro.code).toBe(0);
    expect(tvcRepro.stdout).not.toContain('Running stage');
    expect(dvcRepro.stdout).not.toContain('Running stage');
    expect(await readFile(path.join(mine, 'out.txt'), 'utf8')).toBe('input\n');
    expect((await exec('dvc', mine, 'status')).stdout).toBe('Data and pipelines are up to date.\n');
  });
});

describe.skipIf(!binary)('--run-cache', () => {
  it('push --run-cache writes the runs/ DVC writes, and fetch --run-cache brings them into a clone', {
    timeout: 120_000,
  }, async () => {
    const base = scratch();
    const repo = await TempRepo.create();
    cleanup.push(repo.dir);
    await repo.write('in.txt', 'input\n');
    await repo.write(
      'dvc.yaml',
      'stages:\n  make:\n    cmd: cp in.txt out.txt\n    deps:\n    - in.txt\n    outs:\n    - out.txt\n',
    );
    expect((await repo.tvc('repro', '-q')).code).toBe(0);
    expect((await repo.tvc('remote', 'add', '-d', 'store', path.join(base, 'store'))).code).toBe(0);
    expect((await repo.tvc('remote', 'add', 'theirs', path.join(base, 'theirs'))).code).toBe(0);
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'pipeline');
    const mine = await repo.tvc('push', '--run-cache');
    const theirs = await exec('dvc', repo.dir, 'push', '--run-cache', '-r', 'theirs');
    expect(mine.code, mine.stderr).toBe(0);
    expect(mine.stdout).toBe(theirs.stdout);
    expect(await listFiles(path.join(base, 'store'))).toEqual(await listFiles(path.join(base, 'theirs')));
    expect((await listFiles(path.join(base, 'store'))).some((file) => file.startsWith('runs/'))).toBe(true);
    const fresh = await clone(repo);
    expect((await exec('tvc', fresh, 'fetch', '--run-cache')).code).toBe(0);
    const runs = (files: string[]) => files.filter((file) => file.startsWith('runs/'));
    expect(runs(await listFiles(path.join(fresh, '.dvc', 'cache')))).toEqual(
      runs(await listFiles(path.join(repo.dir, '.dvc', 'cache'))),
    );
  });
});

describe.skipIf(!binary)('DVC 2 outputs (md5-dos2unix)', () => {
  it('are pushed to the legacy layout DVC uses, and pulled back by either tool', {
    timeout: 120_000,
  }, async () => {
    const base = scratch();
    const repo = await TempRepo.create();
    cleanup.push(repo.dir);
    const text = 'old data\n';
    const md5 = createHash('md5').update(text).digest('hex');
    await repo.write('old.txt', text);
    await repo.write('old.txt.dvc', `outs:\n- md5: ${md5}\n  size: ${text.length}\n  path: old.txt\n`);
    await repo.write('.gitignore', '/old.txt\n');
    await repo.write(`.dvc/cache/${md5.slice(0, 2)}/${md5.slice(2)}`, text);
    expect((await repo.tvc('remote', 'add', '-d', 'store', path.join(base, 'store'))).code).toBe(0);
    expect((await repo.tvc('remote', 'add', 'theirs', path.join(base, 'theirs'))).code).toBe(0);
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'dvc 2 output');
    const mine = await repo.tvc('push');
    const theirs = await exec('dvc', repo.dir, 'push', '-r', 'theirs');
    expect(mine.code, mine.stderr).toBe(0);
    expect(mine.stdout).toBe(theirs.stdout);
    expect(await listFiles(path.join(base, 'store'))).toEqual([`${md5.slice(0, 2)}/${md5.slice(2)}`]);
    expect(await listFiles(path.join(base, 'store'))).toEqual(await listFiles(path.join(base, 'theirs')));
    const status = await repo.tvc('status', '-c', '--json');
    expect(status.stdout).toBe('{}\n');
    // tvc fetches into DVC 2's cache layout (tvc checkout does not read that cache yet: DVC checks out)
    const fresh = await clone(repo);
    const fetched = await exec('tvc', fresh, 'fetch');
    expect(fetched.stdout).toBe('1 file fetched\n');
    expect(await readFile(path.join(fresh, '.dvc', 'cache', md5.slice(0, 2), md5.slice(2)), 'utf8')).toBe(
      text,
    );
    expect((await exec('dvc', fresh, 'checkout')).code).toBe(0);
    expect(await readFile(path.join(fresh, 'old.txt'), 'utf8')).toBe(text);
    const other = await clone(repo);
    expect((await exec('dvc', other, 'pull')).code).toBe(0);
    expect(await readFile(path.join(other, 'old.txt'), 'utf8')).toBe(text);
  });
});

describe.skipIf(!binary)('gc -c', () => {
  it('removes the unused objects from the remote as DVC does, and says the same', {
    timeout: 180_000,
  }, async () => {
    const base = scratch();
    const repo = await project(path.join(base, 'store'));
    expect((await repo.tvc('push')).code).toBe(0);
    await repo.write('model.bin', 'weights v2\n');
    await repo.write('data/sub/b.txt', 'beta v2\n');
    expect((await repo.tvc('add', '-q', 'model.bin', 'data')).code).toBe(0);
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'v2');
    expect((await repo.tvc('push')).code).toBe(0);
    // the same state for DVC: a copy of the repository and of its remote
    const theirs = path.join(base, 'theirs');
    await run('cp', ['-a', repo.dir, theirs]);
    await run('cp', ['-a', path.join(base, 'store'), path.join(base, 'store2')]);
    expect(
      (await exec('dvc', theirs, 'remote', 'modify', 'store', 'url', path.join(base, 'store2'))).code,
    ).toBe(0);
    const dry = await exec('tvc', repo.dir, 'gc', '-w', '-c', '-f', '--dry');
    expect(dry.stdout).toContain(`Removing ${path.join(base, 'store')}/files/md5/`);
    const mine = await exec('tvc', repo.dir, 'gc', '-w', '-c', '-f');
    const dvcGc = await exec('dvc', theirs, 'gc', '-w', '-c', '-f');
    expect(mine.code, mine.stderr).toBe(0);
    expect(mine.stdout).toBe(dvcGc.stdout);
    expect(mine.stdout).toContain('Removed 3 objects from remote.\nNo unused cache to remove from remote.\n');
    expect(await listFiles(path.join(base, 'store'))).toEqual(await listFiles(path.join(base, 'store2')));
    // what the workspace uses is still there, and the index agrees
    expect((await repo.tvc('status', '-c')).stdout).toBe("Cache and remote 'store' are in sync.\n");
  });
});
