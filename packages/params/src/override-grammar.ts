import { ParamsOverrideError } from './override-error';
import { PythonFloat } from './python-float';

// Hydra's override grammar (hydra/grammar/OverrideLexer.g4 and OverrideParser.g4, Hydra 1.3), the
// one DVC's `-S`/`--set-param` reads: a lexer with two modes (the key, then the value after `=`)
// that takes the longest token at each place, and a recursive-descent parser over its tokens.

/** A string written in quotes: Hydra keeps the quote to write the value back alike. */
export class QuotedString {
  readonly text: string;
  readonly quote: "'" | '"';

  constructor(text: string, quote: "'" | '"') {
    this.text = text;
    this.quote = quote;
    Object.freeze(this);
  }
}

/** A dict key as Hydra types it (`{1: a}` has an int key). */
export type OverrideDictKey = null | boolean | number | bigint | PythonFloat | string;

/** A `{…}` value: its entries in order, a repeated key keeping its first place and last value. */
export class OverrideDict {
  readonly entries: readonly (readonly [OverrideDictKey, OverrideElement])[];

  constructor(entries: readonly (readonly [OverrideDictKey, OverrideElement])[]) {
    this.entries = entries;
    Object.freeze(this);
  }
}

/** A value as the grammar reads it, before quoted strings lose their quotes. */
export type OverrideElement =
  | null
  | boolean
  | number
  | bigint
  | PythonFloat
  | string
  | QuotedString
  | OverrideElement[]
  | OverrideDict
  | OverrideSweep;

/** A number of the grammar: an int (`number` or `bigint`, `true` counting as 1) or a float. */
export type OverrideNumber = number | bigint | boolean | PythonFloat;

/** `choice(…)`, `a,b,c`, `range(…)`, `interval(…)`, `glob(…)`: values to run one after another. */
export type OverrideSweep =
  | {
      readonly kind: 'choice';
      readonly items: readonly OverrideElement[];
      readonly simple: boolean;
      readonly shuffle: boolean;
      readonly tags: readonly string[];
    }
  | {
      readonly kind: 'range';
      readonly start: OverrideNumber;
      readonly stop: OverrideNumber;
      readonly step: OverrideNumber;
      readonly shuffle: boolean;
      readonly tags: readonly string[];
    }
  | {
      readonly kind: 'interval';
      readonly start: OverrideNumber;
      readonly end: OverrideNumber;
      readonly tags: readonly string[];
    }
  | { readonly kind: 'glob'; readonly include: readonly string[]; readonly exclude: readonly string[] };

export function isSweep(value: unknown): value is OverrideSweep {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof QuotedString) &&
    !(value instanceof OverrideDict) &&
    !(value instanceof PythonFloat) &&
    'kind' in value
  );
}

// ─── Lexer ───────────────────────────────────────────────────────────────────────────────────────

type TokenType =
  | 'EQUAL'
  | 'TILDE'
  | 'PLUS'
  | 'AT'
  | 'COLON'
  | 'SLASH'
  | 'ID'
  | 'KEY_SPECIAL'
  | 'DOT_PATH'
  | 'POPEN'
  | 'COMMA'
  | 'PCLOSE'
  | 'BRACKET_OPEN'
  | 'BRACKET_CLOSE'
  | 'BRACE_OPEN'
  | 'BRACE_CLOSE'
  | 'FLOAT'
  | 'INT'
  | 'BOOL'
  | 'NULL'
  | 'UNQUOTED_CHAR'
  | 'ESC'
  | 'WS'
  | 'QUOTED_VALUE'
  | 'INTERPOLATION'
  | 'EOF';

interface Token {
  readonly type: TokenType;
  readonly text: string;
  readonly start: number;
}

const INT_UNSIGNED = '(?:0|[1-9](?:_?[0-9])*)';
const DIGITS = '[0-9](?:_?[0-9])*';
const KEY_SPECIAL = '[a-zA-Z_$][a-zA-Z0-9_$-]*';
const POINT_FLOATS = [`${INT_UNSIGNED}?\\.${DIGITS}`, `${INT_UNSIGNED}\\.`];

const sticky = (source: string) => new RegExp(source, 'y');

/** Rules of a mode in the grammar's order: on a tie of length the earlier rule wins. */
const KEY_RULES: readonly (readonly [TokenType, readonly RegExp[]])[] = [
  ['EQUAL', [sticky('=[ \\t]*')]],
  ['TILDE', [sticky('~')]],
  ['PLUS', [sticky('\\+')]],
  ['AT', [sticky('@')]],
  ['COLON', [sticky(':')]],
  ['SLASH', [sticky('/')]],
  ['ID', [sticky('[a-zA-Z_][a-zA-Z0-9_-]*')]],
  ['KEY_SPECIAL', [sticky(KEY_SPECIAL)]],
  ['DOT_PATH', [sticky(`(?:${KEY_SPECIAL}|${INT_UNSIGNED})(?:\\.(?:${KEY_SPECIAL}|${INT_UNSIGNED}))+`)]],
];

