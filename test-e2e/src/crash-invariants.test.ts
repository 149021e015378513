import { appendFile, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAllLocks, checkCache, checkGit } from './crash/invariants';
import { BaseProject, Trial } from './crash/trial';

/** The crash suite's invariant checks catch what they claim to: each is shown a damaged project. */
describe('crash suite invariants', () => {
  let base: BaseProject;
  const trials: Trial[] = [];
  beforeAll(async () => {
    base = await BaseProject.create();
  });
  afterAll(async () => {
    await Promise.all(trials.map((trial) => trial.remove()));
    await base?.remove();
  });

  async function trial(): Promise<Trial> {
    const made = await Trial.create(base);
    trials.push(made);
    return made;
  }

  async function invariants(made: Trial): Promise<string[]> {
    const history = await made.history();
    const found = [
      ...(await checkCache(made.dir)).violations,
      ...(await checkAllLocks(made.dir, history)),
      ...(await checkGit(made.dir)),
    ];
    return [...new Set(found.map((violation) => violation.invariant))].sort();
  }

  async function objects(made: Trial): Promise<string[]> {
    const root = path.join(made.dir, '.dvc/cache/files/md5');
    const found: string[] = [];
    for (const prefix of await readdir(root)) {
      for (const name of await readdir(path.join(root, prefix))) found.push(path.join(root, prefix, name));
    }
    return found;
  }

  it('a reproduced project passes', async () => {
    expect(await invariants(await trial())).toEqual([]);
  });

  it('a cache object whose content is not its name', async () => {
    const made = await trial();
    const object = (await objects(made)).find((file) => !file.endsWith('.dir'))!;
    await appendFile(object, 'x');
    expect(await invariants(made)).toContain('cache-object-hash');
  });

  it('a .dir manifest listing a missing object', async () => {
    const made = await trial();
    const manifest = (await objects(made)).find((file) => file.endsWith('.dir'))!;
    const [first] = JSON.parse(await readFile(manifest, 'utf8')) as { md5: string }[];
    await rm(path.join(made.dir, '.dvc/cache/files/md5', first!.md5.slice(0, 2), first!.md5.slice(2)));
    // the run-cache entry of the stage records the directory too
    expect(await invariants(made)).toEqual([
      'cache-dir-incomplete',
      'lock-object-missing',
      'run-cache-object-missing',
    ]);
  });

  it('a lock recording a content its file never had, or an object the cache lacks', async () => {
    const made = await trial();
    const lock = path.join(made.dir, 'dvc.lock');
    const text = await readFile(lock, 'utf8');
    const model = /path: model\.bin\n\s+hash: md5\n\s+md5: ([0-9a-f]{32})/.exec(text)![1]!;
    await writeFile(lock, text.replaceAll(model, '0123456789abcdef0123456789abcdef'));
    expect(await invariants(made)).toEqual(['lock-hash-never-content', 'lock-object-missing']);
  });

  it('a lock that does not parse', async () => {
    const made = await trial();
    await writeFile(path.join(made.dir, 'dvc.lock'), "schema: '2.0'\nstages:\n  a: [\n");
    expect(await invariants(made)).toEqual(['lock-parse']);
  });

  it('a broken git object', async () => {
    const made = await trial();
    const head = (await readFile(path.join(made.dir, '.git/refs/heads/main'), 'utf8')).trim();
    await rm(path.join(made.dir, '.git/objects', head.slice(0, 2), head.slice(2)));
    expect(await invariants(made)).toEqual(['git-fsck']);
  });
});
