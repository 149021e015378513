import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PipelineFilesPlugin, Tvc, TvcError } from '@tvc/core';
import { afterEach, describe, expect, it } from 'vitest';
import { addData } from './add';
import { gcCache, gcScopeMessage, validateGcScope } from './gc';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function git(root: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: root });
}

function write(root: string, file: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
}

function open(root: string): Promise<Tvc> {
  return Tvc.open({ cwd: root, plugins: [new PipelineFilesPlugin()] });
}

/** A repository with a committed version of `d/` and `a.txt`, then a newer one in the workspace. */
async function project(): Promise<string> {
  const root = mkdtempSync(path.join(tmpdir(), 'tvc-gc-'));
  roots.push(root);
  git(root, 'init', '-q', '-b', 'main');
  mkdirSync(path.join(root, '.dvc'));
  writeFileSync(path.join(root, '.dvc', '.gitignore'), '/tmp\n/cache\n');
  writeFileSync(path.join(root, '.dvc', 'config'), '');
  for (let index = 0; index < 6; index++) write(root, `d/f${index}`, `one ${index}\n`);
  write(root, 'a.txt', 'a one\n');
  await addData(await open(root), ['d', 'a.txt']);
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'one');
  for (let index = 0; index < 6; index++) write(root, `d/f${index}`, `two ${index}\n`);
  write(root, 'a.txt', 'a two\n');
  await addData(await open(root), ['d', 'a.txt']);
  return root;
}

function objects(root: string): string[] {
  const base = path.join(root, '.dvc', 'cache', 'files', 'md5');
  if (!existsSync(base)) return [];
  return readdirSync(base).flatMap((prefix) =>
    readdirSync(path.join(base, prefix)).map((name) => `${prefix}${name}`),
  );
}

/** Every manifest left lists only objects that are there. */
function complete(root: string): boolean {
  const have = new Set(objects(root));
  return [...have]
    .filter((oid) => oid.endsWith('.dir'))
    .every((oid) => {
      const file = path.join(root, '.dvc', 'cache', 'files', 'md5', oid.slice(0, 2), oid.slice(2));
      const entries = JSON.parse(readFileSync(file, 'utf8')) as { md5: string }[];
      return entries.every((entry) => have.has(entry.md5));
    });
}

describe('validateGcScope and gcScopeMessage', () => {
  it('refuses without a scope, and --num without --rev or -a, as DVC', () => {
    expect(() => validateGcScope({})).toThrow(/needs to be set/);
    expect(() => validateGcScope({ workspace: true, num: 2 })).toThrow(
      '`--num` can only be used alongside `--rev` or `--all-branches`',
    );
    expect(() => validateGcScope({ allBranches: true, num: 2 })).not.toThrow();
    expect(() => validateGcScope({ rev: 'HEAD', num: -1 })).toThrow(TvcError);
  });

  it("words the warning as DVC's", () => {
    const start = 'This will remove all cache except items used in the workspace';
    expect(gcScopeMessage({ workspace: true })).toBe(`${start} of the current repo.`);
    expect(gcScopeMessage({ allBranches: true, allTags: true, num: 2 })).toBe(
      `${start} and last 2 commits from all git branches and all git tags of the current repo.`,
    );
    expect(gcScopeMessage({ allCommits: true, allTags: true, allExperiments: true })).toBe(
      `${start} and all git commits and all experiments of the current repo.`,
    );
    expect(gcScopeMessage({ rev: 'v1' })).toBe(`${start} and last 1 commits from v1 of the current repo.`);
  });
});