const VALUE_RULES: readonly (readonly [TokenType, readonly RegExp[]])[] = [
  ['POPEN', [sticky('[ \\t]*\\([ \\t]*')]],
  ['COMMA', [sticky('[ \\t]*,[ \\t]*')]],
  ['PCLOSE', [sticky('[ \\t]*\\)')]],
  ['BRACKET_OPEN', [sticky('\\[[ \\t]*')]],
  ['BRACKET_CLOSE', [sticky('[ \\t]*\\]')]],
  ['BRACE_OPEN', [sticky('\\{[ \\t]*')]],
  ['BRACE_CLOSE', [sticky('[ \\t]*\\}')]],
  ['COLON', [sticky('[ \\t]*:[ \\t]*')]],
  ['EQUAL', [sticky('[ \\t]*=[ \\t]*')]],
  [
    'FLOAT',
    [
      ...POINT_FLOATS.map((point) => sticky(`[+-]?${point}`)),
      ...[INT_UNSIGNED, ...POINT_FLOATS].map((mantissa) => sticky(`[+-]?${mantissa}[eE][+-]?${DIGITS}`)),
      sticky('[+-]?(?:[Ii][Nn][Ff]|[Nn][Aa][Nn])'),
    ],
  ],
  ['INT', [sticky(`[+-]?${INT_UNSIGNED}`)]],
  ['BOOL', [sticky('[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]')]],
  ['NULL', [sticky('[Nn][Uu][Ll][Ll]')]],
  ['UNQUOTED_CHAR', [sticky('[/\\-\\\\+.$%*@?|]')]],
  ['ID', [sticky('[a-zA-Z_][a-zA-Z0-9_-]*')]],
  ['ESC', [sticky('(?:\\\\\\\\|\\\\[()[\\]{}:=, \\t])+')]],
  ['WS', [sticky('[ \\t]+')]],
  ['INTERPOLATION', [sticky('\\$\\{[^}]+\\}')]],
];

/** The length of a quoted value starting at `start`: it ends at the first quote after an even run of backslashes. */
function quotedLength(text: string, start: number): number {
  const quote = text[start]!;
  let backslashes = 0;
  for (let index = start + 1; index < text.length; index++) {
    const char = text[index]!;
    if (char === quote && backslashes % 2 === 0) return index - start + 1;
    backslashes = char === '\\' ? backslashes + 1 : 0;
  }
  return 0;
}

function syntaxError(override: string, message: string, offset: number): ParamsOverrideError {
  return new ParamsOverrideError('OVERRIDE_SYNTAX', `${message} at column ${offset + 1} of '${override}'`, {
    override,
    column: offset + 1,
  });
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  let rules = KEY_RULES;
  while (position < text.length) {
    let best: { type: TokenType; length: number } | undefined;
    for (const [type, patterns] of rules) {
      for (const pattern of patterns) {
        pattern.lastIndex = position;
        const match = pattern.exec(text);
        if (match && match[0].length > (best?.length ?? 0)) best = { type, length: match[0].length };
      }
    }
    if (rules === VALUE_RULES && (text[position] === '"' || text[position] === "'")) {
      const length = quotedLength(text, position);
      if (length > (best?.length ?? 0)) best = { type: 'QUOTED_VALUE', length };
    }
    if (!best) {
      throw syntaxError(text, `unexpected character '${text[position]}'`, position);
    }
    tokens.push({ type: best.type, text: text.slice(position, position + best.length), start: position });
    position += best.length;
    if (best.type === 'EQUAL') rules = VALUE_RULES;
  }
  tokens.push({ type: 'EOF', text: '', start: text.length });
  return tokens;
}

// ─── Typing primitives ───────────────────────────────────────────────────────────────────────────

/** Python's `int()` of an integer literal (underscores allowed), a `bigint` past 2^53. */
export function pythonInt(text: string): number | bigint {
  const big = BigInt(text.replaceAll('_', ''));
  const small = Number(big);
  return Number.isSafeInteger(small) ? small : big;
}

/** A float as tvc holds it: an integral one as a {@link PythonFloat}. */
export function pythonFloat(value: number): number | PythonFloat {
  return Number.isInteger(value) ? new PythonFloat(value) : value;
}

