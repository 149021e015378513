import { chmodSync, lstatSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { comparisonDvc, TempRepo } from './harness';

/**
 * How the workspace's data is linked to the cache, compared with DVC's: after `add` under each
 * `cache.type`, and after `checkout --relink` when the type changes. Each workspace file is
 * described by its shape — a symlink (to which cache object), or a regular file with its link
 * count, its permission bits and whether it is the cache object itself (same inode) — since
 * inode numbers differ between two repositories.
 */
const binary = comparisonDvc('link types of add and checkout --relink');

const repos: TempRepo[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) await repo.remove();
});

async function repo(): Promise<TempRepo> {
  const created = await TempRepo.create();
  repos.push(created);
  return created;
}

async function setup(side: TempRepo): Promise<void> {
  await side.write('f.txt', 'f\n');
  await side.write('run.sh', '#!/bin/sh\necho hi\n');
  chmodSync(side.path('run.sh'), 0o755);
  await side.write('d/a.txt', 'a\n');
  await side.write('d/empty', '');
  await side.write('d/n/b.txt', 'b\n');
  await side.write('d/n/same-as-a.txt', 'a\n');
}

const TRACKED = ['f.txt', 'run.sh', 'd'];

/** Every data file of the workspace with its shape, relative to the repository. */
async function shapes(side: TempRepo): Promise<Record<string, string>> {
  const cacheInodes = new Map<number, string>();
  const cacheRoot = side.path('.dvc', 'cache', 'files', 'md5');
  for (const entry of await readdir(cacheRoot, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    cacheInodes.set(statSync(file).ino, path.relative(cacheRoot, file));
  }
  const files: string[] = ['f.txt', 'run.sh'];
  for (const entry of await readdir(side.path('d'), { recursive: true, withFileTypes: true })) {
    if (!entry.isDirectory()) files.push(path.relative(side.dir, path.join(entry.parentPath, entry.name)));
  }
  const result: Record<string, string> = {};
  for (const file of files.sort()) {
    const link = lstatSync(side.path(file));
    if (link.isSymbolicLink()) {
      const target = readlinkSync(side.path(file));
      result[file] = `symlink to ${path.relative(cacheRoot, target)}`;
      continue;
    }
    const object = cacheInodes.get(link.ino);
    const mode = (link.mode & 0o777).toString(8);
    result[file] = `file nlink=${link.nlink} mode=${mode} ${object ? `is cache ${object}` : 'own inode'}`;
  }
  return result;
}

async function both(run: (side: TempRepo, tool: 'dvc' | 'tvc') => Promise<void>) {
  const theirs = await repo();
  const ours = await repo();
  await setup(theirs);
  await setup(ours);
  await run(theirs, 'dvc');
  await run(ours, 'tvc');
  return { theirs: await shapes(theirs), ours: await shapes(ours) };
}

async function ok(side: TempRepo, tool: 'dvc' | 'tvc', ...args: string[]): Promise<void> {
  const result = await side[tool](...args);
  expect(result.code, `${tool} ${args.join(' ')}: ${result.stderr}`).toBe(0);
}

describe.skipIf(!binary)('tvc add links the workspace to the cache as DVC does', () => {
  for (const type of ['hardlink', 'symlink', 'copy', 'reflink,copy', 'reflink,hardlink']) {
    it(`cache.type ${type}`, async () => {
      const { theirs, ours } = await both(async (side, tool) => {
        await ok(side, tool, 'config', 'cache.type', type);
        await ok(side, tool, 'add', '-q', ...TRACKED);
      });
      expect(ours).toEqual(theirs);
    });
  }

  it('a re-add of a changed directory under hardlink', async () => {
    const { theirs, ours } = await both(async (side, tool) => {
      await ok(side, tool, 'config', 'cache.type', 'hardlink');
      await ok(side, tool, 'add', '-q', 'd');
      await side.write('d/new.txt', 'new\n');
      await ok(side, tool, 'add', '-q', 'd');
    });
    expect(ours).toEqual(theirs);
  });

  it('commit -f of a changed file under symlink', async () => {
    const { theirs, ours } = await both(async (side, tool) => {
      await ok(side, tool, 'add', '-q', ...TRACKED);
      await ok(side, tool, 'config', 'cache.type', 'symlink');
      rmSync(side.path('f.txt'));
      await side.write('f.txt', 'changed\n');
      await ok(side, tool, 'commit', '-q', '-f', 'f.txt.dvc');
    });
    expect(ours).toEqual(theirs);
  });
});

describe.skipIf(!binary)('tvc checkout --relink re-links files and directories as DVC does', () => {
  const changes: [string, string][] = [
    ['copy', 'hardlink'],
    ['copy', 'symlink'],
    ['hardlink', 'symlink'],
    ['symlink', 'copy'],
    ['hardlink', 'copy'],
    ['symlink', 'hardlink'],
    ['copy', 'reflink,copy'],
  ];
  for (const [from, to] of changes) {
    it(`${from} to ${to}`, async () => {
      const { theirs, ours } = await both(async (side, tool) => {
        await ok(side, tool, 'config', 'cache.type', from);
        await ok(side, tool, 'add', '-q', ...TRACKED);
        await ok(side, tool, 'config', 'cache.type', to);
        await ok(side, tool, 'checkout', '-q', '--relink');
      });
      expect(ours).toEqual(theirs);
    });
  }

  it('after relinking, both tools find the workspace clean', async () => {
    const side = await repo();
    await setup(side);
    await ok(side, 'tvc', 'add', '-q', ...TRACKED);
    await ok(side, 'tvc', 'config', 'cache.type', 'symlink');
    await ok(side, 'tvc', 'checkout', '--relink');
    expect(lstatSync(side.path('d/n/b.txt')).isSymbolicLink()).toBe(true);
    expect((await side.dvc('status', '--json')).stdout.trim()).toBe('{}');
    expect((await side.tvc('status')).stdout).toBe('Data and pipelines are up to date.\n');
  });
});
