import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { comparisonDvc, dvc, listFiles, TempRepo, tvc } from './harness';

/**
 * Which data push, pull and fetch move, against the real DVC on local remotes: outputs with their
 * own `remote:`, `push --glob`, `fetch --max-size` and `fetch --type`. Each tool works in its own
 * clone of one repository (same cache, remotes inside the clone), and the remotes and caches
 * they end with are compared.
 */
const binary = comparisonDvc('remote selection');
const run = promisify(execFile);

const cleanup: string[] = [];
afterEach(async () => {
  for (const dir of cleanup.splice(0)) await rm(dir, { recursive: true, force: true });
});

/**
 * A repository with a tracked directory (`data`, 6 bytes), a stage whose `model.bin` (9 bytes)
 * goes to the remote `other` and whose `metrics.json` is a metric; remotes `store` (default) and
 * `other` are directories inside the workspace (relative to `.dvc/`, as DVC reads them).
 */
async function project(): Promise<TempRepo> {
  const repo = await TempRepo.create();
  cleanup.push(repo.dir);
  await repo.write('data/a.txt', 'alpha\n');
  await repo.write('model.bin', 'weights!\n');
  await repo.write('metrics.json', '{"acc": 1}\n');
  await repo.write(
    'dvc.yaml',
    'stages:\n  train:\n    cmd: echo train\n    outs:\n    - model.bin:\n        remote: other\n    metrics:\n    - metrics.json\n',
  );
  await repo.write('.gitignore', '/store\n/other\n');
  expect((await repo.tvc('add', '-q', 'data')).code).toBe(0);
  expect((await repo.tvc('commit', '-q', '-f')).code).toBe(0);
  await repo.write(
    '.dvc/config',
    '[core]\n    remote = store\n[\'remote "store"\']\n    url = ../store\n[\'remote "other"\']\n    url = ../other\n',
  );
  await repo.git('add', '-A');
  await repo.git('commit', '-q', '-m', 'data');
  return repo;
}

/** A clone of `repo` for one tool, with a copy of its cache (`withCache`) or none. */
async function clone(repo: TempRepo, withCache = true): Promise<string> {
  const dir = path.join(await mkdtemp(path.join(tmpdir(), 'tvc-e2e-selection-')), 'clone');
  cleanup.push(path.dirname(dir));
  await run('git', ['clone', '-q', repo.dir, dir]);
  if (withCache) await cp(repo.path('.dvc/cache'), path.join(dir, '.dvc/cache'), { recursive: true });
  return dir;
}

const tool = (name: 'tvc' | 'dvc') => (name === 'tvc' ? tvc : dvc);

/** The files of the two remotes of a clone. */
async function remotes(dir: string): Promise<{ store: string[]; other: string[] }> {
  return { store: await listFiles(path.join(dir, 'store')), other: await listFiles(path.join(dir, 'other')) };
}

