import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dumpDvcYaml, Tvc } from '@tvc/core';
import {
  comparePythonStrings,
  getParam,
  type ParamsEdit,
  ParamsSyntaxError,
  type ParamsValue,
  PythonFloat,
  pythonJsonDumps,
  pythonRepr,
} from '@tvc/params';
import { describe, expect, it } from 'vitest';
import { tomlParamsFormat as format } from './toml-params-format';
import { TomlParamsPlugin } from './toml-params-plugin';

const set = (key: string, value: ParamsValue): ParamsEdit => ({ kind: 'set', path: key.split('.'), value });
const remove = (key: string): ParamsEdit => ({ kind: 'delete', path: key.split('.') });

function syntaxError(text: string): ParamsSyntaxError {
  try {
    format.read(text, 'params.toml');
  } catch (error) {
    return error as ParamsSyntaxError;
  }
  throw new Error('no error');
}

describe('reading TOML params as DVC (tomlkit) does', () => {
  it('reads integers, bigints beyond 2^53 and every integer notation', () => {
    const tree = format.read(
      'a = 42\nb = -17\nc = 0xff\nd = 0o17\ne = 0b101\nf = 1_000\ng = +5\nh = 9007199254740993\ni = -0\n',
      'params.toml',
    );
    expect(tree).toEqual({ a: 42, b: -17, c: 255, d: 15, e: 5, f: 1000, g: 5, h: 9007199254740993n, i: 0 });
  });

  it('keeps integral floats as Python floats', () => {
    const tree = format.read(
      'a = 1.0\nb = 2e3\nc = -0.0\nd = 0.5\ne = 1e-05\nf = 6.626e-34\ng = inf\nh = -inf\ni = nan\nj = 1e16\nk = +1.5\n',
      'params.toml',
    );
    expect(tree).toEqual({
      a: new PythonFloat(1),
      b: new PythonFloat(2000),
      c: new PythonFloat(-0),
      d: 0.5,
      e: 1e-5,
      f: 6.626e-34,
      g: Number.POSITIVE_INFINITY,
      h: Number.NEGATIVE_INFINITY,
      i: Number.NaN,
      j: new PythonFloat(1e16),
      k: 1.5,
    });
    expect(Object.values(tree).map((value) => pythonRepr(value as number))).toEqual([
      '1.0',
      '2000.0',
      '-0.0',
      '0.5',
      '1e-05',
      '6.626e-34',
      'inf',
      '-inf',
      'nan',
      '1e+16',
      '1.5',
    ]);
  });

  it('reads every kind of string and key', () => {
    const tree = format.read(
      [
        's = "tab\\there \\u00e9 \\U0001F600 \\e"',
        "l = 'C:\\path'",
        'm = """',
        'line1',
        'line2 \\',
        '   joined"""',
        "ml = '''",
        "raw \\n'''",
        '"quoted.key" = 1',
        "'lit key' = 2",
        '"" = 3',
        'b1 = true',
        'b2 = false',
      ].join('\n'),
      'params.toml',
    );
    expect(tree).toEqual({
      s: 'tab\there é 😀 \u001b',
      l: 'C:\\path',
      m: 'line1\nline2 joined',
      ml: 'raw \\n',
      'quoted.key': 1,
      'lit key': 2,
      '': 3,
      b1: true,
      b2: false,
    });
  });

  it('reads arrays, inline tables, dotted keys, tables and arrays of tables in definition order', () => {
    const tree = format.read(
      [
        'arr = [1, 2.0, "three", true, [1, 2], { x = 1 }]',
        'inline = { a = 1, b.c = "x" }',
        'dotted.key = 3',
        '[a.b]',
        'x = 1',
        '[a]',
        'y = 2',
        '[[layers]]',
        'units = 64',
        '[layers.act]',
        'name = "relu"',
        '[[layers]]',
        'units = 32',
        '[empty]',
      ].join('\n'),
      'params.toml',
    );
    expect(tree).toEqual({
      arr: [1, new PythonFloat(2), 'three', true, [1, 2], { x: 1 }],
      inline: { a: 1, b: { c: 'x' } },
      dotted: { key: 3 },
      a: { b: { x: 1 }, y: 2 },
      layers: [{ units: 64, act: { name: 'relu' } }, { units: 32 }],
      empty: {},
    });
    expect(Object.keys(tree.a as object)).toEqual(['b', 'y']);
  });

  it('reads an empty document, or one of comments, as empty params', () => {
    expect(format.read('', 'params.toml')).toEqual({});
    expect(format.read('# nothing\n\n', 'params.toml')).toEqual({});
  });

  it('reads TOML 1.1 as tomlkit 0.15 does', () => {
    expect(format.read('a = {\n  x = 1,\n}\nt = 07:32\nb = "\\x41"\n', 'params.toml')).toEqual({
      a: { x: 1 },
      t: new Date('0000-01-01T07:32:00Z'),
      b: 'A',
    });
  });

  // DVC reads a params file with dates; tracking one fails, as tomlkit gives datetime/date/time
  // objects that json.dumps cannot hash ("failed to reproduce 's': Object of type datetime is not
  // JSON serializable", DVC 3.67.1). tvc reads them as Dates, which its hashing refuses likewise.
  it('reads dates and times as Dates, which cannot be hashed as params', () => {
    const tree = format.read(
      'odt = 1979-05-27T00:32:00.999-07:00\nldt = 1979-05-27T07:32:00\nld = 1979-05-27\nlt = 07:32:00.5\n',
      'params.toml',
    );
    expect(tree).toEqual({
      odt: new Date('1979-05-27T07:32:00.999Z'),
      ldt: new Date('1979-05-27T07:32:00Z'),
      ld: new Date('1979-05-27T00:00:00Z'),
      lt: new Date('0000-01-01T07:32:00.500Z'),
    });
    expect(() => pythonJsonDumps(tree)).toThrow(/is not JSON serializable/);
  });

  // Lines and columns from 1; tomlkit reports the same places (its columns count from 0).
  it.each([
    ['a = 1\na = 2\n', 2, 1, /defining a key multiple times is invalid/],
    ['a = \n', 2, 1, /unspecified values are invalid/],
    ['x = 1\ny = 2\nz = [1,\n  2,, 3]\n', 4, 5, /unexpected token/],
    ['x = 1\ns = "abc\n', 2, 9, /unterminated string/],
    ['a = 01\n', 1, 5, /leading zeros/],
    ['a = 1979-02-30\n', 1, 14, /invalid date/],
    ['[a]\nx = 1\n[a]\n', 3, 2, /defining a key multiple times/],
    ['a = 1 b = 2\n', 1, 7, /must be a newline/],
  ])('reports %j with its line and column', (text, line, column, message) => {
    const error = syntaxError(text);
    expect(error).toBeInstanceOf(ParamsSyntaxError);
    expect(error.file).toBe('params.toml');
    expect([error.line, error.column]).toEqual([line, column]);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`line ${line}, column ${column}`);
  });
});