/** Python's `float()` of a float literal: `inf`, `nan`, underscores. */
export function parseFloatLiteral(text: string): number {
  const clean = text.replaceAll('_', '').toLowerCase();
  const sign = clean.startsWith('-') ? -1 : 1;
  const body = clean.replace(/^[+-]/, '');
  if (body === 'inf' || body === 'infinity') return sign * Number.POSITIVE_INFINITY;
  if (body === 'nan') return Number.NaN;
  return Number(clean);
}

/** Undoes the escapes of a quoted value: a run of backslashes before a quote loses half of itself. */
function unquote(token: string): QuotedString {
  const quote = token[0] as "'" | '"';
  const body = token.slice(1, -1);
  let out = '';
  let index = 0;
  while (index < body.length) {
    if (body[index] === '\\') {
      let end = index;
      while (end < body.length && body[end] === '\\') end++;
      const run = end - index;
      if (end === body.length) {
        out += '\\'.repeat(run / 2);
      } else if (body[end] === quote) {
        out += '\\'.repeat((run - 1) / 2) + quote;
        end++;
      } else {
        out += '\\'.repeat(run);
      }
      index = end;
    } else {
      out += body[index];
      index++;
    }
  }
  return new QuotedString(out, quote);
}

const PRIMITIVE_TOKENS = new Set<TokenType>([
  'ID',
  'NULL',
  'INT',
  'FLOAT',
  'BOOL',
  'INTERPOLATION',
  'UNQUOTED_CHAR',
  'COLON',
  'ESC',
  'WS',
]);
const DICT_KEY_TOKENS = new Set<TokenType>([
  'ID',
  'NULL',
  'INT',
  'FLOAT',
  'BOOL',
  'UNQUOTED_CHAR',
  'ESC',
  'WS',
]);

// ─── Parser ──────────────────────────────────────────────────────────────────────────────────────

/** The kind of change an override asks for: `key=`, `+key=`, `++key=`, `~key`. */
export type OverrideKind = 'change' | 'add' | 'forceAdd' | 'delete';

export interface ParsedOverride {
  readonly kind: OverrideKind;
  readonly key: string;
  readonly package: string | undefined;
  /** `undefined` only for `~key` without `=`. */
  readonly value: OverrideElement | undefined;
}

/** Evaluates a function call of the grammar (`choice`, `range`, `int`, …). */
export type OverrideFunctionEvaluator = (
  name: string,
  args: OverrideElement[],
  kwargs: Map<string, OverrideElement>,
) => OverrideElement;

