import { describe, expect, it } from 'vitest';
import { flattenParams, getParam } from './key-path';
import {
  comparePythonStrings,
  isParamsMapping,
  isPythonFloat,
  PythonFloat,
  paramsEqual,
  pythonFloatRepr,
  pythonJsonDumps,
  pythonRepr,
  pythonTruthy,
  sameParams,
} from './python-float';

describe('pythonRepr', () => {
  // Every expected string below is what CPython 3.11 prints for repr(float(x)).
  const floats: [number, string][] = [
    [0.1, '0.1'],
    [1, '1.0'],
    [100, '100.0'],
    [1e15, '1000000000000000.0'],
    [1e16, '1e+16'],
    [123456789012345680, '1.2345678901234568e+17'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [-2.5, '-2.5'],
    [1e22, '1e+22'],
    [12345.678, '12345.678'],
    [-0, '-0.0'],
    [0, '0.0'],
    [Number.POSITIVE_INFINITY, 'inf'],
    [Number.NEGATIVE_INFINITY, '-inf'],
    [Number.NaN, 'nan'],
  ];

  it.each(floats)('prints the float %s as Python does', (value, expected) => {
    expect(pythonFloatRepr(value)).toBe(expected);
  });

  it('prints integral floats as floats and integral numbers as ints', () => {
    expect(pythonRepr(new PythonFloat(1))).toBe('1.0');
    expect(pythonRepr(new PythonFloat(2000))).toBe('2000.0');
    expect(pythonRepr(new PythonFloat(1e16))).toBe('1e+16');
    expect(pythonRepr(1)).toBe('1');
    expect(pythonRepr(1e16)).toBe('10000000000000000');
    expect(pythonRepr(1e22)).toBe('10000000000000000000000');
    expect(pythonRepr(-0)).toBe('0');
    expect(pythonRepr(10n ** 30n)).toBe('1000000000000000000000000000000');
    expect(pythonRepr(0.5)).toBe('0.5');
    expect(pythonRepr(true)).toBe('True');
  });
});

describe('PythonFloat', () => {
  it('is a leaf of a params tree, not a mapping', () => {
    const tree = { train: { lr: new PythonFloat(1) } };
    expect([...flattenParams(tree).keys()]).toEqual(['train.lr']);
    expect(getParam(tree, 'train.lr.value')).toBeUndefined();
    expect(isPythonFloat(getParam(tree, 'train.lr'))).toBe(true);
    expect(Object.keys(new PythonFloat(3))).toEqual([]);
    expect(new PythonFloat(3).value).toBe(3);
  });
});

describe('paramsEqual', () => {
  it('compares numbers as Python does', () => {
    expect(paramsEqual(1, new PythonFloat(1))).toBe(true);
    expect(paramsEqual(true, 1)).toBe(true);
    expect(paramsEqual(true, new PythonFloat(1))).toBe(true);
    expect(paramsEqual(false, 0)).toBe(true);
    expect(paramsEqual(1, 1.5)).toBe(false);
    expect(paramsEqual(Number.NaN, Number.NaN)).toBe(false);
    expect(paramsEqual(2n ** 53n + 1n, 2 ** 53)).toBe(false);
    expect(paramsEqual(2n ** 53n, 2 ** 53)).toBe(true);
    expect(paramsEqual('1', 1)).toBe(false);
    expect(paramsEqual(null, 0)).toBe(false);
    expect(paramsEqual(null, null)).toBe(true);
  });

  it('compares lists in order and dicts by key', () => {
    expect(paramsEqual([1, [2, { a: 3 }]], [new PythonFloat(1), [2, { a: 3 }]])).toBe(true);
    expect(paramsEqual([1, 2], [2, 1])).toBe(false);
    expect(paramsEqual({ a: 1, b: 2 }, { b: 2, a: true })).toBe(true);
    expect(paramsEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(paramsEqual({ a: 1 }, [1])).toBe(false);
    expect(paramsEqual({}, [])).toBe(false);
  });
});

describe('sameParams', () => {
  it('tells apart what Python would write differently', () => {
    expect(sameParams(1, new PythonFloat(1))).toBe(false);
    expect(sameParams(true, 1)).toBe(false);
    expect(sameParams(new PythonFloat(-0), new PythonFloat(0))).toBe(false);
    expect(sameParams(Number.NaN, Number.NaN)).toBe(true);
    expect(sameParams({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false);
    expect(sameParams({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toBe(true);
    expect(sameParams(2n, 2n)).toBe(true);
  });

  it('knows a mapping from the other objects of a params tree', () => {
    expect(isParamsMapping({})).toBe(true);
    expect(isParamsMapping([])).toBe(false);
    expect(isParamsMapping(new PythonFloat(1))).toBe(false);
    expect(isParamsMapping(new Date(0))).toBe(false);
    expect(isParamsMapping(null)).toBe(false);
  });
});

describe('pythonJsonDumps', () => {
  // Expected strings from CPython's json.dumps.
  it('matches json.dumps(sort_keys=True)', () => {
    expect(
      pythonJsonDumps({ b: 1, a: [new PythonFloat(1), 2.5, null, true, false, 'x'] }, { sortKeys: true }),
    ).toBe('{"a": [1.0, 2.5, null, true, false, "x"], "b": 1}');
    expect(pythonJsonDumps({ b: 1, a: 2 })).toBe('{"b": 1, "a": 2}');
    expect(pythonJsonDumps([[], {}])).toBe('[[], {}]');
    expect(pythonJsonDumps(10n ** 30n)).toBe('1000000000000000000000000000000');
  });

  it('escapes as ensure_ascii does', () => {
    expect(pythonJsonDumps('é\u2028😀\x7f\x00"\\\n\t/')).toBe(
      '"\\u00e9\\u2028\\ud83d\\ude00\\u007f\\u0000\\"\\\\\\n\\t/"',
    );
  });

  it('prints special floats as Python does', () => {
    expect(pythonJsonDumps([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])).toBe(
      '[NaN, Infinity, -Infinity]',
    );
    expect(pythonJsonDumps([new PythonFloat(1e16), 1e-5, new PythonFloat(-0)])).toBe('[1e+16, 1e-05, -0.0]');
  });

  it('sorts keys by code point', () => {
    expect(pythonJsonDumps({ '\uffff': 1, '😀': 2, a: 3 }, { sortKeys: true })).toBe(
      '{"a": 3, "\\uffff": 1, "\\ud83d\\ude00": 2}',
    );
    expect(comparePythonStrings('\uffff', '😀')).toBeLessThan(0);
    expect(comparePythonStrings('a', 'ab')).toBeLessThan(0);
  });

  it('refuses what Python cannot serialise', () => {
    expect(() => pythonJsonDumps(new Date(0))).toThrow(/not JSON serializable/);
  });
});

describe('pythonTruthy', () => {
  it("is Python's bool()", () => {
    const falsy = [null, false, 0, -0, 0n, '', [], {}, new PythonFloat(0), new PythonFloat(-0)];
    const truthy = [true, 1, Number.NaN, 1n, ' ', [null], { a: null }, new PythonFloat(1), new Date(0)];
    expect(falsy.map(pythonTruthy)).toEqual(falsy.map(() => false));
    expect(truthy.map(pythonTruthy)).toEqual(truthy.map(() => true));
  });
});
