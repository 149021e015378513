import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Tvc } from '@tvc/core';
import { type ParamsEdit, ParamsSyntaxError, type ParamsValue, PythonFloat } from '@tvc/params';
import { describe, expect, it } from 'vitest';
import { jsonParamsFormat as format } from './json-params-format';
import { JsonParamsPlugin } from './json-params-plugin';

const set = (key: string, value: ParamsValue): ParamsEdit => ({ kind: 'set', path: key.split('.'), value });
const remove = (key: string): ParamsEdit => ({ kind: 'delete', path: key.split('.') });

function syntaxError(text: string): ParamsSyntaxError {
  try {
    format.read(text, 'params.json');
  } catch (error) {
    return error as ParamsSyntaxError;
  }
  throw new Error('no error');
}

describe('reading JSON params as Python does', () => {
  it('keeps Python number types apart', () => {
    const tree = format.read(
      '{"x": [1.0, 1e400, -0.0, 10000000000000000000000, NaN, -Infinity, "\\ud83d\\ude00", 1, 0.5]}',
      'params.json',
    );
    expect(tree.x).toEqual([
      new PythonFloat(1),
      Number.POSITIVE_INFINITY,
      new PythonFloat(-0),
      10000000000000000000000n,
      Number.NaN,
      Number.NEGATIVE_INFINITY,
      '😀',
      1,
      0.5,
    ]);
  });

  it('keeps a repeated key in its first place with its last value', () => {
    expect(JSON.stringify(format.read('{"a": 1, "b": 2, "a": 3}', 'params.json'))).toBe('{"a":3,"b":2}');
  });

  it('reads a false-ish document as empty params', () => {
    expect(format.read('{}', 'params.json')).toEqual({});
    expect(format.read('null\n', 'params.json')).toEqual({});
    expect(format.read('[]', 'params.json')).toEqual({});
    for (const text of ['false', '0', '-0', '0.0', '-0.0', '""'])
      expect(format.read(text, 'params.json')).toEqual({});
  });

  // Each message is Python's json.loads message for the same text.
  it.each([
    ['{"a": 1,}', 'Expecting property name enclosed in double quotes: line 1 column 9 (char 8)', 1, 9],
    ['{"a" 1}', "Expecting ':' delimiter: line 1 column 6 (char 5)", 1, 6],
    ['[1, 2', "Expecting ',' delimiter: line 1 column 6 (char 5)", 1, 6],
    ['{"a": "x\ty"}', 'Invalid control character at: line 1 column 9 (char 8)', 1, 9],
    ['{"a": 01}', "Expecting ',' delimiter: line 1 column 8 (char 7)", 1, 8],
    ['{} {}', 'Extra data: line 1 column 4 (char 3)', 1, 4],
    ['{"a": "\\q"}', 'Invalid \\escape: line 1 column 8 (char 7)', 1, 8],
    ['', 'Expecting value: line 1 column 1 (char 0)', 1, 1],
    ['\n\n  {"a": tru}', 'Expecting value: line 3 column 9 (char 10)', 3, 9],
    ['{"a": "abc', 'Unterminated string starting at: line 1 column 7 (char 6)', 1, 7],
  ])('reports %j as Python does', (text, message, line, column) => {
    const error = syntaxError(text);
    expect(error).toBeInstanceOf(ParamsSyntaxError);
    expect(error.message).toBe(message);
    expect([error.line, error.column]).toEqual([line, column]);
  });

  it('refuses a document that is not an object', () => {
    expect(syntaxError('[1]').message).toMatch(/object at the top level/);
  });
});