// DVC 3.67.1 (`dvc repro` of a stage tracking these keys of this params.toml) wrote this
// `params:` block to dvc.lock; tvc's values must serialise to the same text.
const DVC_PARAMS_TOML = `# top comment
int = 42
neg = -17
hex = 0xff
big = 9007199254740993
float = 0.5
one = 1.0
small = 1e-05
exp = 2e3
sci = 6.626e-34
bigfloat = 1e16
under = 1_000
oct = 0o17
plus = +1.5
negzero = -0.0
pinf = inf
nan = nan
str = "hello"
literal = 'C:\\path'
multi = """
line1
line2"""
bool = true
off = false
arr = [1, 2.0, "three", true]
nested_arr = [[1, 2], ["a"]]
inline = { a = 1, b = "x", c = 1.0 }
dotted.key = 3
odt = 1979-05-27T07:32:00Z
odt2 = 1979-05-27T00:32:00.999-07:00
ldt = 1979-05-27T07:32:00
ld = 1979-05-27
lt = 07:32:00.5

[train]
lr = 0.001
epochs = 10

[train.optim]
name = "adam"
beta = [0.9, 0.999]

[[layers]]
units = 64

[[layers]]
units = 32
act = "relu"
`;

const DVC_LOCK_PARAMS = `params:
  params.toml:
    arr:
    - 1
    - 2.0
    - three
    - true
    big: 9007199254740993
    bigfloat: 1e+16
    bool: true
    dotted:
      key: 3
    exp: 2000.0
    float: 0.5
    hex: 255
    inline:
      a: 1
      b: x
      c: 1.0
    int: 42
    layers:
    - units: 64
    - units: 32
      act: relu
    literal: C:\\path
    multi: "line1\\nline2"
    nan: .nan
    neg: -17
    negzero: -0.0
    nested_arr:
    - - 1
      - 2
    - - a
    oct: 15
    off: false
    one: 1.0
    pinf: .inf
    plus: 1.5
    sci: 6.626e-34
    small: 1e-05
    str: hello
    train:
      lr: 0.001
      epochs: 10
      optim:
        name: adam
        beta:
        - 0.9
        - 0.999
    under: 1000
`;

