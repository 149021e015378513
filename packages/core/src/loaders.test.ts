import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TvcError, TvcErrorList } from './errors';
import type { StageDefinition } from './hooks';
import { PipelineFilesPlugin } from './loaders';
import { makeRepo } from './test-repo';
import { Tvc } from './tvc';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function load(
  files: Record<string, string>,
  cwd = '.',
  plugins: NonNullable<Parameters<typeof Tvc.open>[0]>['plugins'] = [],
) {
  const { root, cleanup } = makeRepo(files);
  cleanups.push(cleanup);
  const tvc = await Tvc.open({ cwd: path.join(root, cwd), plugins });
  return { root, tvc, pipeline: await tvc.loadPipeline() };
}

async function problems(files: Record<string, string>): Promise<string[]> {
  try {
    await load(files);
  } catch (error) {
    if (error instanceof TvcErrorList) return error.problems.map((problem) => problem.describe());
    if (error instanceof TvcError) return [error.describe()];
    throw error;
  }
  return [];
}

describe('loading dvc.yaml', () => {
  it('builds stages with resolved paths, grouped params and output flags', async () => {
    const { root, pipeline } = await load({
      'dvc.yaml': `stages:
  train:
    cmd:
    - python train.py
    - python report.py
    wdir: src
    deps: [../data, ./train.py]
    params:
    - lr
    - train.epochs
    - ../config.json: [model]
    - whole.toml:
    outs:
    - ../model.pkl
    - cache-off.bin:
        cache: false
        desc: not cached
    metrics:
    - ../metrics.json:
        cache: false
    plots:
    - ../plots.csv:
        x: step
    frozen: true
    desc: Train the model
`,
    });
    const [train] = pipeline.stages;
    expect(train).toMatchObject({
      name: 'train',
      addressing: 'train',
      file: 'dvc.yaml',
      cmd: ['python train.py', 'python report.py'],
      wdir: path.join(root, 'src'),
      frozen: true,
      desc: 'Train the model',
    });
    expect(train!.deps.map((dep) => dep.repoPath)).toEqual(['data', 'src/train.py']);
    expect(train!.params.map((param) => [param.path, param.repoPath, param.keys])).toEqual([
      ['params.yaml', 'src/params.yaml', ['lr', 'train.epochs']],
      ['../config.json', 'config.json', ['model']],
      ['whole.toml', 'src/whole.toml', null],
    ]);
    expect(train!.outs.map((out) => [out.kind, out.repoPath, out.cache, out.properties])).toEqual([
      ['outs', 'model.pkl', true, {}],
      ['outs', 'src/cache-off.bin', false, { desc: 'not cached' }],
      ['metrics', 'metrics.json', false, {}],
      ['plots', 'plots.csv', true, { x: 'step' }],
    ]);
  });

  it('addresses stages relative to the working directory, as DVC does', async () => {
    const files = {
      'dvc.yaml': 'stages:\n  top:\n    cmd: x\n',
      'sub/dvc.yaml': 'stages:\n  inner:\n    cmd: y\n',
    };
    const fromRoot = await load(files);
    expect(fromRoot.pipeline.stages.map((stage) => stage.addressing)).toEqual(['top', 'sub/dvc.yaml:inner']);
    const fromSub = await load(files, 'sub');
    expect(fromSub.pipeline.stages.map((stage) => stage.addressing)).toEqual(['../dvc.yaml:top', 'inner']);
  });

  it('reads .dvc files as data stages whose outputs produce paths', async () => {
    const { pipeline } = await load({
      'data/raw.csv.dvc':
        'outs:\n- md5: 22a1a2931c8370d3aeedd7183606fd7f\n  size: 14445097\n  hash: md5\n  path: raw.csv\n',
      'dvc.yaml': 'stages:\n  prepare:\n    cmd: x\n    deps: [data/raw.csv]\n    outs: [prepared]\n',
    });
    const data = pipeline.stage('data/raw.csv.dvc')!;
    expect(data).toMatchObject({ kind: 'data', cmd: undefined });
    expect(data.outs[0]).toMatchObject({
      repoPath: 'data/raw.csv',
      properties: { md5: '22a1a2931c8370d3aeedd7183606fd7f' },
    });
    expect([...pipeline.graph.dependencies(pipeline.stage('prepare')!)]).toEqual([data]);
  });

  it('walks top-down as DVC: a directory’s files before its subdirectories, never .git, .dvc, outputs or ignored paths', async () => {
    const { pipeline } = await load({
      'b/dvc.yaml': 'stages:\n  b:\n    cmd: x\n',
      'a.dvc': 'outs:\n- path: a.bin\n',
      'dvc.yaml': 'stages:\n  root:\n    cmd: x\n    outs: [produced]\n',
      '.dvc/dvc.yaml': 'not: [loaded',
      'a/dvc.yaml': 'stages:\n  a:\n    cmd: x\n',
      'nested/.dvc/config': '',
      'nested/dvc.yaml': 'another repository: [not loaded',
      'produced/dvc.yaml': 'inside an output: [not loaded',
      '.dvcignore': 'skipped/\n',
      'skipped/dvc.yaml': 'ignored: [not loaded',
    });
    const files = pipeline.files.map((file) => file.file);
    expect(files.slice(0, 2).sort()).toEqual(['a.dvc', 'dvc.yaml']);
    expect(files.slice(2).sort()).toEqual(['a/dvc.yaml', 'b/dvc.yaml']);
  });

  it('reports all problems of all files together, with locations', async () => {
    expect(
      await problems({
        'dvc.yaml': 'stages:\n  a:\n    cmd: x\n    outs: [x]\n    always_change: true\n',
        'sub/dvc.yaml': 'stages:\n  b:\n    cmd: 3\n',
      }),
    ).toEqual([
      "dvc.yaml:5:5: unknown key 'always_change' in stage 'a' — did you mean 'always_changed'?",
      "sub/dvc.yaml:3:10: 'stages.b.cmd' must be a command or a list of commands, not a number",
    ]);
  });

  it('refuses templating when no plugin resolves it', async () => {
    const { root, cleanup } = makeRepo({
      'dvc.yaml': 'stages:\n  build:\n    foreach: [a, b]\n    do:\n      cmd: echo ${item}\n',
    });
    cleanups.push(cleanup);
    const tvc = await Tvc.open({
      cwd: root,
      presets: [{ name: 'without-templating', plugins: [new PipelineFilesPlugin()] }],
    });
    await expect(tvc.loadPipeline()).rejects.toThrow(
      "stage 'build' uses templating (foreach), which no loaded plugin resolves",
    );
  });

  it('lets a plugin expand definitions through resolveDefinitions (where templating goes)', async () => {
    const expandForeach = (tvc: Tvc) => {
      tvc.hooks.resolveDefinitions.tap('toy-foreach', (definitions) =>
        definitions.flatMap((definition): StageDefinition[] => {
          const body = definition.definition as { foreach?: string[]; do?: { cmd: string } };
          if (!body.foreach) return [definition];
          return body.foreach.map((item) => ({
            name: `${definition.name}@${item}`,
            definition: { cmd: body.do!.cmd.replace('${item}', item), outs: [`${item}.txt`] },
            path: definition.path,
            group: definition.name,
          }));
        }),
      );
    };
    const { pipeline } = await load(
      { 'dvc.yaml': 'stages:\n  build:\n    foreach: [us, eu]\n    do:\n      cmd: echo ${item}\n' },
      '.',
      [expandForeach],
    );
    expect(pipeline.stages.map((stage) => [stage.name, stage.cmd])).toEqual([
      ['build@us', 'echo us'],
      ['build@eu', 'echo eu'],
    ]);
  });

  it('keeps YAML 1.2 scalars as DVC does (yes stays a string)', async () => {
    expect(await problems({ 'dvc.yaml': 'stages:\n  a:\n    cmd: x\n    frozen: yes\n' })).toEqual([
      "dvc.yaml:4:13: 'stages.a.frozen' must be true or false, not a string",
    ]);
  });

  it('reports duplicate keys', async () => {
    const found = await problems({ 'dvc.yaml': 'stages:\n  a:\n    cmd: x\n  a:\n    cmd: y\n' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^dvc\.yaml:4:3: malformed YAML: Map keys must be unique/);
  });
});

describe('imports and URL dependencies', () => {
  const repoImport = `md5: 0a1b
frozen: true
deps:
- path: model.pkl
  repo:
    url: https://github.com/example/registry
    rev_lock: 7f42d5214106a44302c109af1f1cb6f94942fc63
outs:
- md5: b1946ac92492d2347c6235b4d2611184
  size: 6
  hash: md5
  path: model.pkl
`;
  const urlImport = `md5: b11880c895f10692d461b8a649543e0a
frozen: true
deps:
- checksum: '135846898063738918555926341357496549930'
  size: 12
  hash: md5
  path: http://host/ml-100k.zip
outs:
- md5: 807d877c4fbfc763b1a66c6fe50f108a
  size: 12
  hash: md5
  path: ml-100k.zip
`;

  it('loads a `tvc import` file whose source path equals its output (no self-dependency)', async () => {
    const { pipeline } = await load({ 'model.pkl.dvc': repoImport });
    const stage = pipeline.stages[0]!;
    expect(stage.deps).toEqual([]);
    expect(stage.externalDeps).toEqual([
      {
        type: 'repo',
        path: 'model.pkl',
        repo: {
          url: 'https://github.com/example/registry',
          rev_lock: '7f42d5214106a44302c109af1f1cb6f94942fc63',
        },
        baseDir: expect.any(String),
      },
    ]);
  });

  it('reads an import-url dependency as a URL with what was recorded, not as a path', async () => {
    const { pipeline } = await load({ 'data/ml-100k.zip.dvc': urlImport });
    const stage = pipeline.stages[0]!;
    expect(stage.deps).toEqual([]);
    expect(stage.externalDeps).toEqual([
      {
        type: 'url',
        path: 'http://host/ml-100k.zip',
        scheme: 'http',
        recorded: { checksum: '135846898063738918555926341357496549930', size: 12, hash: 'md5' },
      },
    ]);
  });

  it('keeps URLs of a dvc.yaml stage apart from its paths, and out of the DAG', async () => {
    const { pipeline } = await load({
      'dvc.yaml': `stages:
  fetch:
    cmd: curl -o x https://host/x
    deps: [s3://bucket/key.csv, https://host/x, local.txt]
    outs: [x]
  use:
    cmd: cat x
    deps: [x]
`,
    });
    const fetch = pipeline.stages.find((stage) => stage.name === 'fetch')!;
    expect(fetch.deps.map((dep) => dep.path)).toEqual(['local.txt']);
    expect(fetch.externalDeps.map((dep) => [dep.type, dep.path])).toEqual([
      ['url', 's3://bucket/key.csv'],
      ['url', 'https://host/x'],
    ]);
    expect(fetch.writtenDeps).toEqual(['s3://bucket/key.csv', 'https://host/x', 'local.txt']);
    const use = pipeline.stages.find((stage) => stage.name === 'use')!;
    expect([...pipeline.graph.dependencies(use)]).toEqual([fetch]);
  });
});
