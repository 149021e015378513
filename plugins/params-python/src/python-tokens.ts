import { PythonFloat } from '@tvc/params';

// Number and string tokens evaluated as CPython 3.11 evaluates them, and rejected where its
// tokenizer rejects them (lezer's grammar accepts `0777` and `1__0`).

/** A place in a token (offset from the token's start) where CPython would stop with a syntax error. */
export interface PythonSyntaxProblem {
  readonly offset: number;
  readonly reason: string;
}

/** A number token's value: an int (a bigint past 2^53), a float (a `PythonFloat` when integral), or a complex. */
export type PythonNumber = number | bigint | PythonFloat | { readonly complex: string };

const DIGITS = String.raw`\d(?:_?\d)*`;
const DECIMAL_INT = /^(?:[1-9](?:_?\d)*|0+(?:_?0)*)$/;
const PREFIXED_INT = /^0(?:[xX](?:_?[\da-fA-F])+|[oO](?:_?[0-7])+|[bB](?:_?[01])+)$/;
const POINT_FLOAT = String.raw`(?:(?:${DIGITS})?\.${DIGITS}|${DIGITS}\.)`;
const FLOAT = new RegExp(`^(?:${POINT_FLOAT}(?:[eE][+-]?${DIGITS})?|${DIGITS}[eE][+-]?${DIGITS})$`);
const IMAGINARY = new RegExp(
  `^(?:${POINT_FLOAT}(?:[eE][+-]?${DIGITS})?|${DIGITS}(?:[eE][+-]?${DIGITS})?)[jJ]$`,
);

/** An int as tvc holds it: a number up to 2^53, a bigint past it. */
export function pythonInt(value: bigint): number | bigint {
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : value;
}

/** A float as tvc holds it: integral ones as `PythonFloat`, so `1.0` stays a float. */
export function pythonFloat(value: number): number | PythonFloat {
  return Number.isInteger(value) ? new PythonFloat(value) : value;
}

/** Evaluates a Python number token (`0x10`, `1_000`, `1.`, `.5`, `1e-3`, `2j`). */
export function decodeNumber(token: string): { value?: PythonNumber; problem?: PythonSyntaxProblem } {
  const digits = token.replaceAll('_', '');
  if (DECIMAL_INT.test(token) || PREFIXED_INT.test(token)) return { value: pythonInt(BigInt(digits)) };
  if (FLOAT.test(token)) return { value: pythonFloat(Number(digits)) };
  if (IMAGINARY.test(token)) return { value: { complex: token } };
  if (/^0[\d_]*$/.test(token)) {
    return {
      problem: {
        offset: 0,
        reason:
          'leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers',
      },
    };
  }
  const kind = /^0[xX]/.test(token)
    ? 'hexadecimal'
    : /^0[oO]/.test(token)
      ? 'octal'
      : /^0[bB]/.test(token)
        ? 'binary'
        : 'decimal';
  return { problem: { offset: 0, reason: `invalid ${kind} literal` } };
}

/** How a string token is written: its prefix (`r`, `b`, `u`, `rb`…) and its quotes (`'`, `"`, `'''`, `"""`). */
export interface StringStyle {
  readonly prefix: string;
  readonly quote: string;
}

/** A decoded string token. `supported` is false for what tvc cannot evaluate (`\N{…}` names). */
export interface DecodedString {
  readonly style: StringStyle;
  readonly bytes: boolean;
  readonly formatted: boolean;
  readonly value: string;
  readonly supported: boolean;
  readonly problem?: PythonSyntaxProblem;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/** The style of a string token, from its text. */
export function stringStyle(token: string): StringStyle {
  const prefix = /^[a-zA-Z]*/.exec(token)![0];
  const rest = token.slice(prefix.length);
  const quote = rest.startsWith('"""') || rest.startsWith("'''") ? rest.slice(0, 3) : rest.slice(0, 1);
  return { prefix, quote };
}

/** Evaluates one Python string token (any prefix and quoting) as CPython does. */
export function decodeString(token: string): DecodedString {
  const style = stringStyle(token);
  const lower = style.prefix.toLowerCase();
  const bytes = lower.includes('b');
  const raw = lower.includes('r');
  const formatted = lower.includes('f');
  // The source is read with universal newlines: a line break inside a string is always `\n`.
  const body = token
    .slice(style.prefix.length + style.quote.length, token.length - style.quote.length)
    .replace(/\r\n?/g, '\n');
  const result = (value: string, supported = true, problem?: PythonSyntaxProblem): DecodedString =>
    problem
      ? { style, bytes, formatted, value, supported, problem }
      : { style, bytes, formatted, value, supported };
  if (bytes && /[^\x00-\x7f]/.test(body)) {
    return result('', false, { offset: 0, reason: 'bytes can only contain ASCII literal characters' });
  }
  if (raw || formatted) return result(body, !formatted);
  let value = '';
  let supported = true;
  for (let index = 0; index < body.length; index++) {
    const char = body[index]!;
    if (char !== '\\') {
      value += char;
      continue;
    }
    const next = body[index + 1];
    if (next === undefined) {
      value += char;
      continue;
    }
    index++;
    if (next === '\n') continue;
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      value += simple;
      continue;
    }
    const octal = /^[0-7]{1,3}/.exec(body.slice(index));
    if (octal) {
      value += String.fromCodePoint(Number.parseInt(octal[0], 8) & (bytes ? 0xff : 0x1ff));
      index += octal[0].length - 1;
      continue;
    }
    const width = next === 'x' ? 2 : !bytes && next === 'u' ? 4 : !bytes && next === 'U' ? 8 : 0;
    if (width > 0) {
      const hex = body.slice(index + 1, index + 1 + width);
      if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) {
        const form = next === 'x' ? 'xXX' : next === 'u' ? 'uXXXX' : 'UXXXXXXXX';
        return result('', false, {
          offset: 0,
          reason: bytes
            ? `(value error) invalid \\x escape at position ${index - 1}`
            : `(unicode error) 'unicodeescape' codec can't decode bytes in position ${index - 1}-${index}: truncated \\${form} escape`,
        });
      }
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) {
        return result('', false, {
          offset: 0,
          reason: `(unicode error) 'unicodeescape' codec can't decode bytes in position ${index - 1}-${index + width}: illegal Unicode character`,
        });
      }
      value += String.fromCodePoint(code);
      index += width;
      continue;
    }
    if (!bytes && next === 'N') {
      // `\N{BULLET}` needs Unicode's name table, which JavaScript does not carry.
      supported = false;
    }
    value += `\\${next}`;
  }
  return result(value, supported);
}