describe('values as DVC writes them to dvc.lock', () => {
  const tree = format.read(DVC_PARAMS_TOML, 'params.toml');
  const tracked = [
    'int',
    'neg',
    'hex',
    'big',
    'float',
    'one',
    'small',
    'exp',
    'sci',
    'bigfloat',
    'under',
    'oct',
    'plus',
    'negzero',
    'pinf',
    'nan',
    'str',
    'literal',
    'multi',
    'bool',
    'off',
    'arr',
    'nested_arr',
    'inline',
    'dotted',
    'train',
    'layers',
  ];

  it('serialises to the params block DVC wrote', () => {
    const params = Object.fromEntries(
      [...tracked].sort(comparePythonStrings).map((key) => [key, getParam(tree, key)]),
    );
    expect(dumpDvcYaml({ params: { 'params.toml': params } })).toBe(DVC_LOCK_PARAMS);
  });

  it('gives floats the repr DVC wrote', () => {
    const float = (key: string) => pythonRepr(getParam(tree, key) as number | PythonFloat);
    expect(['one', 'small', 'exp', 'sci', 'bigfloat', 'negzero', 'plus', 'float'].map(float)).toEqual([
      '1.0',
      '1e-05',
      '2000.0',
      '6.626e-34',
      '1e+16',
      '-0.0',
      '1.5',
      '0.5',
    ]);
    expect(pythonRepr(getParam(tree, 'big') as bigint)).toBe('9007199254740993');
    expect(getParam(tree, 'inline.c')).toEqual(new PythonFloat(1));
  });
});