describe.skipIf(!binary)('which data moves, as DVC decides it', () => {
  it("an output's `remote:` sends its data to that remote; -r NAME leaves other remotes' outputs out", async () => {
    const repo = await project();
    const results: Record<string, unknown> = {};
    for (const name of ['tvc', 'dvc'] as const) {
      const dir = await clone(repo);
      const toOther = await tool(name)(dir, 'push', '-r', 'other');
      expect(toOther.code, toOther.stderr).toBe(0);
      const afterOther = await remotes(dir);
      const pushed = await tool(name)(dir, 'push');
      expect(pushed.code, pushed.stderr).toBe(0);
      const again = await tool(name)(dir, 'push', '-r', 'store');
      // a fresh clone without a cache gets model.bin from `other`, the rest from `store`
      const fresh = await clone(repo, false);
      await cp(path.join(dir, 'store'), path.join(fresh, 'store'), { recursive: true });
      await cp(path.join(dir, 'other'), path.join(fresh, 'other'), { recursive: true });
      const pulled = await tool(name)(fresh, 'pull');
      expect(pulled.code, pulled.stderr).toBe(0);
      results[name] = {
        otherFirst: [toOther.stdout, afterOther],
        pushed: [pushed.stdout, await remotes(dir)],
        again: again.stdout,
        pulled: (await listFiles(path.join(fresh, '.dvc/cache'))).filter((file) => file.startsWith('files/')),
      };
    }
    expect(results.tvc).toEqual(results.dvc);
    // model.bin's object went to `other` only: `store` holds the directory and the metric
    expect((results.tvc as { pushed: [string, { store: string[] }] }).pushed[1].store).toHaveLength(3);
  });

  it('push --glob pushes what the patterns match; none matching is the same error', async () => {
    const repo = await project();
    for (const name of ['tvc', 'dvc'] as const) {
      const dir = await clone(repo);
      const globbed = await tool(name)(dir, 'push', '--glob', 'da*');
      expect([globbed.code, globbed.stdout, await remotes(dir)], name).toEqual([
        0,
        '2 files pushed\n',
        { store: expect.arrayContaining([expect.stringMatching(/\.dir$/)]), other: [] },
      ]);
      const none = await tool(name)(dir, 'push', '--glob', 'zz*', 'q?');
      expect([none.code, none.stderr.split('\n')[0]], name).toEqual([
        1,
        "ERROR: failed to push data to the cloud - Glob ['zz*', 'q?'] has no matches.",
      ]);
    }
  });

  it('fetch --type and --max-size fetch the same objects; bad values are the same usage errors', async () => {
    const repo = await project();
    expect((await repo.tvc('push')).code).toBe(0);
    const caches: Record<string, string[][]> = { tvc: [], dvc: [] };
    for (const name of ['tvc', 'dvc'] as const) {
      const dir = await clone(repo, false);
      await cp(repo.path('store'), path.join(dir, 'store'), { recursive: true });
      await cp(repo.path('other'), path.join(dir, 'other'), { recursive: true });
      for (const args of [
        ['--type', 'metrics'],
        ['--max-size', '7'],
        ['--max-size', '0', '--type', 'plots'],
        [],
      ]) {
        const fetched = await tool(name)(dir, 'fetch', ...args);
        expect(fetched.code, `${name} fetch ${args.join(' ')}: ${fetched.stderr}`).toBe(0);
        caches[name]!.push(await listFiles(path.join(dir, '.dvc/cache/files')));
      }
      for (const bad of [
        ['--type', 'params'],
        ['--max-size', 'big'],
      ]) {
        const refused = await tool(name)(dir, 'fetch', ...bad);
        expect(refused.code, name).toBe(254);
        caches[name]!.push([refused.stderr.split('\n').find((line) => line.startsWith('ERROR')) ?? '']);
      }
    }
    expect(caches.tvc).toEqual(caches.dvc);
  });

  it('gc --not-in-remote keeps only the used objects their remote lacks, as DVC', async () => {
    const repo = await project();
    await repo.write('data/b.txt', 'beta\n');
    expect((await repo.tvc('add', '-q', 'data')).code).toBe(0); // the first manifest is now unused
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'more data');
    const results: Record<string, unknown[]> = { tvc: [], dvc: [] };
    for (const name of ['tvc', 'dvc'] as const) {
      const dir = await clone(repo);
      const exclusive = await tool(name)(dir, 'gc', '-w', '-c', '--not-in-remote', '-f');
      results[name]!.push(exclusive.code, exclusive.stderr.trim());
      expect((await tool(name)(dir, 'push', 'data')).code).toBe(0);
      const collected = await tool(name)(dir, 'gc', '-w', '--not-in-remote', '-f');
      expect(collected.code, collected.stderr).toBe(0);
      // data's objects are on `store` and go; model.bin (not on `other`) and the metric stay
      results[name]!.push(
        collected.stdout,
        collected.stderr,
        await listFiles(path.join(dir, '.dvc/cache/files')),
      );
      expect((await tool(name)(dir, 'push', '-r', 'other')).code).toBe(0);
      const other = await tool(name)(dir, 'gc', '-w', '--not-in-remote', '-r', 'other', '-f');
      results[name]!.push(other.stdout, await listFiles(path.join(dir, '.dvc/cache/files')));
    }
    expect(results.tvc).toEqual(results.dvc);
    expect(results.tvc![4]).toHaveLength(2);
  });
});