describe('gcCache', () => {
  it('removes what the workspace does not use; --rev HEAD keeps the committed version too', async () => {
    const root = await project();
    const all = objects(root);
    expect(all).toHaveLength(2 * (6 + 1 + 1));
    const dry = await gcCache(await open(root), { workspace: true, dry: true });
    expect(objects(root)).toEqual(all);
    expect(dry.removed.repo).toHaveLength(8);
    const kept = await gcCache(await open(root), { rev: 'HEAD' });
    expect(kept.removed.repo).toEqual([]);
    const result = await gcCache(await open(root), { workspace: true });
    expect(result.removed.repo.map((candidate) => candidate.oid).sort()).toEqual(
      dry.removed.repo.map((candidate) => candidate.oid).sort(),
    );
    expect(objects(root)).toHaveLength(8);
    expect(complete(root)).toBe(true);
  });

  it('removes unused manifests before any file object; stopped anywhere, no manifest lacks a file', async () => {
    for (const stopAt of [0, 1, 2, 4, 7]) {
      const root = await project();
      let removals = 0;
      const order: string[] = [];
      await expect(
        gcCache(await open(root), {
          workspace: true,
          onRemove: (file) => {
            if (removals++ === stopAt) throw new Error('killed');
            order.push(file);
          },
        }),
      ).rejects.toThrow('killed');
      expect(complete(root)).toBe(true);
      const firstFile = order.findIndex((file) => !file.endsWith('.dir'));
      expect(
        order.slice(firstFile === -1 ? order.length : firstFile).every((file) => !file.endsWith('.dir')),
      ).toBe(true);
      // The repository lock was released: the next gc finishes the job.
      await gcCache(await open(root), { workspace: true });
      expect(objects(root)).toHaveLength(8);
    }
  });

  it("sweeps a dead process's temporary files, not a running one's; DVC 2 objects against DVC 2 hashes", async () => {
    const root = await project();
    const md5 = path.join(root, '.dvc', 'cache', 'files', 'md5');
    write(md5, 'ab/.cdef.999999999-0123456789ab.tmp', 'half');
    write(md5, `ab/.cdef.${process.ppid}-0123456789ab.tmp`, 'being written');
    write(root, '.dvc/cache/0f/0123456789abcdef0123456789abcd', 'legacy\n');
    write(root, '.dvc/cache/runs/ab/abcd/efgh', 'run\n');
    const result = await gcCache(await open(root), { workspace: true });
    expect(result.removed.legacy.map((candidate) => candidate.oid)).toEqual([
      '0f0123456789abcdef0123456789abcd',
    ]);
    expect(existsSync(path.join(md5, 'ab/.cdef.999999999-0123456789ab.tmp'))).toBe(false);
    expect(result.busy).toEqual([path.join(md5, `ab/.cdef.${process.ppid}-0123456789ab.tmp`)]);
    expect(existsSync(path.join(root, '.dvc/cache/runs/ab/abcd/efgh'))).toBe(true);
  });

  it('a used directory whose manifest is missing: refused unless forced or confirmed', async () => {
    const root = await project();
    const dvcFile = readFileSync(path.join(root, 'd.dvc'), 'utf8');
    const md5 = /md5: ([0-9a-f]{32}\.dir)/.exec(dvcFile)![1]!;
    rmSync(path.join(root, '.dvc', 'cache', 'files', 'md5', md5.slice(0, 2), md5.slice(2)));
    const before = objects(root);
    await expect(gcCache(await open(root), { workspace: true })).rejects.toThrow(
      "Failed to collect 'workspace': unable to fully collect used cache without cache for directory 'd'",
    );
    await expect(
      gcCache(await open(root), { workspace: true, confirmMissing: async () => false }),
    ).rejects.toThrow(TvcError);
    expect(objects(root)).toEqual(before);
    const asked: string[] = [];
    await gcCache(await open(root), {
      workspace: true,
      confirmMissing: async (directory) => {
        asked.push(directory.path);
        return true;
      },
    });
    expect(asked).toEqual(['d']);
    expect(objects(root)).toHaveLength(1);
  });

  it('refuses while tvc runs an experiment in a temporary workspace (its objects are not recorded yet)', async () => {
    const root = await project();
    const before = objects(root);
    write(root, '.dvc/tmp/exps/tmp1/.git/tvc-owner', `${JSON.stringify({ pid: process.ppid })}\n`);
    await expect(gcCache(await open(root), { workspace: true })).rejects.toThrow(/experiments are running/);
    expect(objects(root)).toEqual(before);
    expect((await gcCache(await open(root), { workspace: true, dry: true })).removed.repo).toHaveLength(8);
    write(root, '.dvc/tmp/exps/tmp1/.git/tvc-owner', `${JSON.stringify({ pid: 999999999 })}\n`);
    await gcCache(await open(root), { workspace: true });
    expect(objects(root)).toHaveLength(8);
  });
});