describe('editing TOML params', () => {
  const text = [
    '# Training parameters',
    'seed = 42  # the answer',
    "data = 'data/raw'",
    'lr=1.0',
    'layers = [64, 32]',
    'optim = { name = "adam", beta = 0.9 }',
    'model.depth = 3',
    '',
    '# the schedule',
    '[train]',
    '  epochs = 10',
    '  batch = 32 # per device',
    '',
    '[train.early]',
    'patience = 5',
    '',
    '[[stages]]',
    'name = "a"',
    '',
    '[[stages]]',
    'name = "b"',
    '',
  ].join('\n');
  const write = (edits: readonly ParamsEdit[], source = text) => format.write(source, edits, 'params.toml');
  /** `text` with exactly one span replaced: the edit touched nothing else. */
  const replaced = (from: string, to: string, source = text) => {
    expect(source.split(from)).toHaveLength(2);
    return source.replace(from, to);
  };

  it('changes only the bytes of the value it sets', () => {
    expect(write([set('seed', 7)])).toBe(replaced('seed = 42 ', 'seed = 7 '));
    expect(write([set('lr', 1e-5)])).toBe(replaced('lr=1.0', 'lr=1e-05'));
    expect(write([set('lr', new PythonFloat(2))])).toBe(replaced('lr=1.0', 'lr=2.0'));
    expect(write([set('train.epochs', 20)])).toBe(replaced('epochs = 10', 'epochs = 20'));
    expect(write([set('train.batch', 64)])).toBe(replaced('batch = 32 #', 'batch = 64 #'));
    expect(write([set('layers.1', 16)])).toBe(replaced('[64, 32]', '[64, 16]'));
    expect(write([set('optim.name', 'sgd')])).toBe(replaced('"adam"', '"sgd"'));
    expect(write([set('model.depth', 4)])).toBe(replaced('depth = 3', 'depth = 4'));
    expect(write([set('train.early.patience', 9007199254740993n)])).toBe(
      replaced('patience = 5', 'patience = 9007199254740993'),
    );
    expect(write([set('stages.1.name', 'c')])).toBe(replaced('name = "b"', 'name = "c"'));
    expect(write([set('seed', 'x "y"\n')])).toBe(replaced('seed = 42', 'seed = "x \\"y\\"\\n"'));
    expect(write([set('seed', [1, { a: true }])])).toBe(replaced('seed = 42', 'seed = [1, { a = true }]'));
  });

  it('keeps the quoting style of the string it replaces', () => {
    expect(write([set('data', 'data/new')])).toBe(replaced("'data/raw'", "'data/new'"));
    expect(write([set('data', "it's")])).toBe(replaced("'data/raw'", '"it\'s"'));
  });

  it('leaves the text alone when a value is set to what it is', () => {
    const source = 'a = 0xff\nb = 1_000.5\n';
    expect(write([set('a', 255), set('b', 1000.5)], source)).toBe(source);
  });

  it('sets a table key by key, so its layout stays', () => {
    expect(write([set('optim', { name: 'adam', beta: 0.8 })])).toBe(replaced('0.9 }', '0.8 }'));
    expect(write([set('train', { epochs: 10, batch: 16, early: { patience: 5 } })])).toBe(
      replaced('batch = 32', 'batch = 16'),
    );
    expect(write([set('layers', [64, 16, 8])])).toBe(replaced('[64, 32]', '[64, 16, 8]'));
  });

  it('adds a key in its table, in the style of its neighbours', () => {
    expect(write([set('train.lr', 0.1)])).toBe(
      replaced('batch = 32 # per device', 'batch = 32 # per device\n  lr = 0.1'),
    );
    expect(write([set('dropout', 0.5)])).toBe(replaced('model.depth = 3', 'model.depth = 3\ndropout = 0.5'));
    expect(write([set('model.width', 8)])).toBe(
      replaced('model.depth = 3', 'model.depth = 3\nmodel.width = 8'),
    );
    expect(write([set('optim.eps', 1e-8)])).toBe(replaced('beta = 0.9 }', 'beta = 0.9, eps = 1e-08 }'));
    expect(write([set('layers.2', 8)])).toBe(replaced('[64, 32]', '[64, 32, 8]'));
    expect(write([set('train.early.delta', new PythonFloat(0))])).toBe(
      replaced('patience = 5', 'patience = 5\ndelta = 0.0'),
    );
    expect(write([set('stages.0.size', 1)])).toBe(replaced('name = "a"', 'name = "a"\nsize = 1'));
    expect(write([set('new.deep.key', 'v')])).toBe(
      replaced('model.depth = 3', 'model.depth = 3\nnew.deep.key = "v"'),
    );
    expect(write([set('has space', { x: 1 })])).toBe(
      replaced('model.depth = 3', 'model.depth = 3\n"has space" = { x = 1 }'),
    );
  });

  it('adds an item to an array of tables as a new [[table]]', () => {
    expect(write([set('stages.2', { name: 'c', n: 1 })])).toBe(
      replaced('name = "b"\n', 'name = "b"\n\n[[stages]]\nname = "c"\nn = 1\n'),
    );
  });

  it('adds to tables only headers make, and to empty tables', () => {
    expect(write([set('a.c', 1)], '[a.b]\nx = 1\n')).toBe('[a]\nc = 1\n\n[a.b]\nx = 1\n');
    expect(write([set('t.x', 1)], '[t]\n[u]\n')).toBe('[t]\nx = 1\n[u]\n');
    expect(write([set('x', 1)], '# head\n[t]\n')).toBe('x = 1\n\n# head\n[t]\n');
    expect(write([set('x', 1)], '')).toBe('x = 1\n');
    expect(write([set('x', 1)], 'y = 2')).toBe('y = 2\nx = 1');
  });

  it('removes the line of a key it deletes, and nothing else', () => {
    expect(write([remove('seed')])).toBe(replaced('seed = 42  # the answer\n', ''));
    expect(write([remove('train.batch')])).toBe(replaced('  batch = 32 # per device\n', ''));
    expect(write([remove('layers.0')])).toBe(replaced('[64, 32]', '[32]'));
    expect(write([remove('optim.name')])).toBe(replaced('name = "adam", ', ''));
    expect(write([remove('optim.beta')])).toBe(replaced(', beta = 0.9', ''));
    expect(write([remove('missing.key')])).toBe(text);
  });

  it('removes a table with its sub-tables, and an item of an array of tables', () => {
    expect(write([remove('train')])).toBe(
      replaced(
        '# the schedule\n[train]\n  epochs = 10\n  batch = 32 # per device\n\n[train.early]\npatience = 5\n\n',
        '',
      ),
    );
    expect(write([remove('train.early')])).toBe(replaced('[train.early]\npatience = 5\n\n', ''));
    expect(write([remove('stages.0')])).toBe(replaced('[[stages]]\nname = "a"\n\n', ''));
    expect(write([remove('stages.1')])).toBe(replaced('\n\n[[stages]]\nname = "b"\n', '\n'));
  });

  it('keeps a table that loses its last key, as the edited tree does', () => {
    expect(write([remove('model.depth')])).toBe(replaced('model.depth = 3', 'model = {}'));
    expect(format.read(write([remove('model.depth')]), 'p.toml').model).toEqual({});
    expect(write([remove('x.0')], '[[x]]\na = 1\n')).toBe('x = []\n');
  });

  it('empties a table made by dotted keys', () => {
    expect(write([set('d', {})], 'd.e.f = 1\nd.e.g = 2\n')).toBe('d = {}\n');
  });

  it('edits arrays written over several lines, with their comments', () => {
    const source = 'arr = [\n  1, # one\n  2,\n]\n';
    expect(write([set('arr.0', 5)], source)).toBe(replaced('  1,', '  5,', source));
    expect(write([set('arr.2', 3)], source)).toBe(replaced('  2,', '  2,\n  3,', source));
    expect(write([remove('arr.1')], source)).toBe(replaced(' # one\n  2,', ' # one', source));
  });

  it('turns a table into a value and back', () => {
    expect(write([set('train.early', 3)])).toBe(
      replaced('\n[train.early]\npatience = 5\n', '').replace(
        '# per device\n',
        '# per device\n  early = 3\n',
      ),
    );
    expect(format.read(write([set('model', 'deep')]), 'p.toml').model).toBe('deep');
  });

  it('applies several edits in turn', () => {
    const edits = [set('seed', 1), remove('data'), set('train.lr', 0.1), set('layers.2', 8)];
    expect(format.read(write(edits), 'p.toml')).toMatchObject({
      seed: 1,
      layers: [64, 32, 8],
      train: { lr: 0.1 },
    });
  });

  it('keeps CRLF line endings', () => {
    const source = 'a = 1\r\n[t]\r\nb = 2\r\n';
    expect(write([set('t.c', 3)], source)).toBe('a = 1\r\n[t]\r\nb = 2\r\nc = 3\r\n');
    expect(write([remove('a')], source)).toBe('[t]\r\nb = 2\r\n');
  });

  it('refuses what TOML cannot hold, and keys that cannot be reached', () => {
    expect(() => write([set('seed', null)])).toThrow(/TOML has no null/);
    expect(() => write([set('seed.x', 1)])).toThrow(/'seed' is not a table or an array/);
    expect(() => write([set('layers.5', 1)])).toThrow(/there is no item '5'/);
    expect(() => write([set('stages.2', 1)])).toThrow(/an array of tables holds only tables/);
    expect(() => write([set('layers.2.x', 1)])).toThrow(/there is no item '2'/);
    expect(() => write([set('seed', 1)], 'a = ')).toThrow(ParamsSyntaxError);
  });
});

