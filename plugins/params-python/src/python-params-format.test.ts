import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dumpDvcYaml, Tvc } from '@tvc/core';
import {
  comparePythonStrings,
  type ParamsEdit,
  ParamsSyntaxError,
  type ParamsTree,
  type ParamsValue,
  PythonFloat,
} from '@tvc/params';
import { describe, expect, it } from 'vitest';
import { pythonParamsFormat as format } from './python-params-format';
import { PythonParamsPlugin } from './python-params-plugin';

const set = (key: string, value: ParamsValue): ParamsEdit => ({ kind: 'set', path: key.split('.'), value });
const remove = (key: string): ParamsEdit => ({ kind: 'delete', path: key.split('.') });
const read = (text: string) => format.read(text, 'params.py');
const write = (text: string, ...edits: ParamsEdit[]) => format.write(text, edits, 'params.py');
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

function syntaxError(text: string): ParamsSyntaxError {
  try {
    read(text);
  } catch (error) {
    if (error instanceof ParamsSyntaxError) return error;
    throw error;
  }
  throw new Error(`no error for ${JSON.stringify(text)}`);
}

/** Checks that `after` differs from `before` only inside [from, from + removed) of `before`. */
function changedOnly(before: string, after: string, from: number, removed: number): string {
  expect(after.slice(0, from)).toBe(before.slice(0, from));
  const tail = before.length - from - removed;
  expect(after.slice(after.length - tail)).toBe(before.slice(before.length - tail));
  return after.slice(from, after.length - tail);
}

describe('reading literals as ast.literal_eval does', () => {
  it('reads ints in every base, with underscores, and big ones as bigint', () => {
    expect(
      read(
        'a = 0x10\nb = 0o17\nc = 0b101\nd = 1_000\ne = 0\nf = 00\ng = 0X_fF\nh = 123456789012345678901234567890\n',
      ),
    ).toEqual({
      a: 16,
      b: 15,
      c: 5,
      d: 1000,
      e: 0,
      f: 0,
      g: 255,
      h: 123456789012345678901234567890n,
    });
    expect(read('a = 9007199254740991\nb = 9007199254740992\n')).toEqual({
      a: 9007199254740991,
      b: 9007199254740992n,
    });
  });

  it('reads floats, integral ones as PythonFloat', () => {
    const tree = read(
      'a = 1e-3\nb = 1.\nc = .5\nd = 1_0.5\ne = 1.0\nf = 2E3\ng = 1.e2\nh = 1e400\ni = -0.0\n',
    );
    expect(tree).toEqual({
      a: 0.001,
      b: new PythonFloat(1),
      c: 0.5,
      d: 10.5,
      e: new PythonFloat(1),
      f: new PythonFloat(2000),
      g: new PythonFloat(100),
      h: Number.POSITIVE_INFINITY,
      i: new PythonFloat(-0),
    });
    expect(Object.is((tree.i as PythonFloat).value, -0)).toBe(true);
  });

  it('reads signs on numbers only', () => {
    expect(read('a = -5\nb = +3\nc = -2.5\nd = -(1)\ne = -0\nf = -123456789012345678901234567890\n')).toEqual(
      {
        a: -5,
        b: 3,
        c: -2.5,
        d: -1,
        e: 0,
        f: -123456789012345678901234567890n,
      },
    );
    // literal_eval refuses a sign on anything but a number constant.
    expect(read('a = -True\nb = --1\nc = -"x"\nd = ~1\ne = 1 + 2\n')).toEqual({});
  });

  it('reads strings of every quoting style', () => {
    const text = [
      `a = 'single'`,
      `b = "double"`,
      `c = '''tri\nple'''`,
      `d = """tri"ple"""`,
      `e = r"raw\\n\\d"`,
      `f = "con" 'cat' """enation"""`,
      `g = "t\\tn\\nq\\"b\\\\x\\x41o\\101u\\u00e9U\\U0001F600"`,
      `h = "line\\`,
      `continued"`,
      `i = u"unicode"`,
      `j = "unknown \\d escape"`,
      `k = ("implicit"`,
      `     " across lines")`,
      `l = R'''raw\\'''' if False else 1`,
      `m = ""`,
    ].join('\n');
    expect(read(text)).toEqual({
      a: 'single',
      b: 'double',
      c: 'tri\nple',
      d: 'tri"ple',
      e: 'raw\\n\\d',
      f: 'concatenation',
      g: 't\tn\nq"b\\xAoAuéU😀',
      h: 'linecontinued',
      i: 'unicode',
      j: 'unknown \\d escape',
      k: 'implicit across lines',
      m: '',
    });
  });

  it('reads True, False, None, lists, tuples as lists, dicts', () => {
    expect(
      read(
        'a = True\nb = False\nc = None\nd = [1, [2, (3, 4)], {"k": None}]\ne = (1, 2)\nf = 1, 2\ng = ()\nh = (1,)\ni = 1,\n',
      ),
    ).toEqual({
      a: true,
      b: false,
      c: null,
      d: [1, [2, [3, 4]], { k: null }],
      e: [1, 2],
      f: [1, 2],
      g: [],
      h: [1],
      i: [1],
    });
    expect(read("d = {'a': 1, 2: 'int key', 'a': 3}\n")).toEqual({ d: { 2: 'int key', a: 3 } });
  });

  it('leaves out literals DVC reads but that have no params value (sets, bytes, complex, ...)', () => {
    // DVC reads these, then fails to write them to dvc.lock ("Object of type set is not JSON serializable").
    expect(
      read(
        'a = {1, 2}\nb = b"x"\nc = 1+2j\nd = 2j\ne = ...\nf = set()\ng = [b"x"]\nh = "\\N{BULLET}"\nok = 1\n',
      ),
    ).toEqual({
      ok: 1,
    });
    // A later such value hides an earlier readable one rather than leaving it stale.
    expect(read('a = 1\na = {1}\n')).toEqual({});
  });
});

