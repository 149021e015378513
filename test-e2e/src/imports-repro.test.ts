import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { comparisonDvc, type RunResult, TempRepo } from './harness';

/**
 * Imports in `status` and `repro`, against DVC: an import-url of a local file and of a directory
 * whose source then changes. Frozen (as import-url writes them), status says nothing; unfrozen
 * (the `frozen: true` line removed, as `dvc unfreeze` does), status names the changed dependency
 * and `repro <file>.dvc` imports the source again — the `.dvc` file, the data and the next status
 * as DVC leaves them. A `.dvc` file whose stage md5 no longer matches its content is
 * `changed checksum`. Each side imports from its own copy of the source; paths are compared with
 * the source directory replaced by `SRC`.
 */
const binary = comparisonDvc('imports in status and repro');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

interface Side {
  readonly repo: TempRepo;
  readonly source: string;
  readonly tool: 'dvc' | 'tvc';
}

async function side(tool: 'dvc' | 'tvc'): Promise<Side> {
  const repo = await TempRepo.create();
  const source = mkdtempSync(path.join(tmpdir(), 'tvc-e2e-import-src-'));
  cleanups.push(() => repo.remove());
  cleanups.push(() => rmSync(source, { recursive: true, force: true }));
  writeFileSync(path.join(source, 'f.txt'), 'one\n');
  await mkdir(path.join(source, 'd'));
  writeFileSync(path.join(source, 'd', 'a.txt'), 'a\n');
  return { repo, source, tool };
}

function normal(text: string, current: Side): string {
  return (
    text
      .replaceAll(current.source, 'SRC')
      .replaceAll(current.repo.dir, 'REPO')
      .replaceAll('dvc push', 'PUSH')
      .replaceAll('tvc push', 'PUSH')
      .replaceAll('dvc config core.autostage', 'tvc config core.autostage')
      // a stage md5 covers the source's path, which differs between the sides (status checks it)
      .replace(/^md5: [0-9a-f]{32}$/gm, 'md5: STAGE')
      .replace(/^Use `PUSH` to send your updates to remote storage.\n/m, '')
  );
}

async function both(step: (current: Side) => Promise<RunResult | undefined>): Promise<[string, string]> {
  const results: string[] = [];
  for (const current of sides) {
    const result = await step(current);
    results.push(
      result ? `exit ${result.code === 0 ? 0 : 'non-zero'}\n${normal(result.stdout, current)}` : '',
    );
  }
  return [results[0]!, results[1]!];
}

let sides: Side[] = [];

async function setup(): Promise<void> {
  sides = [await side('dvc'), await side('tvc')];
  for (const current of sides) {
    const { repo, source, tool } = current;
    for (const [from, to] of [
      ['f.txt', 'f.txt'],
      ['d', 'd'],
    ]) {
      const result = await repo[tool]('import-url', '-q', path.join(source, from!), to!);
      expect(result.code, result.stderr).toBe(0);
    }
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'imports');
    writeFileSync(path.join(source, 'f.txt'), 'two\n');
    writeFileSync(path.join(source, 'd', 'b.txt'), 'b\n');
  }
}

function unfreeze(current: Side, file: string): void {
  const absolute = current.repo.path(file);
  writeFileSync(absolute, readFileSync(absolute, 'utf8').replace(/^frozen: true\n/m, ''));
}

const status = (current: Side) => current.repo[current.tool]('status', '--json');

describe.skipIf(!binary)('imports whose source changed, in status and repro, as DVC', () => {
  it('frozen: status is clean and repro leaves them', async () => {
    await setup();
    const [theirs, ours] = await both(status);
    expect(ours).toBe(theirs);
    const [dvcRepro, tvcRepro] = await both(async (current) => {
      await current.repo[current.tool]('repro', 'f.txt.dvc');
      return undefined;
    });
    expect(tvcRepro).toBe(dvcRepro);
    for (const current of sides) expect(await current.repo.read('f.txt')).toBe('one\n');
  });

  it('unfrozen: status names the dependency, repro imports it again', async () => {
    await setup();
    for (const current of sides) {
      unfreeze(current, 'f.txt.dvc');
      unfreeze(current, 'd.dvc');
    }
    let [theirs, ours] = await both(status);
    expect(ours).toBe(theirs);
    [theirs, ours] = await both((current) => current.repo[current.tool]('repro', '--dry', 'f.txt.dvc'));
    expect(ours).toBe(theirs);
    for (const current of sides) expect(await current.repo.read('f.txt')).toBe('one\n');
    for (const target of ['f.txt.dvc', 'd.dvc']) {
      [theirs, ours] = await both((current) => current.repo[current.tool]('repro', target));
      expect(ours).toBe(theirs);
    }
    const [theirFiles, ourFiles] = await both(async (current) => ({
      code: 0,
      stderr: '',
      stdout: [
        await current.repo.read('f.txt.dvc'),
        await current.repo.read('d.dvc'),
        await current.repo.read('f.txt'),
        await current.repo.read('d/b.txt'),
      ].join('---\n'),
    }));
    expect(ourFiles).toBe(theirFiles);
    expect(ourFiles).toContain('two\n');
    [theirs, ours] = await both(status);
    expect(ours).toBe(theirs);
  });

  it("a .dvc file whose stage md5 does not match is 'changed checksum'", async () => {
    await setup();
    for (const current of sides) {
      const file = current.repo.path('f.txt.dvc');
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace(
          /^md5: ([0-9a-f])/m,
          (_, first: string) => `md5: ${first === '0' ? '1' : '0'}`,
        ),
      );
    }
    const [theirs, ours] = await both(status);
    expect(theirs).toContain('changed checksum');
    expect(ours).toBe(theirs);
    const [theirText, ourText] = await both((current) => current.repo[current.tool]('status'));
    expect(ourText).toBe(theirText);
  });
});