describe('TomlParamsPlugin', () => {
  it('reads .toml files and leaves the rest to other formats', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'tvc-params-toml-'));
    try {
      await mkdir(path.join(root, '.dvc'));
      const tvc = await Tvc.open({
        root,
        cwd: root,
        config: { config: {}, filepath: undefined },
        presets: [],
        plugins: [new TomlParamsPlugin()],
      });
      expect(tvc.paramsFormat('conf/params.toml').name).toBe('toml');
      expect(() => tvc.paramsFormat('params.yaml')).toThrow(/no params format reads/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('hostile input (issue 14 item 13)', () => {
  it('refuses nesting deeper than the limit with an ordinary, located error', () => {
    for (const depth of [5000, 100_000]) {
      const text = `a = OPEN1CLOSE`.replace('OPEN', '['.repeat(depth)).replace('CLOSE', ']'.repeat(depth));
      let error: unknown;
      try {
        format.read(text, 'params.toml');
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
    const text = `a = OPEN1CLOSE`.replace('OPEN', '['.repeat(200)).replace('CLOSE', ']'.repeat(200));
    let value: unknown = format.read(text, 'params.toml').a;
    for (let depth = 0; depth < 200; depth++) value = (value as unknown[])[0];
    expect(value).toBe(1);
  });
});

describe('control characters (issue 14 item 14)', () => {
  it('refuses NUL, control characters and DEL, as tomlkit does', () => {
    for (const char of ['\0', '\x01', '\x7f']) {
      expect(() => format.read(`a = "x${char}y"\n`, 'params.toml')).toThrow(ParamsSyntaxError);
    }
  });
});

describe('keys named like Object.prototype members (found by the fuzz suite)', () => {
  it('reads [__proto__] and constructor.prototype as ordinary keys and changes no prototype', () => {
    const polluted = format.read('[__proto__]\npolluted = 1\n', 'params.toml');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(polluted)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(polluted, '__proto__')?.value).toEqual({ polluted: 1 });

    const viaConstructor = format.read('[constructor.prototype]\nx = 1\n', 'params.toml');
    expect(JSON.stringify(viaConstructor)).toBe('{"constructor":{"prototype":{"x":1}}}');
    const inline = format.read('a = { __proto__ = { b = 1 }, toString = 2 }\n', 'params.toml');
    expect(JSON.stringify(inline)).toBe('{"a":{"__proto__":{"b":1},"toString":2}}');
    const arrays = format.read('[[__proto__]]\nx = 1\n[[__proto__]]\nx = 2\n', 'params.toml');
    expect(JSON.stringify(arrays)).toBe('{"__proto__":[{"x":1},{"x":2}]}');
  });
});
