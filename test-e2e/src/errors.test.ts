import { afterEach, describe, expect, it } from 'vitest';
import { TempRepo } from './harness';

/** Bad input: one clear message naming the file, line and column, a non-zero exit, nothing changed. */
describe('bad pipelines are reported clearly', () => {
  let repo: TempRepo | undefined;
  afterEach(async () => {
    await repo?.remove();
    repo = undefined;
  });

  async function dagOf(files: Record<string, string>, ...args: string[]) {
    repo = await TempRepo.create();
    for (const [file, text] of Object.entries(files)) await repo.write(file, text);
    return repo.tvc('dag', ...args);
  }

  it('malformed YAML, with line and column', async () => {
    const result = await dagOf({ 'dvc.yaml': 'stages:\n  train:\n    cmd: [python train.py\n' });
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/^ERROR: dvc\.yaml:4:1: malformed YAML: /m);
  });

  it('a tab in indentation', async () => {
    const result = await dagOf({ 'dvc.yaml': 'stages:\n\ttrain:\n    cmd: x\n' });
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/^ERROR: dvc\.yaml:2:1: malformed YAML: /m);
  });

  it('an unknown key, with a suggestion', async () => {
    const result = await dagOf({
      'dvc.yaml': 'stages:\n  train:\n    cmd: python train.py\n    dep:\n    - data\n',
    });
    expect(result.code).toBe(255);
    expect(result.stderr).toContain(
      "ERROR: dvc.yaml:4:5: unknown key 'dep' in stage 'train' — did you mean 'deps'?",
    );
  });

  it('an unknown top-level key, with a suggestion', async () => {
    const result = await dagOf({ 'dvc.yaml': 'stage:\n  train:\n    cmd: x\n' });
    expect(result.stderr).toContain(
      "ERROR: dvc.yaml:1:1: unknown key 'stage' in dvc.yaml — did you mean 'stages'?",
    );
  });

  it('a missing cmd', async () => {
    const result = await dagOf({ 'dvc.yaml': 'stages:\n  train:\n    deps:\n    - data\n' });
    expect(result.code).toBe(255);
    expect(result.stderr).toContain("ERROR: dvc.yaml:2:3: stage 'train' has no 'cmd'");
  });

  it('a value of the wrong type', async () => {
    const result = await dagOf({
      'dvc.yaml': 'stages:\n  train:\n    cmd: x\n    deps: data\n    frozen: yes\n',
    });
    expect(result.stderr).toContain("ERROR: dvc.yaml:4:11: 'stages.train.deps' must be a list, not a string");
    expect(result.stderr).toContain(
      "ERROR: dvc.yaml:5:13: 'stages.train.frozen' must be true or false, not a string",
    );
  });

  it('an invalid stage name', async () => {
    const result = await dagOf({ 'dvc.yaml': 'stages:\n  "train@v2":\n    cmd: x\n' });
    expect(result.code).toBe(255);
    expect(result.stderr).toContain("ERROR: dvc.yaml:2:3: invalid stage name 'train@v2'");
  });

  it('two stages producing the same output', async () => {
    const result = await dagOf({
      'dvc.yaml':
        'stages:\n  a:\n    cmd: x\n    outs:\n    - out.txt\n  b:\n    cmd: y\n    outs:\n    - out.txt\n',
    });
    expect(result.code).toBe(255);
    expect(result.stderr).toContain(
      "ERROR: dvc.yaml:6:3: output 'out.txt' is produced by two stages: 'a' and 'b'",
    );
  });

  it('overlapping outputs', async () => {
    const result = await dagOf({
      'dvc.yaml':
        'stages:\n  a:\n    cmd: x\n    outs:\n    - data\n  b:\n    cmd: y\n    outs:\n    - data/x.csv\n',
    });
    expect(result.code).toBe(255);
    expect(result.stderr).toContain("output 'data/x.csv' of stage 'b' is inside output 'data' of stage 'a'");
  });

  it('a cycle, named', async () => {
    const result = await dagOf({
      'dvc.yaml': [
        'stages:',
        '  train:',
        '    cmd: x',
        '    deps: [features.csv]',
        '    outs: [model.pkl]',
        '  evaluate:',
        '    cmd: y',
        '    deps: [model.pkl]',
        '    outs: [features.csv]',
        '',
      ].join('\n'),
    });
    expect(result.code).toBe(255);
    expect(result.stderr).toContain(
      'ERROR: dvc.yaml:6:3: the pipeline has a cycle: evaluate -> train -> evaluate',
    );
  });

  it('a stage depending on its own output', async () => {
    const result = await dagOf({
      'dvc.yaml': 'stages:\n  a:\n    cmd: x\n    deps: [data/in.csv]\n    outs: [data]\n',
    });
    expect(result.code).toBe(255);
    expect(result.stderr).toContain("stage 'a' depends on its own output: 'data/in.csv' overlaps 'data'");
  });

  it('an output escaping the repository, relative or absolute', async () => {
    const result = await dagOf({
      'dvc.yaml': 'stages:\n  a:\n    cmd: x\n    outs:\n    - ../x\n    - /tmp/tvc-outside/model.pkl\n',
    });
    expect(result.code).toBe(255);
    expect(result.stderr).toContain(
      "ERROR: dvc.yaml:5:7: output '../x' of stage 'a' is outside the repository",
    );
    expect(result.stderr).toContain(
      "ERROR: dvc.yaml:6:7: output '/tmp/tvc-outside/model.pkl' of stage 'a' is outside the repository",
    );
  });

  it('a dependency outside the repository is allowed, as in DVC', async () => {
    const result = await dagOf(
      { 'dvc.yaml': 'stages:\n  a:\n    cmd: x\n    deps: [../shared.csv]\n    outs: [a.txt]\n' },
      '--mermaid',
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('flowchart TD\n\tnode1["a"]\n');
  });

  it('a target that matches nothing', async () => {
    const result = await dagOf({ 'dvc.yaml': 'stages:\n  a:\n    cmd: x\n' }, 'nope');
    expect(result.code).toBe(255);
    expect(result.stderr).toContain(
      "ERROR: 'nope' does not exist as an output or a stage name in 'dvc.yaml': Stage 'nope' not found inside 'dvc.yaml' file",
    );
  });

  it('every problem of every file at once', async () => {
    const result = await dagOf({
      'dvc.yaml': 'stages:\n  a:\n    cmd: x\n    outz: [a]\n  "b@c":\n    cmd: y\n',
      'sub/dvc.yaml': 'stages:\n  c:\n    deps: [x]\n',
    });
    expect(result.code).toBe(255);
    const lines = result.stderr
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('ERROR'));
    expect(lines).toEqual([
      "ERROR: dvc.yaml:4:5: unknown key 'outz' in stage 'a' — did you mean 'outs'?",
      "ERROR: dvc.yaml:5:3: invalid stage name 'b@c'",
      "ERROR: sub/dvc.yaml:2:3: stage 'c' has no 'cmd'",
    ]);
  });

  it('a malformed .dvc file', async () => {
    const result = await dagOf({ 'data.dvc': 'outs:\n- md5: abc\n  size: 3\n' });
    expect(result.code).toBe(255);
    expect(result.stderr).toContain("ERROR: data.dvc:2:3: output 1 has no 'path'");
  });

  it('a dvc.yaml inside an ignored directory is not loaded', async () => {
    const result = await dagOf(
      {
        '.dvcignore': 'ignored/\n',
        'ignored/dvc.yaml': 'this is not: [valid',
        'dvc.yaml': 'stages:\n  a:\n    cmd: x\n',
      },
      '--mermaid',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('flowchart TD\n\tnode1["a"]\n');
  });

  it('outside a DVC repository', async () => {
    repo = await TempRepo.create(undefined, { init: false });
    const result = await repo.tvc('dag');
    expect(result.code).toBe(253);
    expect(result.stderr).toContain(
      "ERROR: you are not inside of a DVC repository (checked up to mount point '/')",
    );
  });
});
