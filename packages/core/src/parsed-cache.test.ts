import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ParamsValue, PythonFloat } from '@tvc/params';
import { afterEach, describe, expect, it } from 'vitest';
import { fastDvcYamlValue } from './dvc-yaml/fast-reader';
import { ParsedValueCache } from './parsed-cache';

const directories: string[] = [];
function cache(): ParsedValueCache {
  const directory = mkdtempSync(path.join(tmpdir(), 'tvc-parsed-'));
  directories.push(directory);
  return new ParsedValueCache(path.join(directory, 'cache'));
}
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('ParsedValueCache', () => {
  it('misses, then returns what was stored for the same reader and text', () => {
    const values = cache();
    expect(values.get('lock', 'a: 1\n')).toBeUndefined();
    values.set('lock', 'a: 1\n', { a: 1 });
    expect(values.get('lock', 'a: 1\n')).toEqual({ a: 1 });
    expect(values.get('lock', 'a: 2\n')).toBeUndefined();
    expect(values.get('other', 'a: 1\n')).toBeUndefined();
    expect(values.stats).toEqual({ hits: 1, misses: 3 });
  });

  it('does not keep a value that contains itself, in memory or on disk', () => {
    const cyclic: Record<string, ParamsValue> = {};
    cyclic.b = cyclic as ParamsValue;
    for (const values of [new ParsedValueCache(undefined), cache()]) {
      expect(() => values.set('yaml', 'a: &a\n  b: *a\n', cyclic as ParamsValue)).not.toThrow();
      expect(values.get('yaml', 'a: &a\n  b: *a\n')).toBeUndefined();
    }
  });

  it('keeps the types JSON cannot hold', () => {
    const values = cache();
    const value: ParamsValue = {
      float: new PythonFloat(1),
      floats: [new PythonFloat(-0), new PythonFloat(Number.POSITIVE_INFINITY)],
      big: 12345678901234567890n,
      special: [Number.NaN, Number.NEGATIVE_INFINITY, -0, 0.5],
      marked: '\u0000looks like a marker',
      pair: ['\u0000f', 1],
      date: new Date('2020-01-02T03:04:05.000Z'),
      nested: { list: [{ deep: null }, true, 'x'] },
    };
    Object.defineProperty(value, '__proto__', { value: 'a key', enumerable: true, configurable: true });
    values.set('r', 'text', value);
    const back = values.get('r', 'text') as Record<string, ParamsValue>;
    expect(back).toEqual(value);
    expect(back.float).toBeInstanceOf(PythonFloat);
    expect((back.float as PythonFloat).value).toBe(1);
    const floats = back.floats as PythonFloat[];
    expect(Object.is(floats[0]!.value, -0)).toBe(true);
    expect(floats[1]!.value).toBe(Number.POSITIVE_INFINITY);
    expect(back.big).toBe(12345678901234567890n);
    const special = back.special as number[];
    expect(Number.isNaN(special[0])).toBe(true);
    expect(Object.is(special[2], -0)).toBe(true);
    expect(back.date).toBeInstanceOf(Date);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toContain('__proto__');
  });

  it('reads through, parsing only on a miss', () => {
    const values = cache();
    const text = 'stages:\n  a:\n    md5: abc\n    size: 3\n    value: 1.0\n';
    let parses = 0;
    const parse = () => {
      parses++;
      return fastDvcYamlValue(text);
    };
    const first = values.read('lock', text, parse);
    const second = values.read('lock', text, parse);
    expect(parses).toBe(1);
    expect(second).toEqual(first);
    expect(values.read('lock', 'x', () => undefined)).toBeUndefined();
    expect(values.read('lock', 'x', () => 'now')).toBe('now');
  });

  it('treats a damaged entry as a miss and survives an unwritable directory', () => {
    const values = cache();
    values.set('r', 'text', { a: 1 });
    const [entry] = readdirSync(values.directory!);
    writeFileSync(path.join(values.directory!, entry!), '{"a":');
    expect(values.get('r', 'text')).toBeUndefined();
    const blocked = new ParsedValueCache(path.join(values.directory!, entry!, 'below-a-file'));
    expect(() => blocked.set('r', 'text', { a: 1 })).not.toThrow();
    expect(blocked.get('r', 'text')).toBeUndefined();
  });

  it('removes the oldest entries past its size', () => {
    const base = cache();
    const values = new ParsedValueCache(base.directory!, { maxEntries: 16 });
    expect(base.maxEntries).toBeGreaterThanOrEqual(512);
    for (let index = 0; index < 16; index++) values.set('r', `text ${index}`, index);
    const before = readdirSync(values.directory!).length;
    values.set('r', 'one more', 1);
    const after = readdirSync(values.directory!).length;
    expect(before).toBe(16);
    expect(after).toBe(9);
    expect(values.get('r', 'one more')).toBe(1);
  });
});
