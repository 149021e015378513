import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dvcBinary, TempRepo } from './harness';

/**
 * `dvc repro` in one copy of a fixture, `tvc repro` in another: the lock files, the cache objects
 * (run-cache entries included) and every .gitignore must be the same bytes, and each tool must
 * find the other's result up to date.
 */
const binary = dvcBinary();
const fixtures = ['chain', 'dir-outputs'];

async function listFiles(root: string, prefix = ''): Promise<string[]> {
  if (!existsSync(root)) return [];
  const found: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) found.push(...(await listFiles(path.join(root, entry.name), relative)));
    else found.push(relative);
  }
  return found.sort();
}

async function gitignores(repo: TempRepo): Promise<Record<string, string>> {
  const files = (await listFiles(repo.dir)).filter(
    (file) => file.endsWith('.gitignore') && !file.startsWith('.git/') && !file.startsWith('.dvc/'),
  );
  return Object.fromEntries(
    await Promise.all(files.map(async (file) => [file, await repo.read(file)] as const)),
  );
}

describe.skipIf(!binary)('tvc repro writes what dvc repro writes', () => {
  for (const fixture of fixtures) {
    describe(fixture, () => {
      let theirs: TempRepo;
      let ours: TempRepo;
      beforeAll(async () => {
        [theirs, ours] = await Promise.all([TempRepo.create(fixture), TempRepo.create(fixture)]);
        const [dvcResult, tvcResult] = await Promise.all([theirs.dvc('repro'), ours.tvc('repro')]);
        expect(dvcResult.code, dvcResult.stderr).toBe(0);
        expect(tvcResult.code, tvcResult.stderr).toBe(0);
      });
      afterAll(async () => {
        await Promise.all([theirs.remove(), ours.remove()]);
      });

      it('the same dvc.lock, byte for byte', async () => {
        expect(await ours.read('dvc.lock')).toBe(await theirs.read('dvc.lock'));
      });

      it('the same cache objects and run-cache entries', async () => {
        const theirCache = await listFiles(theirs.path('.dvc/cache'));
        expect(await listFiles(ours.path('.dvc/cache'))).toEqual(theirCache);
        for (const file of theirCache.filter((name) => name.startsWith('runs/'))) {
          expect(await readFile(ours.path('.dvc/cache', file), 'utf8')).toBe(
            await readFile(theirs.path('.dvc/cache', file), 'utf8'),
          );
        }
      });

      it('the same .gitignore files', async () => {
        expect(await gitignores(ours)).toEqual(await gitignores(theirs));
      });

      it('each finds the other up to date', async () => {
        const [dvcOnOurs, tvcOnTheirs] = await Promise.all([
          ours.dvc('status', '--json'),
          theirs.tvc('status', '--json'),
        ]);
        expect(JSON.parse(dvcOnOurs.stdout)).toEqual({});
        expect(JSON.parse(tvcOnTheirs.stdout)).toEqual({});
      });

      it('after edits, both report the same status', async () => {
        for (const repo of [theirs, ours]) {
          const params = existsSync(repo.path('params.yaml')) ? 'params.yaml' : 'config.json';
          const text = await repo.read(params);
          await repo.write(params, text.replace('0.01', '0.02').replace('1.0', '2.5'));
          const dep = existsSync(repo.path('raw.txt')) ? 'raw.txt' : 'input.txt';
          await repo.write(dep, `${await repo.read(dep)}more\n`);
        }
        const [dvcStatus, tvcStatus] = await Promise.all([
          theirs.dvc('status', '--json'),
          ours.tvc('status', '--json'),
        ]);
        expect(tvcStatus.stdout).toBe(dvcStatus.stdout);
      });
    });
  }
});
