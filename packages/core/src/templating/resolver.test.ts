import path from 'node:path';
import { type ParamsFormat, type ParamsTree, PythonFloat } from '@tvc/params';
import { afterEach, describe, expect, it } from 'vitest';
import { fastDvcYamlValue } from '../dvc-yaml';
import { TvcError, TvcErrorList } from '../errors';
import type { LogEvent } from '../hooks';
import { loadPipelineFile } from '../loaders';
import { resolveTargets } from '../targets';
import { makeRepo } from '../test-repo';
import { Tvc } from '../tvc';
import { needsResolution } from './resolver';

/** A YAML params format for these tests (the real one lives in @tvc/params-yaml, which needs core). */
const yamlFormat: ParamsFormat = {
  specificationVersion: 'v1',
  name: 'yaml',
  extensions: ['.yaml', '.yml'],
  read: (text) => (fastDvcYamlValue(text) ?? {}) as ParamsTree,
  write: () => {
    throw new Error('not in these tests');
  },
};
const jsonFormat: ParamsFormat = {
  ...yamlFormat,
  name: 'json',
  extensions: ['.json'],
  read: (text) => JSON.parse(text),
};
const yamlPlugin = (tvc: Tvc) => {
  tvc.hooks.paramsFormat.tap('test-formats', (request) =>
    [yamlFormat, jsonFormat].find((format) => format.extensions.includes(request.extension)),
  );
};

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function open(files: Record<string, string>, logs: LogEvent[] = []) {
  const { root, cleanup } = makeRepo(files);
  cleanups.push(cleanup);
  const tvc = await Tvc.open({ cwd: root, plugins: [yamlPlugin], cacheParsedFiles: true });
  tvc.hooks.log.tap('test', (event) => {
    logs.push(event);
  });
  return { root, tvc };
}