describe('editing JSON params', () => {
  const text =
    '{\n  "train": {\n    "lr": 0.01,\n    "epochs": 10\n  },\n  "layers": [64, 32],\n  "name": "cnn"\n}\n';
  const write = (edits: readonly ParamsEdit[]) => format.write(text, edits, 'params.json');

  it('splices only the value it sets', () => {
    expect(write([set('train.lr', 0.1)])).toBe(text.replace('0.01', '0.1'));
    expect(write([set('train.epochs', new PythonFloat(20))])).toBe(text.replace('10', '20.0'));
    expect(write([set('layers.1', 16)])).toBe(text.replace('32', '16'));
    expect(write([set('name', 'rnn "x"')])).toBe(text.replace('"cnn"', '"rnn \\"x\\""'));
    expect(write([set('train.lr', 1e-5)])).toBe(text.replace('0.01', '1e-05'));
    expect(write([set('name', { a: [1, null] })])).toBe(text.replace('"cnn"', '{"a": [1, null]}'));
  });

  it('adds members in the layout of their neighbours', () => {
    expect(write([set('train.momentum', 0.9)])).toBe(
      text.replace('"epochs": 10', '"epochs": 10,\n    "momentum": 0.9'),
    );
    expect(write([set('seed', 1)])).toBe(text.replace('"name": "cnn"', '"name": "cnn",\n  "seed": 1'));
    expect(write([set('layers.2', 8)])).toBe(text.replace('[64, 32]', '[64, 32, 8]'));
    expect(write([set('optim.name', 'adam')])).toBe(
      text.replace('"name": "cnn"', '"name": "cnn",\n  "optim": {"name": "adam"}'),
    );
    expect(format.write('{}', [set('a', 1)], 'p.json')).toBe('{"a": 1}');
    expect(format.write('{"a": 1}', [set('b', 2)], 'p.json')).toBe('{"a": 1, "b": 2}');
    expect(format.write('{"a":1}', [set('b', 2)], 'p.json')).toBe('{"a":1, "b":2}');
  });

  it('deletes members with their separators', () => {
    expect(write([remove('train.epochs')])).toBe(text.replace(',\n    "epochs": 10', ''));
    expect(write([remove('train.lr')])).toBe(text.replace('"lr": 0.01,\n    ', ''));
    expect(write([remove('layers.0')])).toBe(text.replace('[64, 32]', '[32]'));
    expect(write([remove('name')])).toBe(text.replace(',\n  "name": "cnn"', ''));
    expect(format.write('{"a": {"b": 1}}', [remove('a.b')], 'p.json')).toBe('{"a": {}}');
    expect(write([remove('missing')])).toBe(text);
  });

  it('deletes every occurrence of a repeated key', () => {
    expect(format.write('{"a": 1, "b": 2, "a": 3}', [remove('a')], 'p.json')).toBe('{"b": 2}');
    expect(format.write('{"a": 1, "b": 2, "a": 3}', [set('a', 4)], 'p.json')).toBe(
      '{"a": 1, "b": 2, "a": 4}',
    );
  });

  it('writes into a false-ish document', () => {
    expect(format.write('null\n', [set('a.b', 1)], 'p.json')).toBe('{"a": {"b": 1}}\n');
  });

  it('refuses to set below a scalar', () => {
    expect(() => write([set('name.x', 1)])).toThrow(/'name' is not an object or an array/);
  });
});

describe('JsonParamsPlugin', () => {
  it('reads .json files and leaves the rest to other formats', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'tvc-params-json-'));
    try {
      await mkdir(path.join(root, '.dvc'));
      const tvc = await Tvc.open({
        root,
        cwd: root,
        config: { config: {}, filepath: undefined },
        presets: [],
        plugins: [new JsonParamsPlugin()],
      });
      expect(tvc.paramsFormat('metrics/params.JSON').name).toBe('json');
      expect(() => tvc.paramsFormat('params.yaml')).toThrow(/no params format reads/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('hostile input (issue 14 item 13)', () => {
  it('refuses nesting deeper than the limit with an ordinary, located error', () => {
    for (const depth of [5000, 100_000]) {
      const text = `{"a": OPEN1CLOSE}`.replace('OPEN', '['.repeat(depth)).replace('CLOSE', ']'.repeat(depth));
      let error: unknown;
      try {
        format.read(text, 'params.json');
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ParamsSyntaxError);
      expect((error as ParamsSyntaxError).message).toMatch(/nesting deeper than 1000 levels/);
      expect((error as ParamsSyntaxError).line).toBe(1);
      expect((error as ParamsSyntaxError).column).toBeGreaterThan(1000);
    }
  });

  it('still reads nesting within the limit', () => {
    const text = `{"a": OPEN1CLOSE}`.replace('OPEN', '['.repeat(200)).replace('CLOSE', ']'.repeat(200));
    let value: unknown = format.read(text, 'params.json').a;
    for (let depth = 0; depth < 200; depth++) value = (value as unknown[])[0];
    expect(value).toBe(1);
  });
});

describe('control characters (issue 14 item 14)', () => {
  it("refuses a raw control character inside a string, as Python's json does", () => {
    for (const char of ['\0', '\x01', '\x1f']) {
      expect(() => format.read(`{"a": "x${char}y"}`, 'params.json')).toThrow(ParamsSyntaxError);
    }
    expect(format.read('{"a": "x\x7fy"}', 'params.json')).toEqual({ a: 'x\x7fy' });
  });
});