describe("which statements define params (DVC's _ast_tree_to_dict)", () => {
  it('skips what is not a single-target literal assignment', () => {
    const text = [
      'import os',
      'from x import y',
      'fs = f"{y}"',
      'fs2 = "a" f"{y}"',
      'a = b = 3',
      'c, d = 1, 2',
      'e: int',
      'f = os.sep',
      'g = [1, os.sep]',
      'h = {**{}}',
      'i = [*[]]',
      'j = len("x")',
      'k += 1',
      'x[0] = 1',
      'obj.attr = 1',
      'self.a.b = 1',
      'if True:',
      '    inside_if = 1',
      'def f():',
      '    in_function = 1',
      'for q in []:',
      '    in_loop = 1',
      'lam = lambda: 1',
      'comp = [i for i in range(3)]',
      'kept: float = 0.5',
    ].join('\n');
    expect(read(text)).toEqual({ kept: 0.5 });
  });

  it('keeps the first place and the last value of a reassigned key', () => {
    expect(JSON.stringify(read('a = 1\nb = 2\na = 3\n'))).toBe('{"a":3,"b":2}');
  });

  it('nests class bodies, with self attributes of __init__', () => {
    const text = [
      '@dataclass',
      'class Train:',
      '    batch: int = 32',
      '    opt = "adam"',
      '    class Inner:',
      '        k = 1',
      '    def __init__(self, x):',
      '        self.seed = 42',
      '        self.batch = 64',
      '        local = 5',
      '        self.computed = x',
      '        if x:',
      '            self.hidden = 1',
      '    def other(self):',
      '        self.ignored = 1',
      '    async def __init__(self):',
      '        self.async_ignored = 1',
      'class Empty:',
      '    pass',
    ].join('\n');
    expect(read(text)).toEqual({
      Train: { batch: 64, opt: 'adam', Inner: { k: 1 }, seed: 42 },
      Empty: {},
    });
  });

  it('reads one-line statements and bodies', () => {
    expect(read('a = 1; b = 2  # two\nclass C: x = 1; y = 2\n')).toEqual({ a: 1, b: 2, C: { x: 1, y: 2 } });
  });

  it('reads a key named __proto__ as a key', () => {
    const tree = read('__proto__ = 1\n');
    expect(Object.keys(tree)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(tree)).toBe(Object.prototype);
  });

  it('reads an empty file, comments only, and CRLF line endings', () => {
    expect(read('')).toEqual({});
    expect(read('# nothing\n')).toEqual({});
    expect(read('a = 1\r\nb = """x\r\ny"""\r\n')).toEqual({ a: 1, b: 'x\ny' });
  });
});

