import { afterEach, describe, expect, it } from 'vitest';
import type { ExternalDependencyResolver } from './hooks';
import { HOOK_STAGE } from './hooks';
import type { ExternalDependency } from './stage';
import { StatusChecker } from './status';
import { makeRepo } from './test-repo';
import { Tvc } from './tvc';
import { Workspace } from './workspace';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const IMPORT = `md5: 0a1b
frozen: true
deps:
- path: model.pkl
  repo:
    url: ../registry
    rev_lock: aaaa
outs:
- path: model.pkl
  hash: md5
`;

const PIPELINE = `stages:
  fetch:
    cmd: fetch
    deps: [https://host/a.csv, s3://bucket/b.csv]
`;

async function statuses(files: Record<string, string>, answer: (dep: ExternalDependency) => string) {
  const { root, cleanup } = makeRepo(files);
  cleanups.push(cleanup);
  const asked: [string, unknown][] = [];
  const plugin = {
    name: 'test-resolver',
    apply(tvc: Tvc) {
      tvc.hooks.externalDependency.tap({ name: 'test-resolver', stage: HOOK_STAGE.USER }, (dep) => {
        if (dep.type === 'url' && dep.scheme === 's3') return undefined;
        const resolver: ExternalDependencyResolver = {
          name: 'test',
          status: async (target, recorded) => {
            asked.push([target.path, recorded]);
            return answer(target);
          },
          info: async () => ({ hash: 'md5', checksum: '1' }),
        };
        return resolver;
      });
    },
  };
  const tvc = await Tvc.open({ cwd: root, plugins: [plugin] });
  const pipeline = await tvc.loadPipeline();
  const workspace = new Workspace(root);
  const checker = new StatusChecker(tvc, workspace);
  const result = await Promise.all(pipeline.stages.map((stage) => checker.status(stage)));
  await workspace.close();
  return { result, asked };
}

describe('status of external dependencies', () => {
  it('asks the resolver about a frozen repository import (as `dvc status` checks for updates)', async () => {
    const { result, asked } = await statuses({ 'model.pkl.dvc': IMPORT }, () => 'update available');
    expect(result[0]?.deps).toEqual({ 'model.pkl (../registry)': 'update available' });
    expect(asked).toEqual([['model.pkl', {}]]);
  });

  it('reports URLs by URL, with the lock entry as recorded; a scheme no plugin reads is unchanged', async () => {
    const lock = `schema: '2.0'\nstages:\n  fetch:\n    cmd: fetch\n    deps:\n    - path: https://host/a.csv\n      hash: md5\n      checksum: '12'\n      size: 3\n`;
    const { result, asked } = await statuses({ 'dvc.yaml': PIPELINE, 'dvc.lock': lock }, () => 'modified');
    expect(result[0]?.deps).toEqual({ 'https://host/a.csv': 'modified' });
    expect(asked).toEqual([['https://host/a.csv', { hash: 'md5', checksum: '12', size: 3 }]]);
    expect(result[0]?.alwaysChanged).toBe(false);
  });
});
