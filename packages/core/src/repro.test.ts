import { utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hashFile } from '@tvc/hash';
import type { ParamsTree } from '@tvc/params';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDvcYaml } from './dvc-yaml';
import { joinNames, planRepro } from './repro';
import { StatusChecker } from './status';
import { makeRepo } from './test-repo';
import { Tvc } from './tvc';
import { Workspace } from './workspace';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

// a -> b -> d, a -> c -> d, e (alone); f is frozen and depends on d; g depends on f
const DIAMOND = `stages:
  a:
    cmd: x
    outs: [a]
  b:
    cmd: x
    deps: [a]
    outs: [b]
  c:
    cmd: x
    deps: [a]
    outs: [c]
  d:
    cmd: x
    deps: [b, c]
    outs: [d]
  e:
    cmd: x
    outs: [e]
  f:
    cmd: x
    deps: [d]
    outs: [f]
    frozen: true
  g:
    cmd: x
    deps: [f]
    outs: [g]
`;

async function open(files: Record<string, string>) {
  const { root, cleanup } = makeRepo(files);
  cleanups.push(cleanup);
  const tvc = await Tvc.open({ cwd: root });
  return { root, tvc, pipeline: await tvc.loadPipeline() };
}

describe('planRepro', () => {
  it('plans dependencies first, as a post-order like DVC', async () => {
    const { tvc, pipeline } = await open({ 'dvc.yaml': DIAMOND });
    const names = (options: Parameters<typeof planRepro>[1]) =>
      planRepro(pipeline, options, tvc.cwd).map((stage) => stage.name);
    expect(names({ targets: ['d'] })).toEqual(['a', 'b', 'c', 'd']);
    expect(names({ targets: ['d'], single: true })).toEqual(['d']);
    expect(names({ targets: ['b'], downstream: true })).toEqual(['b', 'd']);
    expect(names({ targets: ['e'], pipeline: true })).toEqual(['e']);
    expect(names({ targets: ['b'], pipeline: true })).toEqual(['a', 'b', 'c', 'd']);
    expect(names({ allPipelines: true })).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(names({})).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  });

  it('cuts the upstream of a frozen stage', async () => {
    const { tvc, pipeline } = await open({ 'dvc.yaml': DIAMOND });
    expect(planRepro(pipeline, { targets: ['g'] }, tvc.cwd).map((stage) => stage.name)).toEqual(['f', 'g']);
  });

  it('joins names as DVC does', () => {
    expect(joinNames(['a'])).toBe("'a'");
    expect(joinNames(['a', 'b'])).toBe("'a' and 'b'");
    expect(joinNames(['a', 'b', 'c'])).toBe("'a', 'b' and 'c'");
  });
});

describe('status', () => {
  it('reads no file contents the second time over unchanged data', async () => {
    const files: Record<string, string> = {
      'dvc.yaml': 'stages:\n  s:\n    cmd: x\n    deps: [data]\n    outs: [out.bin]\n',
      'out.bin': 'output',
    };
    for (let index = 0; index < 50; index++)
      files[`data/file-${index}.txt`] = `content ${index}\n`.repeat(100);
    const { root, tvc, pipeline } = await open(files);
    // Files written within the last two seconds are not memoised (a write in the same mtime tick
    // would go unseen), so these are dated an hour back, like data that has been sitting there.
    const past = new Date(Date.now() - 3600_000);
    for (const file of Object.keys(files)) utimesSync(path.join(root, file), past, past);
    const first = new Workspace(root);
    await new StatusChecker(tvc, first).status(pipeline.stages[0]!);
    await first.close();
    expect((await first.memo()).stats.bytesRead).toBeGreaterThan(0);
    const second = new Workspace(root);
    const status = await new StatusChecker(tvc, second).status(pipeline.stages[0]!);
    expect(status.deps).toEqual({ data: 'modified' });
    expect((await second.memo()).stats.bytesRead).toBe(0);
    // Files the memo knows are answered without the hashing workers, with the same result.
    const file = path.join(root, 'data/file-7.txt');
    const memo = await second.memo();
    const hitsBefore = memo.stats.hits;
    expect(await second.hash(file)).toEqual({ kind: 'file', ...(await hashFile(file)) });
    expect(memo.stats.hits).toBe(hitsBefore + 1);
    expect(await second.verify('0'.repeat(32))).toBe('missing');
    await second.close();
    expect(path.isAbsolute(root)).toBe(true);
  });

  it('parses dvc.yaml and dvc.lock once, and again only when their text changes', async () => {
    const lock =
      "schema: '2.0'\nstages:\n  s:\n    cmd: x 1.0\n    params:\n      params.yaml:\n        lr: 1.0\n" +
      '    outs:\n    - path: out\n      hash: md5\n      md5: 00000000000000000000000000000000\n      size: 1\n';
    const files = {
      'dvc.yaml': 'stages:\n  s:\n    cmd: x 1.0\n    params: [lr]\n    outs: [out]\n',
      'dvc.lock': lock,
      'params.yaml': 'lr: 1.0\n',
      out: 'o',
    };
    const { root, cleanup } = makeRepo(files);
    cleanups.push(cleanup);
    // Core has no params format of its own: a YAML one through the hook, as the preset's does.
    const yamlParams = (tvc: Tvc) =>
      tvc.hooks.paramsFormat.tap('test-yaml', () => ({
        specificationVersion: 'v1',
        name: 'yaml',
        extensions: ['.yaml'],
        read: (text, file) => parseDvcYaml(text, file).value as ParamsTree,
        write: () => {
          throw new Error('not in this test');
        },
      }));
    const openHere = () => Tvc.open({ cwd: root, plugins: [yamlParams], cacheParsedFiles: true });
    const tvc = await openHere();
    const pipeline = await tvc.loadPipeline();
    const firstStatus = await new StatusChecker(tvc, new Workspace(root)).status(pipeline.stages[0]!);
    expect(tvc.parsedValues.stats).toEqual({ hits: 0, misses: 2 });

    const again = await openHere();
    const secondPipeline = await again.loadPipeline();
    const secondStatus = await new StatusChecker(again, new Workspace(root)).status(
      secondPipeline.stages[0]!,
    );
    expect(again.parsedValues.stats).toEqual({ hits: 2, misses: 0 });
    expect(secondStatus).toEqual(firstStatus);
    // The param read from the cached lock value still equals the params file's.
    expect(secondStatus.deps).toEqual({});

    writeFileSync(path.join(root, 'dvc.yaml'), files['dvc.yaml'].replace('x 1.0', 'x 2.0'));
    const edited = await openHere();
    const editedPipeline = await edited.loadPipeline();
    expect(editedPipeline.stages[0]!.cmd).toBe('x 2.0');
    const editedStatus = await new StatusChecker(edited, new Workspace(root)).status(
      editedPipeline.stages[0]!,
    );
    expect(editedStatus).not.toEqual(firstStatus);
    expect(edited.parsedValues.stats).toEqual({ hits: 1, misses: 1 });
  });
});