async function load(files: Record<string, string>) {
  const { root, tvc } = await open(files);
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

const PARAMS = `lr: 0.00001
epochs: 3
ratio: 1.0
none: null
flag: true
name: model
opts:
  depth: 2
  label: a b
  on: true
  off: false
  layers: [1, x y]
models:
- name: cnn
  size: 1
- name: rnn
  size: 2
bools: [true, false]
`;

describe('interpolation', () => {
  it('reads params.yaml, vars files (whole or some keys), inline and stage vars', async () => {
    const { pipeline } = await load({
      'params.yaml': PARAMS,
      'extra.yaml': 'data_dir: data\nthreshold: 0.5\nunused: 7\n',
      'conf/stage.json': '{"seed": 42}',
      'dvc.yaml': `vars:
- extra.yaml:data_dir,threshold
- inline: hello
stages:
  train:
    vars:
    - stage.json
    - local: 1
    wdir: conf
    cmd: echo \${lr} \${epochs} \${ratio} \${none} \${flag} \${inline} \${seed} \${local} \\\${HOME}
    deps:
    - ../\${data_dir}/in.txt
    params:
    - \${name}.lr
    - ../params.yaml:
      - opts.\${name}
    outs:
    - \${name}.bin:
        cache: false
    meta: \${ratio}
`,
    });
    const [train] = pipeline.stages;
    expect(train!.cmd).toBe('echo 1e-05 3 1.0 None true hello 42 1 ${HOME}');
    expect(train!.deps.map((dep) => dep.repoPath)).toEqual(['data/in.txt']);
    expect(train!.params.map((params) => [params.repoPath, params.keys])).toEqual([
      ['conf/params.yaml', ['model.lr']],
      ['params.yaml', ['opts.model']],
    ]);
    expect(train!.outs.map((out) => [out.repoPath, out.cache])).toEqual([['conf/model.bin', false]]);
    // A lone ${x} keeps its type.
    expect(train!.meta).toBeInstanceOf(PythonFloat);
    expect(train!.trackedVars).toEqual({
      'params.yaml': {
        lr: 0.00001,
        epochs: 3,
        ratio: expect.anything(),
        none: null,
        flag: true,
        name: 'model',
      },
      'extra.yaml': { data_dir: 'data' },
      'conf/stage.json': { seed: 42 },
    });
  });

  it('expands a mapping into flags in cmd only', async () => {
    const { pipeline } = await load({
      'params.yaml': PARAMS,
      'dvc.yaml': 'stages:\n  a:\n    cmd: python t.py ${opts}\n',
    });
    expect(pipeline.stages[0]!.cmd).toBe("python t.py --depth 2 --label 'a b' --on --layers 1 'x y'");
    // A mapping is not tracked (DVC tracks values and lists, not mappings).
    expect(pipeline.stages[0]!.trackedVars).toBeUndefined();
  });

  it('follows the parsing config of .dvc/config', async () => {
    const { pipeline } = await load({
      '.dvc/config': '[parsing]\n    bool = boolean_optional\n    list = append\n',
      'params.yaml': PARAMS,
      'dvc.yaml': 'stages:\n  a:\n    cmd: python t.py ${opts}\n',
    });
    expect(pipeline.stages[0]!.cmd).toBe(
      "python t.py --depth 2 --label 'a b' --on --no-off --layers 1 --layers 'x y'",
    );
  });

  it('unescapes \\${ even in a file without other templating, and leaves plain files untouched', async () => {
    const { pipeline } = await load({ 'dvc.yaml': 'stages:\n  a:\n    cmd: echo \\${HOME}\n' });
    expect(pipeline.stages[0]!.cmd).toBe('echo ${HOME}');
    const definitions = [{ name: 'a', definition: { cmd: 'echo $HOME' }, path: ['stages', 'a'] }];
    expect(needsResolution(definitions, undefined)).toBe(false);
    expect(needsResolution(definitions, ['x.yaml'])).toBe(true);
  });

  it('reads a vars file no format claims as YAML, as DVC does', async () => {
    const { pipeline } = await load({
      'vars.txt': 'greeting: hi\n',
      'dvc.yaml': 'vars: [vars.txt]\nstages:\n  a:\n    cmd: echo ${greeting}\n',
    });
    expect(pipeline.stages[0]!.cmd).toBe('echo hi');
  });

  it('interpolates the top-level params, metrics, plots and artifacts', async () => {
    const { root, tvc } = await open({
      'params.yaml': 'name: m\nmfile: metrics.json\n',
      'dvc.yaml':
        'params:\n- ${name}.yaml\nmetrics:\n- ${mfile}\nartifacts:\n  ${name}-art:\n    path: ${name}.pkl\nstages:\n  a:\n    cmd: echo\n',
    });
    const loaded = await loadPipelineFile(tvc, {
      absolute: path.join(root, 'dvc.yaml'),
      repoPath: 'dvc.yaml',
      basename: 'dvc.yaml',
    });
    expect(loaded.problems).toEqual([]);
    expect(loaded.topLevel).toEqual({
      params: ['m.yaml'],
      metrics: ['metrics.json'],
      artifacts: { 'm-art': { path: 'm.pkl' } },
    });
    // As in DVC, a problem there is a warning for the commands that read them, not a load error.
    const logs: LogEvent[] = [];
    const broken = await open({ 'dvc.yaml': 'metrics:\n- ${nope}\nstages:\n  a:\n    cmd: echo\n' }, logs);
    expect((await broken.tvc.loadPipeline()).stages).toHaveLength(1);
    expect(logs.map((event) => event.message)).toEqual([
      "failed to parse 'metrics.0' in 'dvc.yaml': Could not find 'nope'",
    ]);
  });

  it('accepts list indexes in both forms', async () => {
    const { pipeline } = await load({
      'params.yaml': PARAMS,
      'dvc.yaml': 'stages:\n  a:\n    cmd: echo ${models[0].name} ${models.1.name} ${ lr }\n',
    });
    expect(pipeline.stages[0]!.cmd).toBe('echo cnn rnn 1e-05');
    expect(pipeline.stages[0]!.trackedVars).toEqual({
      'params.yaml': { 'models.0.name': 'cnn', 'models.1.name': 'rnn', lr: 0.00001 },
    });
  });
});

describe('foreach and matrix', () => {
  it('reads a templated dvc.yaml from the parsed-value cache the second time, with the same stages', async () => {
    const files = {
      'dvc.yaml': 'stages:\n  train:\n    foreach: [1.0, 2]\n    do:\n      cmd: echo ${item}\n',
    };
    const { root, tvc, pipeline } = await load(files);
    expect(tvc.parsedValues.stats).toEqual({ hits: 0, misses: 2 });
    const again = await Tvc.open({ cwd: root, plugins: [yamlPlugin], cacheParsedFiles: true });
    const second = await again.loadPipeline();
    expect(again.parsedValues.stats).toEqual({ hits: 2, misses: 0 });
    // `1.0` stays a float through the cache and prints as Python does.
    expect(second.stages.map((stage) => [stage.name, stage.cmd])).toEqual([
      ['train@1.0', 'echo 1.0'],
      ['train@2', 'echo 2'],
    ]);
    expect(second.stages.map((stage) => stage.cmd)).toEqual(pipeline.stages.map((stage) => stage.cmd));
  });

  it('generates stages from a list of scalars, a list of mappings, a mapping and a ${reference}', async () => {
    const { pipeline } = await load({
      'params.yaml': PARAMS,
      'dvc.yaml': `stages:
  scalars:
    foreach: [us, 1.0, 1e-5, true, null]
    do:
      cmd: echo \${item}
  dicts:
    foreach:
    - {name: a, size: 1}
    - {name: b, size: 2}
    do:
      cmd: echo \${item.name} \${item.size}
  mapping:
    foreach:
      eu: {n: 1}
      us: {n: 2}
    do:
      cmd: echo \${key} \${item.n}
  referenced:
    foreach: \${models}
    do:
      cmd: echo \${item.name}
      outs:
      - \${item.name}.pt
  booleans:
    foreach: \${bools}
    do:
      cmd: echo \${item}
`,
    });
    expect(pipeline.stages.map((stage) => [stage.name, stage.cmd, stage.group])).toEqual([
      ['scalars@us', 'echo us', 'scalars'],
      ['scalars@1.0', 'echo 1.0', 'scalars'],
      ['scalars@1e-05', 'echo 1e-05', 'scalars'],
      ['scalars@true', 'echo true', 'scalars'],
      ['scalars@None', 'echo None', 'scalars'],
      ['dicts@0', 'echo a 1', 'dicts'],
      ['dicts@1', 'echo b 2', 'dicts'],
      ['mapping@eu', 'echo eu 1', 'mapping'],
      ['mapping@us', 'echo us 2', 'mapping'],
      ['referenced@0', 'echo cnn', 'referenced'],
      ['referenced@1', 'echo rnn', 'referenced'],
      // Values taken from the context print their names with Python's str(), as DVC does.
      ['booleans@True', 'echo true', 'booleans'],
      ['booleans@False', 'echo false', 'booleans'],
    ]);
    expect(pipeline.stage('referenced@1')!.trackedVars).toEqual({
      'params.yaml': { 'models.1.name': 'rnn' },
    });
  });

  it('generates the cartesian product of a matrix, last axis fastest', async () => {
    const { pipeline } = await load({
      'params.yaml': PARAMS,
      'dvc.yaml': `stages:
  train:
    matrix:
      model: [cnn, rnn]
      lr: [0.1, 1.0]
      cfg: [{x: 1}, [1, 2]]
    cmd: echo \${item.model} \${item.lr} \${key}
    params:
    - \${item.model}.lr
`,
    });
    expect(pipeline.stages.map((stage) => stage.name)).toEqual([
      'train@cnn-0.1-cfg0',
      'train@cnn-0.1-cfg1',
      'train@cnn-1.0-cfg0',
      'train@cnn-1.0-cfg1',
      'train@rnn-0.1-cfg0',
      'train@rnn-0.1-cfg1',
      'train@rnn-1.0-cfg0',
      'train@rnn-1.0-cfg1',
    ]);
    expect(pipeline.stages[2]!.cmd).toBe('echo cnn 1.0 cnn-1.0-cfg0');
    expect(pipeline.stages[2]!.params[0]!.keys).toEqual(['cnn.lr']);
  });

  it('resolves wdir and params inside do', async () => {
    const { pipeline } = await load({
      'sub/x/params.yaml': 'cnn: {lr: 1}\n',
      'dvc.yaml': `stages:
  build:
    foreach:
    - {dir: x, model_class: cnn}
    do:
      wdir: sub/\${item.dir}/..
      cmd: echo
      params:
      - x/params.yaml:
        - \${item.model_class}
`,
    });
    const [stage] = pipeline.stages;
    expect(stage!.wdir.endsWith(`${path.sep}sub`)).toBe(true);
    expect(stage!.params.map((params) => [params.repoPath, params.keys])).toEqual([
      ['sub/x/params.yaml', ['cnn']],
    ]);
  });

  it('selects every generated stage when a group is named', async () => {
    const { root, pipeline } = await load({
      'dvc.yaml':
        'stages:\n  build:\n    foreach: [a, b]\n    do:\n      cmd: echo ${item}\n  other:\n    cmd: x\n',
    });
    const names = (targets: string[], glob = false) =>
      resolveTargets(pipeline, targets, { cwd: root, glob }).map((stage) => stage.name);
    expect(names(['build'])).toEqual(['build@a', 'build@b']);
    expect(names(['dvc.yaml:build'])).toEqual(['build@a', 'build@b']);
    expect(names(['build@b'])).toEqual(['build@b']);
    expect(names(['build'], true)).toEqual(['build@a', 'build@b']);
    expect(() => names(['build@c'])).toThrow("Stage 'build@c' not found");
  });

  it('warns when item or key hide a var', async () => {
    const logs: LogEvent[] = [];
    const { tvc } = await open(
      {
        'dvc.yaml': 'vars: [{item: 1}]\nstages:\n  a:\n    foreach: [x]\n    do:\n      cmd: echo ${item}\n',
      },
      logs,
    );
    const pipeline = await tvc.loadPipeline();
    expect(pipeline.stages[0]!.cmd).toBe('echo x');
    expect(logs.map((event) => event.message)).toContain(
      "item is already specified, will be overwritten for stages generated from 'a'",
    );
  });
});

describe('templating problems, as DVC words them, with locations', () => {
  it('a key defined twice, naming both sources', async () => {
    expect(
      await problems({
        'params.yaml': 'lr: 1\n',
        'dup.yaml': 'lr: 2\n',
        'dvc.yaml': 'vars:\n- dup.yaml\nstages:\n  a:\n    cmd: echo ${lr}\n',
      }),
    ).toEqual([
      "dvc.yaml:2:3: failed to parse 'vars' in 'dvc.yaml':\ncannot redefine 'lr' from 'dup.yaml' as it already exists in 'params.yaml'",
    ]);
    expect(
      await problems({
        'extra.yaml': 'opts: {a: 1}\n',
        'dvc.yaml': 'vars:\n- extra.yaml\n- opts: {b: 1, a: 2}\nstages:\n  a:\n    cmd: echo\n',
      }),
    ).toEqual([
      "dvc.yaml:3:3: failed to parse 'vars' in 'dvc.yaml':\ncannot redefine 'opts.a' from 'vars[1]' as it already exists in 'extra.yaml'",
    ]);
    expect(
      await problems({
        'params.yaml': 'lr: 1\n',
        'sub/sv.yaml': 'lr: 3\n',
        'dvc.yaml': 'stages:\n  a:\n    vars: [sub/sv.yaml]\n    cmd: echo ${lr}\n',
      }),
    ).toEqual([
      "dvc.yaml:3:12: failed to parse stage 'a' in 'dvc.yaml':\ncannot redefine 'lr' from 'sub/sv.yaml' as it already exists in 'params.yaml'",
    ]);
  });

  it('vars files that cannot be used', async () => {
    expect(await problems({ 'dvc.yaml': 'vars: [nofile.yaml]\nstages:\n  a:\n    cmd: echo\n' })).toEqual([
      "dvc.yaml:1:8: failed to parse 'vars' in 'dvc.yaml': 'nofile.yaml' does not exist",
    ]);
    expect(
      await problems({
        'x.yaml': 'a: 1\n',
        'dvc.yaml': 'vars: [x.yaml:nope]\nstages:\n  a:\n    cmd: echo\n',
      }),
    ).toEqual(["dvc.yaml:1:8: failed to parse 'vars' in 'dvc.yaml': could not find 'nope' in 'x.yaml'"]);
    expect(
      await problems({
        'params.yaml': 'a: 1\n',
        'dvc.yaml': 'vars: [params.yaml:a]\nstages:\n  a:\n    cmd: echo\n',
      }),
    ).toEqual([
      "dvc.yaml:1:8: failed to parse 'vars' in 'dvc.yaml':\ncannot partially load 'params.yaml:a' as it's already loaded.",
    ]);
    expect(await problems({ 'dvc.yaml': 'vars: [{x: "${y}"}]\nstages:\n  a:\n    cmd: echo\n' })).toEqual([
      "dvc.yaml:1:12: failed to parse 'vars' in 'dvc.yaml': interpolating is not allowed",
    ]);
    expect(await problems({ 'dvc.yaml': 'stages:\n  a:\n    vars: [x.yaml]\n    cmd: echo\n' })).toEqual([
      "dvc.yaml:3:12: failed to parse stage 'a' in 'dvc.yaml': 'x.yaml' does not exist",
    ]);
  });

  it('a missing key, a non-scalar in text, a malformed expression', async () => {
    expect(
      await problems({
        'params.yaml': PARAMS,
        'dvc.yaml': `stages:
  a:
    cmd: echo \${missing.key}
  b:
    cmd: echo x \${opts.layers}
  c:
    cmd: echo
    deps:
    - a\${opts}
  d:
    cmd: echo \${a..b}
  e:
    cmd: echo \${lr.x}
`,
      }),
    ).toEqual([
      "dvc.yaml:3:10: failed to parse 'stages.a.cmd' in 'dvc.yaml': Could not find 'missing.key'",
      "dvc.yaml:5:10: failed to parse 'stages.b.cmd' in 'dvc.yaml':\nCannot interpolate data of type 'list'",
      "dvc.yaml:9:7: failed to parse 'stages.c.deps' in 'dvc.yaml':\nCannot interpolate data of type 'dict'",
      "dvc.yaml:11:10: failed to parse 'stages.d.cmd' in 'dvc.yaml':\n${a..b}\n   ^\nParseException: Expected end of text, found '.'  (at char 3), (line:1, col:4)",
      "dvc.yaml:13:10: failed to parse 'stages.e.cmd' in 'dvc.yaml': Could not find 'lr.x'",
    ]);
  });

  it('in generated stages: one problem per group, named after the generated stage', async () => {
    expect(
      await problems({
        'params.yaml': 'n: 3\n',
        'dvc.yaml': `stages:
  a:
    foreach: [x, y]
    do:
      cmd: echo \${nope}
  b:
    foreach: [x]
    do:
      vars: [{item: 3}]
      cmd: echo
  c:
    matrix:
      x: [1]
    vars: [{key: 1}]
    cmd: echo
  d:
    foreach: \${n}
    do:
      cmd: echo
`,
      }),
    ).toEqual([
      "dvc.yaml:5:12: failed to parse 'stages.a@x.cmd' in 'dvc.yaml': Could not find 'nope'",
      "dvc.yaml:9:14: failed to parse stage 'b@x' in 'dvc.yaml': attempted to modify reserved key item",
      "dvc.yaml:14:12: failed to parse stage 'c@1' in 'dvc.yaml': attempted to modify reserved key key",
      "dvc.yaml:17:14: failed to resolve 'stages.d.foreach' in 'dvc.yaml': expected list/dictionary, got int",
    ]);
  });

  it('checks what interpolation produced against the schema', async () => {
    expect(
      await problems({
        'params.yaml': 'n: 3\n',
        'dvc.yaml': 'stages:\n  a:\n    cmd: echo\n    deps: ["${n}"]\n',
      }),
    ).toEqual(["dvc.yaml:4:12: 'stages.a.deps.0' must be a string, not a number"]);
  });
});
