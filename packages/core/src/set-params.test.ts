import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  applyEditsToTree,
  type ParamsFormat,
  ParamsSyntaxError,
  type ParamsTree,
  writeEdits,
} from '@tvc/params';
import { afterEach, describe, expect, it } from 'vitest';
import { TvcError } from './errors';
import { setParams } from './set-params';
import { makeRepo } from './test-repo';
import { Tvc } from './tvc';

// Core has no params format of its own: a small JSON one through the hook, as the preset's does.
const json: ParamsFormat = {
  specificationVersion: 'v1',
  name: 'json',
  extensions: ['.json'],
  read(text, file) {
    if (text.trim() === '') return {};
    try {
      return JSON.parse(text) as ParamsTree;
    } catch (error) {
      throw new ParamsSyntaxError((error as Error).message, file, 1, 1);
    }
  },
  write(text, edits, file) {
    return writeEdits(text, edits, file, {
      name: 'test-json',
      read: (source, name) => json.read(source, name),
      applyEdit: (source, edit, name) =>
        `${JSON.stringify(applyEditsToTree(json.read(source, name), [edit]))}\n`,
    });
  },
};

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function repo(files: Record<string, string>, cwd = '') {
  const { root, cleanup } = makeRepo(files);
  cleanups.push(cleanup);
  const tvc = await Tvc.open({
    cwd: path.join(root, cwd),
    root,
    plugins: [(instance: Tvc) => instance.hooks.paramsFormat.tap('test-json', () => json)],
  });
  const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
  return { root, tvc, read };
}

async function failure(run: Promise<unknown>): Promise<TvcError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof TvcError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('setParams', () => {
  it('edits the files the overrides name and reports what changed', async () => {
    const { tvc, read } = await repo({
      'p.json': '{"lr": 0.1, "train": {"epochs": 5}}\n',
      'q.json': '{"a": 1}\n',
    });
    const result = await setParams(tvc, ['p.json:lr=0.01', 'p.json:+train.seed=1', 'q.json:a=1']);
    expect(JSON.parse(read('p.json'))).toEqual({ lr: 0.01, train: { epochs: 5, seed: 1 } });
    expect(read('q.json')).toBe('{"a": 1}\n');
    expect(result.changed).toBe(true);
    expect(result.files.map((file) => [file.file, file.edits.length, file.created])).toEqual([
      ['p.json', 2, false],
      ['q.json', 0, false],
    ]);
    expect(result.files[0]!.before).toEqual({ lr: 0.1, train: { epochs: 5 } });
    expect(result.files[0]!.after).toEqual({ lr: 0.01, train: { epochs: 5, seed: 1 } });
  });

  it('resolves files against the cwd, as DVC does', async () => {
    const { tvc, read } = await repo({ 'sub/p.json': '{"a": 1}' }, 'sub');
    await setParams(tvc, ['p.json:a=2']);
    expect(JSON.parse(read('sub/p.json'))).toEqual({ a: 2 });
  });

  it('creates a missing file when an override adds to it, and refuses to change a key in it', async () => {
    const { root, tvc, read } = await repo({});
    const missing = await failure(setParams(tvc, ['new.json:a=1']));
    expect(missing.code).toBe('OVERRIDE_KEY_MISSING');
    expect(missing.message).toContain("params file 'new.json' does not exist");
    expect(existsSync(path.join(root, 'new.json'))).toBe(false);
    const result = await setParams(tvc, ['new.json:+a=1']);
    expect(result.files[0]!.created).toBe(true);
    expect(JSON.parse(read('new.json'))).toEqual({ a: 1 });
  });

  it('writes nothing when any override fails', async () => {
    const { tvc, read } = await repo({ 'p.json': '{"a": 1}', 'q.json': '{"b": 1}' });
    const error = await failure(setParams(tvc, ['p.json:a=2', 'q.json:+b=3']));
    expect(error.code).toBe('OVERRIDE_KEY_EXISTS');
    expect(error.hint).toContain('key=value');
    expect(read('p.json')).toBe('{"a": 1}');
  });

  it("refuses sweeps with DVC's message", async () => {
    const { tvc } = await repo({ 'p.json': '{"a": 1}' });
    const error = await failure(setParams(tvc, ['p.json:a=1,2']));
    expect(error.message).toBe("Sweep overrides can't be used without `--queue`");
    expect(error.code).toBe('OVERRIDE_SWEEP');
  });

  it('reports a malformed override with its column, and a broken file with its place', async () => {
    const { tvc } = await repo({ 'p.json': '{"a": 1}', 'bad.json': '{' });
    const syntax = await failure(setParams(tvc, ['p.json:a=[1']));
    expect(syntax.code).toBe('OVERRIDE_SYNTAX');
    expect(syntax.message).toContain("column 5 of 'a=[1'");
    const broken = await failure(setParams(tvc, ['bad.json:a=1']));
    expect(broken.code).toBe('PARAMS_SYNTAX');
    expect(broken.location?.file).toBe('bad.json');
  });
});
