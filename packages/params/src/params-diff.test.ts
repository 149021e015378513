import { describe, expect, it } from 'vitest';
import {
  diffParams,
  flattenForDiff,
  type ParamsRevisionResult,
  paramsDiffJson,
  paramsDiffRows,
  pythonStr,
  pythonStringRepr,
  selectParams,
} from './params-diff';
import { PythonFloat, pythonJsonDumps } from './python-float';

const revision = (files: Record<string, unknown>): ParamsRevisionResult => ({
  files: Object.fromEntries(Object.entries(files).map(([file, data]) => [file, { data }])),
});

describe('diffParams', () => {
  const head = revision({
    'params.yaml': {
      lr: 0.1,
      epochs: 10,
      nested: { a: 1, b: [1, 2, 'x'], c: { d: true } },
      removed: 5,
      same: 1,
      f: new PythonFloat(1),
      empty: {},
    },
    'p.json': { y: { z: 2.5 } },
  });
  const workspace = revision({
    'params.yaml': {
      lr: 0.2,
      epochs: 12,
      nested: { a: 1, b: [1, 2, 'y'], c: { d: false } },
      added: 'new',
      same: new PythonFloat(1),
      f: 2,
      empty: {},
    },
    'p.json': { y: { z: 3.5 } },
  });

  it('lists changed keys only, files and keys sorted by code point, as DVC prints them', () => {
    expect(paramsDiffRows(diffParams(head, workspace))).toEqual([
      { path: 'p.json', key: 'y.z', old: '2.5', new: '3.5' },
      { path: 'params.yaml', key: 'added', old: '-', new: 'new' },
      { path: 'params.yaml', key: 'epochs', old: '10', new: '12' },
      { path: 'params.yaml', key: 'f', old: '1.0', new: '2' },
      { path: 'params.yaml', key: 'lr', old: '0.1', new: '0.2' },
      { path: 'params.yaml', key: 'nested.b', old: "[1, 2, 'x']", new: "[1, 2, 'y']" },
      { path: 'params.yaml', key: 'nested.c.d', old: 'True', new: 'False' },
      { path: 'params.yaml', key: 'removed', old: '5', new: '-' },
    ]);
  });

  it('keeps unchanged keys with all (1 equals 1.0), never empty mappings', () => {
    const keys = [...diffParams(head, workspace, { all: true }).get('params.yaml')!.keys()];
    expect(keys).toContain('same');
    expect(keys).toContain('nested.a');
    expect(keys).not.toContain('empty');
  });

  it('gives the JSON DVC prints: lists as text, numeric differences as Python computes them', () => {
    const json = pythonJsonDumps(paramsDiffJson(diffParams(head, workspace)));
    expect(json).toContain('"f": {"old": 1.0, "new": 2, "diff": 1.0}');
    expect(json).toContain('"nested.c.d": {"old": true, "new": false, "diff": -1}');
    expect(json).toContain('"nested.b": {"old": "[1, 2, \'x\']", "new": "[1, 2, \'y\']"}');
    expect(json).toContain('"removed": {"old": 5, "new": null}');
    expect(json).toContain('"lr": {"old": 0.1, "new": 0.2, "diff": 0.1}');
  });

  it('shows a file that failed to load as missing on that side', () => {
    const broken: ParamsRevisionResult = { files: { 'params.yaml': { error: new Error('bad') } } };
    const rows = paramsDiffRows(diffParams(revision({ 'params.yaml': { a: 1 } }), broken));
    expect(rows).toEqual([{ path: 'params.yaml', key: 'a', old: '1', new: '-' }]);
  });

  it('is empty when nothing changed', () => {
    expect(diffParams(head, head).size).toBe(0);
  });

  it('subtracts big integers exactly', () => {
    const diff = diffParams(revision({ p: { m: 12345678901234567890n } }), revision({ p: { m: 1 } }));
    expect(diff.get('p')!.get('m')!.diff).toBe(1n - 12345678901234567890n);
  });
});

describe('values as Python prints them', () => {
  it('quotes strings as repr() does', () => {
    expect(pythonStringRepr('x')).toBe("'x'");
    expect(pythonStringRepr("it's")).toBe('"it\'s"');
    expect(pythonStringRepr('a\nb\\')).toBe("'a\\nb\\\\'");
    expect(pythonStringRepr('日本')).toBe("'日本'");
  });

  it('prints cells with str()', () => {
    expect(pythonStr(1e-5)).toBe('1e-05');
    expect(pythonStr(new PythonFloat(1e20))).toBe('1e+20');
    expect(pythonStr(null)).toBe('None');
    expect(pythonStr([1, { k: null }, 'a', new PythonFloat(2)])).toBe("[1, {'k': None}, 'a', 2.0]");
    expect(pythonStr(new Date('2024-01-01T00:00:00Z'))).toBe('2024-01-01');
  });

  it('flattens mappings into dotted keys and drops empty ones', () => {
    expect([...flattenForDiff({ a: { b: {}, c: 1 }, e: {} })]).toEqual([['a.c', 1]]);
  });
});

describe('selectParams', () => {
  const tree = { a: { b: 1, c: [1, 2, 3], d: {} }, 'x.y': 5, l: [{ k: 1 }, { k: 2 }] };

  it('keeps the subtree of each key, as dpath.search does', () => {
    expect(selectParams(tree, ['a.b'])).toEqual({ a: { b: 1 } });
    expect(selectParams(tree, ['a.c.1'])).toEqual({ a: { c: [null, 2] } });
    expect(selectParams(tree, ['a.d'])).toEqual({ a: { d: {} } });
    expect(selectParams(tree, ['l.1.k'])).toEqual({ l: [null, { k: 2 }] });
    expect(selectParams(tree, ['x.y', 'nope', 'a.b.z'])).toEqual({});
    expect(selectParams(tree, ['a.*'])).toEqual({ a: tree.a });
    expect(selectParams(tree, ['a.b', 'a.c'])).toEqual({ a: { b: 1, c: [1, 2, 3] } });
  });
});
