import { PythonFloat, pythonStr } from '@tvc/params';
import { describe, expect, it } from 'vitest';
import { findInterpolations, isExactInterpolation, parseExpression, unescapeBraces } from './expression';
import { expandDict, shellQuote, toText } from './format';

describe('values as text (DVC to_str)', () => {
  it('prints numbers, None and booleans as DVC does', () => {
    expect(toText(0.00001)).toBe('1e-05');
    expect(toText(new PythonFloat(1))).toBe('1.0');
    expect(toText(1e10)).toBe('10000000000');
    expect(toText(new PythonFloat(1e10))).toBe('10000000000.0');
    expect(toText(12345678901234567890n)).toBe('12345678901234567890');
    expect(toText(null)).toBe('None');
    expect(toText(true)).toBe('true');
    expect(toText(false)).toBe('false');
    expect(toText('a b')).toBe('a b');
    // Python's str() (a value taken from the context as a node) capitalises booleans.
    expect(pythonStr(true)).toBe('True');
    expect(pythonStr(['a', 1, null])).toBe("['a', 1, None]");
  });

  it('quotes as shlex.quote', () => {
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('data/x.csv')).toBe('data/x.csv');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe(`'it'"'"'s'`);
    expect(shellQuote('é')).toBe("'é'");
  });

  it('expands a mapping into flags', () => {
    const value = {
      depth: 2,
      name: 'a b',
      on: true,
      off: false,
      layers: [1, 'x y', 2.5, true],
      nested: { k: 'v', empty: {} },
      none: null,
      float: new PythonFloat(1),
      empty: [],
    };
    expect(toText(value)).toBe(
      "--depth 2 --name 'a b' --on --layers 1 'x y' 2.5 True --nested.k v --none None --float 1.0",
    );
    expect(expandDict({ off: false, layers: [1, 2] }, { bool: 'boolean_optional', list: 'append' })).toBe(
      '--no-off --layers 1 --layers 2',
    );
    expect(toText({})).toBe('');
    expect(() => toText({ li: [[1]] })).toThrow("Cannot interpolate nested iterable in 'li'");
  });
});

describe('${…} expressions', () => {
  it('finds them non-greedily, skipping \\${', () => {
    expect(findInterpolations('a ${x} ${y.z} \\${HOME}').map((found) => found.inner)).toEqual(['x', 'y.z']);
    expect(findInterpolations('${a}}')[0]!.text).toBe('${a}');
    expect(isExactInterpolation('${x}', findInterpolations('${x}'))).toBe(true);
    expect(isExactInterpolation(' ${x}', findInterpolations(' ${x}'))).toBe(false);
    expect(unescapeBraces('echo \\${HOME}')).toBe('echo ${HOME}');
  });

  it('parses word(.word|[word])* into dotted form', () => {
    expect(parseExpression('a')).toBe('a');
    expect(parseExpression('a.b[0].c')).toBe('a.b.0.c');
    expect(parseExpression(' lr ')).toBe(' lr ');
  });

  it('reports a malformed expression as pyparsing does', () => {
    expect(() => parseExpression('')).toThrow(
      "${}\n  ^\nParseException: Expected !W:(.[]), found '}'  (at char 2), (line:1, col:3)",
    );
    expect(() => parseExpression('a..b')).toThrow(
      "${a..b}\n   ^\nParseException: Expected end of text, found '.'  (at char 3), (line:1, col:4)",
    );
    expect(() => parseExpression('a[0')).toThrow('Expected end of text');
  });
});
