import { mkdir, readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, TempRepo } from './harness';

/** The README's plugin example, taken from README.md as it is and run through the built CLI. */
async function readmeBlock(firstLine: string): Promise<string> {
  const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Plugins\n'));
  const block = [...section.matchAll(/```js\n([\s\S]*?)```/g)]
    .map((match) => match[1]!)
    .find((text) => text.startsWith(`${firstLine}\n`));
  if (!block) throw new Error(`README.md's Plugins section has no js block starting '${firstLine}'`);
  return block;
}

let repo: TempRepo | undefined;
afterEach(async () => {
  await repo?.remove();
  repo = undefined;
});

describe("the README's params-format plugin", () => {
  it('reads, edits and locates errors in .env params files', async () => {
    repo = await TempRepo.create(undefined, { commit: false });
    await repo.write('tvc.config.mjs', await readmeBlock('// tvc.config.mjs'));
    await repo.write('plugins/env-params.mjs', await readmeBlock('// plugins/env-params.mjs'));
    // the project has @tvc/core installed, as a plugin's project would
    await mkdir(repo.path('node_modules/@tvc'), { recursive: true });
    await symlink(path.join(REPO_ROOT, 'packages/core'), repo.path('node_modules/@tvc/core'));
    await repo.write('.gitignore', '/node_modules\n/model.txt\n');
    await repo.write('train.env', '# training\nlr=0.1\nepochs=3\n');
    await repo.write(
      'dvc.yaml',
      'stages:\n  train:\n    cmd: cp train.env model.txt\n    params:\n    - train.env:\n      - lr\n    outs:\n    - model.txt\n',
    );
    const repro = await repo.tvc('repro', '-q');
    expect(repro.stderr).toBe('');
    expect(repro.code).toBe(0);
    expect(await repo.read('dvc.lock')).toContain('train.env:\n        lr: 0.1\n');
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'baseline');

    const run = await repo.tvc('exp', 'run', '-S', 'train.env:lr=0.2');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(await repo.read('train.env')).toBe('# training\nlr=0.2\nepochs=3\n');
    const diff = await repo.tvc('params', 'diff', '--json');
    expect(JSON.parse(diff.stdout)).toMatchObject({ 'train.env': { lr: { old: 0.1, new: 0.2 } } });

    await repo.write('train.env', 'lr=0.1\nnot a pair\n');
    const bad = await repo.tvc('status');
    expect(bad.stderr).toContain("train.env:2:1: expected KEY=value, got 'not a pair'");
    expect(bad.stderr).not.toMatch(/unexpected error/i);
  });
});