describe('syntax errors, where CPython finds them', () => {
  // The reason is CPython 3.11's; DVC prefixes it with "Python file structure is corrupted".
  it.each([
    ['x = 1\n  y = 2\n', 'unexpected indent', 2, 3],
    ['x = (1\ny = 2\n', "'(' was never closed", 1, 5],
    ['x = 0777\n', 'leading zeros in decimal integer literals are not permitted', 1, 5],
    ['x = 1__0\n', 'invalid decimal literal', 1, 5],
    ['x = "abc\n', 'unterminated string literal (detected at line 1)', 1, 5],
    ['x = """abc\n', 'unterminated triple-quoted string literal', 1, 5],
    ['class A:\nx = 1\n', 'expected an indented block after class definition on line 1', 2, 1],
    [
      'class A:\n    if x:\n        a = 1\n  b = 2\n',
      'unindent does not match any outer indentation level',
      4,
      3,
    ],
    ['x = b"a" "b"\n', 'cannot mix bytes and nonbytes literals', 1, 5],
    ['x = "\\x4"\n', 'truncated \\xXX escape', 1, 5],
    ['x = b"é"\n', 'bytes can only contain ASCII literal characters', 1, 5],
    ['a = 1\nx = = 2\n', 'invalid syntax', 2, 5],
  ])('%j: %s', (text, reason, line, column) => {
    const error = syntaxError(text);
    expect(error.message).toContain(reason);
    expect(error.message).toMatch(/^Python file structure is corrupted: .* \(params\.py, line \d+\)$/);
    expect(error.message).toContain(`line ${line})`);
    expect([error.file, error.line, error.column]).toEqual(['params.py', line, column]);
  });

  it('accepts Python 3.11 syntax elsewhere in the file', () => {
    const text = [
      'def f(a, /, *, b): pass',
      'try:',
      '    pass',
      'except* ValueError:',
      '    pass',
      'match x:',
      '    case [1, *rest]:',
      '        pass',
      'y = (z := 1)',
      's = f"{y!r:>{w}}"',
      'x = 1',
    ].join('\n');
    expect(read(text)).toEqual({ x: 1 });
  });
});