/** Parses one override (without its `file:` prefix) by Hydra's grammar. */
export function parseOverrideText(text: string, evaluate: OverrideFunctionEvaluator): ParsedOverride {
  const tokens = tokenize(text);
  let index = 0;
  const peek = (ahead = 0): Token => tokens[Math.min(index + ahead, tokens.length - 1)]!;
  const next = (): Token => tokens[index++]!;
  const fail = (token: Token = peek()): never => {
    throw syntaxError(
      text,
      token.type === 'EOF' ? 'unexpected end of input' : `unexpected '${token.text}'`,
      token.start,
    );
  };
  const expect = (type: TokenType): Token => (peek().type === type ? next() : fail());

  const primitive = (allowed: ReadonlySet<TokenType>): OverrideElement => {
    const start = index;
    while (allowed.has(peek().type)) index++;
    let parts = tokens.slice(start, index);
    if (parts.length === 0) fail();
    const first = parts[0]!;
    if (first.type === 'WS') {
      if (parts.length === 1) throw syntaxError(text, 'a value of only whitespace', first.start);
      parts = parts.slice(1);
    }
    if (parts.at(-1)!.type === 'WS') parts = parts.slice(0, -1);
    if (parts.length > 1) {
      return parts.map((part) => (part.type === 'ESC' ? unescapeToken(part.text) : part.text)).join('');
    }
    const token = parts[0]!;
    switch (token.type) {
      case 'INT':
        return pythonInt(token.text);
      case 'FLOAT':
        return pythonFloat(parseFloatLiteral(token.text));
      case 'NULL':
        return null;
      case 'BOOL':
        return token.text.toLowerCase() === 'true';
      case 'ESC':
        return unescapeToken(token.text);
      default:
        return token.text;
    }
  };

  const element = (): OverrideElement => {
    const token = peek();
    if (token.type === 'QUOTED_VALUE') {
      next();
      return unquote(token.text);
    }
    if (token.type === 'BRACKET_OPEN') {
      next();
      const items: OverrideElement[] = [];
      if (peek().type !== 'BRACKET_CLOSE') {
        items.push(element());
        while (peek().type === 'COMMA') {
          next();
          items.push(element());
        }
      }
      expect('BRACKET_CLOSE');
      return items;
    }
    if (token.type === 'BRACE_OPEN') {
      next();
      const entries: [OverrideDictKey, OverrideElement][] = [];
      const pair = () => {
        const key = primitive(DICT_KEY_TOKENS) as OverrideDictKey;
        expect('COLON');
        const value = element();
        const existing = entries.findIndex(([other]) => sameDictKey(other, key));
        if (existing >= 0) entries[existing] = [entries[existing]![0], value];
        else entries.push([key, value]);
      };
      if (peek().type !== 'BRACE_CLOSE') {
        pair();
        while (peek().type === 'COMMA') {
          next();
          pair();
        }
      }
      expect('BRACE_CLOSE');
      return new OverrideDict(entries);
    }
    if (token.type === 'ID' && peek(1).type === 'POPEN') return call();
    return primitive(PRIMITIVE_TOKENS);
  };

  const call = (): OverrideElement => {
    const name = next();
    next(); // POPEN
    const args: OverrideElement[] = [];
    const kwargs = new Map<string, OverrideElement>();
    if (peek().type !== 'PCLOSE') {
      for (;;) {
        if (peek().type === 'ID' && peek(1).type === 'EQUAL') {
          const argName = next().text;
          next();
          kwargs.set(argName, element());
        } else {
          const at = peek();
          const value = element();
          if (kwargs.size > 0) {
            throw new ParamsOverrideError(
              'OVERRIDE_FUNCTION',
              `positional argument follows keyword argument at column ${at.start + 1} of '${text}'`,
              { override: text, column: at.start + 1 },
            );
          }
          args.push(value);
        }
        if (peek().type !== 'COMMA') break;
        next();
      }
    }
    const close = expect('PCLOSE');
    try {
      return evaluate(name.text, args, kwargs);
    } catch (error) {
      if (error instanceof ParamsOverrideError) throw error;
      const source = text.slice(name.start, close.start + close.text.length);
      throw new ParamsOverrideError(
        'OVERRIDE_FUNCTION',
        `${(error as Error).message} while evaluating '${source}' (column ${name.start + 1} of '${text}')`,
        { override: text, column: name.start + 1 },
        { cause: error },
      );
    }
  };

  const value = (): OverrideElement => {
    if (peek().type === 'EOF') return '';
    const first = element();
    if (peek().type !== 'COMMA') return first;
    const items = [first];
    while (peek().type === 'COMMA') {
      next();
      items.push(element());
    }
    return { kind: 'choice', items, simple: true, shuffle: false, tags: [] };
  };

  const key = (): { key: string; package: string | undefined } => {
    let name = '';
    if (peek().type === 'ID' && peek(1).type === 'SLASH') {
      name = next().text;
      while (peek().type === 'SLASH') {
        next();
        name += `/${expect('ID').text}`;
      }
    } else if (['ID', 'KEY_SPECIAL', 'DOT_PATH'].includes(peek().type)) {
      name = next().text;
    }
    if (peek().type !== 'AT') return { key: name, package: undefined };
    next();
    const packageToken = ['ID', 'KEY_SPECIAL', 'DOT_PATH'].includes(peek().type) ? next().text : '';
    return { key: name, package: packageToken };
  };

  let kind: OverrideKind = 'change';
  if (peek().type === 'TILDE') {
    next();
    kind = 'delete';
  } else if (peek().type === 'PLUS') {
    next();
    kind = 'add';
    if (peek().type === 'PLUS') {
      next();
      kind = 'forceAdd';
    }
  }
  const parsedKey = key();
  let parsedValue: OverrideElement | undefined;
  if (kind === 'delete' && peek().type === 'EOF') {
    parsedValue = undefined;
  } else {
    expect('EQUAL');
    parsedValue = value();
  }
  expect('EOF');
  return { kind, key: parsedKey.key, package: parsedKey.package, value: parsedValue };
}

/** An `ESC` token's text without its backslashes (`\,` is `,`, `\\` is `\`). */
function unescapeToken(text: string): string {
  let out = '';
  for (let index = 1; index < text.length; index += 2) out += text[index];
  return out;
}

/** Python's equality of dict keys (`1`, `1.0` and `True` are one key). */
export function sameDictKey(a: OverrideDictKey, b: OverrideDictKey): boolean {
  const number = (value: OverrideDictKey) =>
    typeof value === 'boolean'
      ? Number(value)
      : value instanceof PythonFloat
        ? value.value
        : typeof value === 'number' || typeof value === 'bigint'
          ? value
          : undefined;
  const x = number(a);
  const y = number(b);
  if (x !== undefined && y !== undefined) {
    // biome-ignore lint/suspicious/noDoubleEquals: Python compares ints and floats by value.
    return x == y;
  }
  return a === b;
}
