import { describe, expect, it } from 'vitest';
import { applyOverrides } from './apply-overrides';
import { ParamsOverrideError } from './override-error';
import {
  assertNoSweep,
  expandSweeps,
  hasSweep,
  overrideValue,
  parseOverride,
  parseOverrides,
  splitOverrideFile,
} from './overrides';
import { PythonFloat } from './python-float';

function errorOf(run: () => unknown): ParamsOverrideError {
  try {
    run();
  } catch (error) {
    if (error instanceof ParamsOverrideError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('splitOverrideFile (DVC: to_path_overrides)', () => {
  it('takes the file before the first colon of the key part, params.yaml otherwise', () => {
    expect(splitOverrideFile('lr=1')).toEqual({ file: 'params.yaml', text: 'lr=1' });
    expect(splitOverrideFile('train.yaml:lr=1')).toEqual({ file: 'train.yaml', text: 'lr=1' });
    expect(splitOverrideFile('conf/a.json:+x.y=2')).toEqual({ file: 'conf/a.json', text: '+x.y=2' });
    expect(splitOverrideFile('a=http://x')).toEqual({ file: 'params.yaml', text: 'a=http://x' });
    expect(splitOverrideFile('p.toml:~a')).toEqual({ file: 'p.toml', text: '~a' });
    expect(splitOverrideFile('url=a:b')).toEqual({ file: 'params.yaml', text: 'url=a:b' });
  });

  it('groups overrides by file in the order the files first appear', () => {
    const grouped = parseOverrides(['a=1', 'b.json:c=2', 'd=3']);
    expect([...grouped.keys()]).toEqual(['params.yaml', 'b.json']);
    expect(grouped.get('params.yaml')!.map((override) => override.key)).toEqual(['a', 'd']);
  });
});

describe('parseOverride', () => {
  it('types values as Hydra does', () => {
    const value = (text: string) => overrideValue(parseOverride(`a=${text}`).value!);
    expect(value('1e-3')).toBe(0.001);
    expect(value('2.0')).toEqual(new PythonFloat(2));
    expect(value('TRUE')).toBe(true);
    expect(value('null')).toBeNull();
    expect(value("'it\\'s'")).toBe("it's");
    expect(value('[1, {b: x y}]')).toEqual([1, { b: 'x y' }]);
    expect(value('99999999999999999999')).toBe(99999999999999999999n);
  });

  it('splits a dotted key into a path, list indices included', () => {
    expect(parseOverride('layers.0.units=5').path).toEqual(['layers', '0', 'units']);
  });

  it('reports the column of a malformed value', () => {
    const unclosed = errorOf(() => parseOverride('lr=[1,2', 'train.yaml'));
    expect(unclosed.code).toBe('OVERRIDE_SYNTAX');
    expect(unclosed.column).toBe(8);
    expect(unclosed.file).toBe('train.yaml');
    expect(unclosed.message).toContain("column 8 of 'lr=[1,2'");
    expect(errorOf(() => parseOverride('a=x#y')).column).toBe(4);
    expect(errorOf(() => parseOverride('a b=1')).column).toBe(2);
    expect(errorOf(() => parseOverride('a=1=2')).column).toBe(4);
  });

  it('reports a function that refuses its arguments with the column of the call', () => {
    const error = errorOf(() => parseOverride('lr=range(a)'));
    expect(error.code).toBe('OVERRIDE_FUNCTION');
    expect(error.column).toBe(4);
  });
});

describe('sweeps', () => {
  it("refuses a sweep where one run is allowed, with DVC's message", () => {
    const overrides = parseOverrides(['a=1', 'b=1,2']);
    expect(hasSweep(overrides)).toBe(true);
    const error = errorOf(() => assertNoSweep(overrides));
    expect(error.message).toBe("Sweep overrides can't be used without `--queue`");
    expect(error.code).toBe('OVERRIDE_SWEEP');
    expect(() => assertNoSweep(parseOverrides(['a=1']))).not.toThrow();
  });

  it('expands the cartesian product across keys and files, first varying slowest', () => {
    const runs = expandSweeps(parseOverrides(['a=1,2', 'b.json:c=range(2)']));
    expect(runs.map((run) => [...run].map(([file, list]) => `${file}:${list[0]!.text}`))).toEqual([
      ['params.yaml:a=1', 'b.json:c=0'],
      ['params.yaml:a=1', 'b.json:c=1'],
      ['params.yaml:a=2', 'b.json:c=0'],
      ['params.yaml:a=2', 'b.json:c=1'],
    ]);
  });

  it('refuses glob and interval, as DVC does', () => {
    expect(() => expandSweeps(parseOverrides(['a=glob(*)']))).toThrow(
      "Glob override 'a=glob(*)' is not supported.",
    );
    expect(() => expandSweeps(parseOverrides(['a=interval(0,1)']))).toThrow(/INTERVAL_SWEEP/);
  });
});

describe('applyOverrides', () => {
  const tree = { lr: 0.1, train: { epochs: 5, layers: [8, 16] }, none: null };
  const apply = (...texts: string[]) =>
    applyOverrides(
      tree,
      texts.map((text) => parseOverride(text)),
    );

  it('edits only what changes, list items by index', () => {
    expect(apply('train.layers.1=32', 'lr=0.1').edits).toEqual([
      { kind: 'set', path: ['train', 'layers', '1'], value: 32 },
    ]);
  });

  it('adds, force-adds and deletes', () => {
    expect(apply('+train.new.deep=1').edits).toEqual([
      { kind: 'set', path: ['train', 'new'], value: { deep: 1 } },
    ]);
    expect(apply('++lr=2').tree.lr).toBe(2);
    expect(apply('~train.epochs').edits).toEqual([{ kind: 'delete', path: ['train', 'epochs'] }]);
  });

  it('refuses a missing key without +, an existing key with +, a missing key to delete', () => {
    expect(errorOf(() => apply('nope=1')).code).toBe('OVERRIDE_KEY_MISSING');
    expect(errorOf(() => apply('train.nope=1')).code).toBe('OVERRIDE_KEY_MISSING');
    expect(errorOf(() => apply('+lr=1')).code).toBe('OVERRIDE_KEY_EXISTS');
    expect(errorOf(() => apply('~nope')).code).toBe('OVERRIDE_DELETE');
    expect(errorOf(() => apply('~none')).code).toBe('OVERRIDE_DELETE');
    expect(errorOf(() => apply('~lr=0.5')).message).toContain("The value of 'lr' is 0.1 and not 0.5");
    expect(errorOf(() => apply('train.layers.2=1')).code).toBe('OVERRIDE_TYPE');
  });

  it('merges a dict value into the dict at the key', () => {
    expect(apply('train={epochs: 7}').tree.train).toEqual({ epochs: 7, layers: [8, 16] });
    expect(apply('+train={extra: 1}').tree.train).toEqual({ epochs: 5, layers: [8, 16], extra: 1 });
  });

  it('resolves ${…} in the values it writes', () => {
    expect(apply('lr=${train.epochs}').tree.lr).toBe(5);
    expect(apply('lr=x${train.epochs}').tree.lr).toBe('x5');
  });
});