describe('editing in place', () => {
  it('changes only the bytes of the edited value', () => {
    const text = '# header\nlr = 0.001  # learning rate\nepochs: int = 10\nname = "run"\n';
    const after = write(text, set('lr', 0.01));
    expect(changedOnly(text, after, text.indexOf('0.001'), 5)).toBe('0.01');
    expect(read(after).lr).toBe(0.01);
  });

  it('writes values as Python literals', () => {
    const text = 'a = 0\n';
    const cases: [ParamsValue, string][] = [
      [new PythonFloat(1), '1.0'],
      [1e-5, '1e-05'],
      [10n ** 16n, '10000000000000000'],
      [new PythonFloat(1e16), '1e+16'],
      [123456789012345678901234567890n, '123456789012345678901234567890'],
      [true, 'True'],
      [null, 'None'],
      ["it's", `"it's"`],
      ['tab\there\n', "'tab\\there\\n'"],
      [[1, 'x', [new PythonFloat(2)]], "[1, 'x', [2.0]]"],
      [{ k: 1, 'two words': null }, "{'k': 1, 'two words': None}"],
      [Number.POSITIVE_INFINITY, '1e999'],
      [-1, '-1'],
    ];
    for (const [value, literal] of cases) {
      const after = write(text, set('a', value));
      expect(after).toBe(`a = ${literal}\n`);
    }
    expect(() => write(text, set('a', Number.NaN))).toThrow();
  });

  it("keeps the quote style of a string it replaces, and the file's for new ones", () => {
    expect(write('a = "x"\n', set('a', 'y'))).toBe('a = "y"\n');
    expect(write("a = 'x'\n", set('a', 'y'))).toBe("a = 'y'\n");
    expect(write('a = r"x\\d"\n', set('a', 'y\\w'))).toBe('a = r"y\\w"\n');
    expect(write('a = r"x"\n', set('a', 'q"'))).toBe(`a = 'q"'\n`);
    expect(write('a = """x"""\n', set('a', 'two\nlines'))).toBe('a = """two\nlines"""\n');
    expect(write('a = u"x"\n', set('a', 'y'))).toBe('a = u"y"\n');
    expect(write('a = "x" "y"\n', set('a', 'z'))).toBe("a = 'z'\n".replace("'z'", '"z"'));
    expect(write('a = "x"\nb = 1\n', set('b', 'new'))).toBe('a = "x"\nb = "new"\n');
  });

  it('keeps tuples as tuples', () => {
    expect(write('a = (1, 2)\n', set('a', [3]))).toBe('a = (3,)\n');
    expect(write('a = 1, 2\n', set('a', [3, 4]))).toBe('a = [3, 4]\n');
    expect(read(write('a = 1, 2,\n', set('a', [3, 4])))).toEqual({ a: [3, 4] });
  });

  it('edits inside lists and dicts, changing only that item', () => {
    const text = 'd = {"a": 1, "b": [1, 2], "c": {"x": (1, 2)}}  # keep\n';
    const after = write(text, set('d.c.x.1', 5));
    expect(changedOnly(text, after, text.indexOf('2)'), 1)).toBe('5');
    expect(write(text, set('d.b.2', 3))).toBe('d = {"a": 1, "b": [1, 2, 3], "c": {"x": (1, 2)}}  # keep\n');
    expect(write(text, set('d.e', 'new'))).toBe(
      'd = {"a": 1, "b": [1, 2], "c": {"x": (1, 2)}, "e": "new"}  # keep\n',
    );
    expect(write('d = {}\n', set('d.k.j', 1))).toBe("d = {'k': {'j': 1}}\n");
    const multiline = 'd = {\n    "a": 1,\n    "b": 2,\n}\n';
    expect(write(multiline, set('d.c', 3))).toBe('d = {\n    "a": 1,\n    "b": 2,\n    "c": 3,\n}\n');
    expect(() => write(text, set('d.a.x', 1))).toThrow(ParamsSyntaxError);
    expect(() => write(text, set('d.b.7', 1))).toThrow(ParamsSyntaxError);
  });

  it('edits class attributes and self attributes where they are', () => {
    const text = 'class Train:\n    batch = 32\n    def __init__(self):\n        self.seed = 42\n';
    expect(write(text, set('Train.seed', 7))).toBe(text.replace('42', '7'));
    expect(write(text, set('Train.batch', 64))).toBe(text.replace('32', '64'));
    expect(write(text, set('Train.new', 'x'))).toBe(`${text.trimEnd()}\n    new = 'x'\n`);
    expect(() => write(text, set('Train', 1))).toThrow(/class/);
  });

  it('edits the assignment that counts when a key is assigned twice', () => {
    expect(write('a = 1\na = 2\n', set('a', 3))).toBe('a = 1\na = 3\n');
  });

  it('appends an assignment for a missing top-level key', () => {
    expect(write('a = 1\n', set('b', 2))).toBe('a = 1\nb = 2\n');
    expect(write('a = 1', set('b.c', [1]))).toBe("a = 1\nb = {'c': [1]}\n");
    expect(write('a = 1\r\n', set('b', 2))).toBe('a = 1\r\nb = 2\r\n');
    expect(write('', set('b', 2))).toBe('b = 2\n');
    // A key DVC skips (not a literal) is given a literal after it.
    expect(write('b = compute()\n', set('b', 2))).toBe('b = compute()\nb = 2\n');
    expect(() => write('a = 1\n', set('not a name', 2))).toThrow(ParamsSyntaxError);
    expect(() => write('a = 1\n', set('class', 2))).toThrow(ParamsSyntaxError);
  });

  it('removes the statements of a deleted key', () => {
    const text = '# lr\nlr = 0.1  # comment\nepochs = (\n    10\n)\nb = 1\nlr = 0.2\n';
    expect(write(text, remove('lr'))).toBe('# lr\nepochs = (\n    10\n)\nb = 1\n');
    expect(write(text, remove('epochs'))).toBe('# lr\nlr = 0.1  # comment\nb = 1\nlr = 0.2\n');
    expect(write('a = 1; b = 2\n', remove('a'))).toBe('b = 2\n');
    expect(write('a = 1; b = 2\n', remove('b'))).toBe('a = 1\n');
    expect(write('class A:\n    x = 1\n', remove('A.x'))).toBe('class A:\n    pass\n');
    expect(write('class A:\n    x = 1\n    y = 2\nz = 3\n', remove('A'))).toBe('z = 3\n');
    expect(write('a = 1\n', remove('missing'))).toBe('a = 1\n');
  });

  it('deletes list items and dict members with their separators', () => {
    expect(write('a = [1, 2, 3]\n', remove('a.1'))).toBe('a = [1, 3]\n');
    expect(write('a = {"x": 1, "y": 2}\n', remove('a.x'))).toBe('a = {"y": 2}\n');
    expect(write('a = (1, 2)\n', remove('a.0'))).toBe('a = (2,)\n');
    expect(write('a = [1]\n', remove('a.0'))).toBe('a = []\n');
  });

  it('refuses an edit whose result would not read back as asked', () => {
    // `a` is a set (unreadable for tvc); setting a.x appends a new assignment that reads back fine,
    // but editing through a scalar is refused outright.
    expect(() => write('a = 1\n', set('a.b', 1))).toThrow();
  });
});

