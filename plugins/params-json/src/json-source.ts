import { lineColumn, MAX_NESTING, nestingProblem } from '@tvc/core';
import { ParamsSyntaxError, type ParamsTree, type ParamsValue, PythonFloat } from '@tvc/params';

/** A JSON value with where it stands in the text (`start` to `end`, end exclusive). */
export type JsonNode =
  | { readonly kind: 'scalar'; readonly start: number; readonly end: number; readonly value: ParamsValue }
  | { readonly kind: 'array'; readonly start: number; readonly end: number; readonly items: JsonNode[] }
  | { readonly kind: 'object'; readonly start: number; readonly end: number; readonly members: JsonMember[] };

/** One `"key": value` of an object; `keyStart` is the opening quote of the key. */
export interface JsonMember {
  readonly key: string;
  readonly keyStart: number;
  readonly keyEnd: number;
  readonly value: JsonNode;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;
const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/**
 * Parses JSON as Python's `json.loads` does (DVC reads JSON params with it): `NaN`, `Infinity`
 * and `-Infinity` are accepted, a number with a fraction or an exponent is a float (an integral one
 * a {@link PythonFloat}) and any other an int (a bigint beyond 2^53), a repeated key keeps its first
 * place and its last value. Errors carry Python's wording and the line and column.
 */
export function parseJson(text: string, file: string): JsonNode {
  // The parser is recursive: refuse what nests deeper than any params file should, with its place.
  const deep = nestingProblem(text);
  if (deep) {
    const { line, column } = lineColumn(text, deep.offset);
    throw new ParamsSyntaxError(`nesting deeper than ${MAX_NESTING} levels`, file, line, column);
  }
  let position = 0;

  const fail = (message: string, at = position): never => {
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n');
    throw new ParamsSyntaxError(`${message}: line ${line} column ${column} (char ${at})`, file, line, column);
  };
  const skip = () => {
    while (position < text.length && WHITESPACE.has(text[position]!)) position++;
  };

  const string = (): string => {
    const start = position;
    position++; // the opening quote
    let out = '';
    for (;;) {
      if (position >= text.length) fail('Unterminated string starting at', start);
      const char = text[position]!;
      if (char === '"') {
        position++;
        return out;
      }
      if (char === '\\') {
        const escaped = text[position + 1];
        if (escaped === 'u') {
          const hex = text.slice(position + 2, position + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('Invalid \\uXXXX escape', position + 1);
          out += String.fromCharCode(Number.parseInt(hex, 16));
          position += 6;
        } else if (escaped !== undefined && escaped in ESCAPES) {
          out += ESCAPES[escaped];
          position += 2;
        } else {
          fail('Invalid \\escape', position);
        }
      } else if (char < ' ') {
        fail('Invalid control character at');
      } else {
        out += char;
        position++;
      }
    }
  };

  const value = (): JsonNode => {
    skip();
    const start = position;
    const char = text[position];
    if (char === '"') return { kind: 'scalar', start, value: string(), end: position };
    if (char === '{') return object();
    if (char === '[') return array();
    for (const [word, literal] of [
      ['null', null],
      ['true', true],
      ['false', false],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['-Infinity', Number.NEGATIVE_INFINITY],
    ] as const) {
      if (text.startsWith(word, position)) {
        position += word.length;
        return { kind: 'scalar', start, end: position, value: literal };
      }
    }
    NUMBER.lastIndex = position;
    const match = NUMBER.exec(text);
    if (!match) return fail('Expecting value');
    position += match[0].length;
    return {
      kind: 'scalar',
      start,
      end: position,
      value: number(match[0], match[1] !== undefined || match[2] !== undefined),
    };
  };

  const object = (): JsonNode => {
    const start = position;
    position++;
    const members: JsonMember[] = [];
    skip();
    if (text[position] === '}') {
      position++;
      return { kind: 'object', start, end: position, members };
    }
    for (;;) {
      skip();
      if (text[position] !== '"') fail('Expecting property name enclosed in double quotes');
      const keyStart = position;
      const key = string();
      const keyEnd = position;
      skip();
      if (text[position] !== ':') fail("Expecting ':' delimiter");
      position++;
      members.push({ key, keyStart, keyEnd, value: value() });
      skip();
      if (text[position] === '}') {
        position++;
        return { kind: 'object', start, end: position, members };
      }
      if (text[position] !== ',') fail("Expecting ',' delimiter");
      position++;
    }
  };

  const array = (): JsonNode => {
    const start = position;
    position++;
    const items: JsonNode[] = [];
    skip();
    if (text[position] === ']') {
      position++;
      return { kind: 'array', start, end: position, items };
    }
    for (;;) {
      items.push(value());
      skip();
      if (text[position] === ']') {
        position++;
        return { kind: 'array', start, end: position, items };
      }
      if (text[position] !== ',') fail("Expecting ',' delimiter");
      position++;
    }
  };

  if (text.startsWith('\ufeff')) fail('Unexpected UTF-8 BOM (decode using utf-8-sig)', 0);
  const root = value();
  skip();
  if (position < text.length) fail('Extra data');
  return root;
}

function number(source: string, float: boolean): number | bigint | PythonFloat {
  if (float) {
    const value = Number(source);
    return Number.isInteger(value) ? new PythonFloat(value) : value;
  }
  const big = BigInt(source);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** The value of a parsed node (objects as params trees, a repeated key in its first place with its last value). */
export function jsonValue(node: JsonNode): ParamsValue {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'array') return node.items.map(jsonValue);
  const tree: ParamsTree = {};
  for (const member of node.members) {
    Object.defineProperty(tree, member.key, {
      value: jsonValue(member.value),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return tree;
}