describe('against DVC 3.67.1', () => {
  it('reads params.py as DVC wrote it to dvc.lock after `dvc repro`', () => {
    const tree = read(fixture('dvc-params.py'));
    // DVC writes a whole-file params dependency with its top-level keys sorted.
    const sorted: ParamsTree = {};
    for (const key of Object.keys(tree).sort(comparePythonStrings)) sorted[key] = tree[key]!;
    const lock = fixture('dvc-params.lock');
    const block = lock.slice(lock.indexOf('      params.py:\n'));
    expect(dumpDvcYaml({ stages: { s: { cmd: 'echo hi', params: { 'params.py': sorted } } } })).toBe(
      `stages:\n  s:\n    cmd: echo hi\n    params:\n${block}`,
    );
  });

  it('keeps everything DVC keeps when editing, and edits what DVC leaves alone', () => {
    const before = fixture('dvc-edit-before.py');
    const dvcAfter = fixture('dvc-edit-after.py');
    const after = format.write(
      before,
      [
        set('lr', 0.01),
        set('Train.batch', 64),
        set('s2', 'hello'),
        set('d.a', 5),
        set('ratio', new PythonFloat(2)),
      ],
      'params.py',
    );
    // DVC's replacement of ` = old` by ` = new` misses a quoted string and a dict member.
    expect(after).toBe(
      dvcAfter.replace('s2 = "double"', 's2 = "hello"').replace('d = {"a": 1,', 'd = {"a": 5,'),
    );
  });
});

describe('PythonParamsPlugin', () => {
  it('reads .py files and leaves the rest to other formats', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'tvc-params-python-'));
    try {
      await mkdir(path.join(root, '.dvc'));
      const tvc = await Tvc.open({
        root,
        cwd: root,
        config: { config: {}, filepath: undefined },
        presets: [],
        plugins: [new PythonParamsPlugin()],
      });
      expect(tvc.paramsFormat('conf/params.py').name).toBe('python');
      expect(() => tvc.paramsFormat('params.yaml')).toThrow(/no params format reads/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('regressions found by the property tests', () => {
  it('refuses a value with no Python literal with a ParamsSyntaxError, not a bare TypeError', () => {
    expect(() => format.write('k = 0\n', [set('k', Number.NaN)], 'params.py')).toThrow(ParamsSyntaxError);
    expect(() => format.write('k = 0\n', [set('k', Number.NaN)], 'params.py')).toThrow(
      "cannot set 'k': NaN has no Python literal",
    );
  });
});

describe('hostile input (issue 14 item 13)', () => {
  it('refuses nesting deeper than the limit with an ordinary, located error', () => {
    for (const depth of [5000, 100_000]) {
      const text = `a = OPEN1CLOSE`.replace('OPEN', '['.repeat(depth)).replace('CLOSE', ']'.repeat(depth));
      let error: unknown;
      try {
        format.read(text, 'params.py');
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
    let value: unknown = format.read(text, 'params.py').a;
    for (let depth = 0; depth < 200; depth++) value = (value as unknown[])[0];
    expect(value).toBe(1);
  });
});

describe('control characters (issue 14 item 14)', () => {
  it('refuses a NUL as CPython does, located', () => {
    expect(() => format.read('a = 1\nb = "x\0y"\n', 'params.py')).toThrow(
      expect.objectContaining({ message: 'source code cannot contain null bytes', line: 2, column: 7 }),
    );
  });
});
