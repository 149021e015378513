import { TvcError } from './errors';

// Bounds on what a hostile or malformed input file can make the readers do. Every reader of
// YAML, JSON, TOML and Python files applies them before (or while) parsing, so that a small file
// can neither exhaust the heap (an alias bomb) nor the stack (thousands of nested brackets).

/**
 * The deepest nesting of collections a file may have. DVC's Python readers give up with a
 * `RecursionError` a little past 200 levels; recursive JavaScript readers run out of stack in
 * the thousands.
 */
export const MAX_NESTING = 1000;

/**
 * The most value nodes aliases may add to a YAML document once expanded (each use of an anchor
 * adds the whole anchored node): enough for any pipeline that shares settings, while a
 * "billion laughs" document of a few hundred bytes is refused at once.
 */
export const MAX_ALIAS_NODES = 100_000;

/** 1-based line and column of a character offset of `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (
    let index = text.indexOf('\n');
    index !== -1 && index < offset;
    index = text.indexOf('\n', index + 1)
  ) {
    line++;
    lineStart = index + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Where collections nest deeper than `limit` in `text`, or `undefined`: flow brackets (`[`, `{`;
 * `(` too for Python) outside strings and comments, and, for YAML, block collections (each deeper
 * indentation and each compact `- ` or `? ` at the start of a line). A text scan, so that the
 * check itself cannot overflow and runs before any recursive parser.
 */
export function nestingProblem(
  text: string,
  options: { readonly yaml?: boolean; readonly parentheses?: boolean; readonly limit?: number } = {},
): { offset: number; depth: number } | undefined {
  const limit = options.limit ?? MAX_NESTING;
  // Most files are far from the limit: no scan unless the text could hold that many levels.
  if (text.length < limit) return undefined;
  const yaml = options.yaml === true;
  const parentheses = options.parentheses === true;
  let flow = 0;
  let quote = 0;
  const indents: number[] = [];
  let lineStart = true;
  const length = text.length;
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index);
    if (quote !== 0) {
      if (code === BACKSLASH && quote === DOUBLE) index++;
      else if (code === quote) quote = 0;
      continue;
    }
    if (lineStart) {
      lineStart = false;
      if (yaml && flow === 0) {
        let cursor = index;
        while (text.charCodeAt(cursor) === SPACE) cursor++;
        const next = text.charCodeAt(cursor);
        if (cursor < length && next !== NEWLINE && next !== RETURN && next !== HASH) {
          const indent = cursor - index;
          while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
          indents.push(indent);
          let compact = 0;
          for (;;) {
            const marker = text.charCodeAt(cursor);
            if ((marker !== DASH && marker !== QUESTION) || text.charCodeAt(cursor + 1) !== SPACE) break;
            compact++;
            cursor += 2;
            while (text.charCodeAt(cursor) === SPACE) cursor++;
          }
          const depth = indents.length + compact;
          if (depth > limit) return { offset: cursor, depth };
        }
      }
    }
    switch (code) {
      case NEWLINE:
        lineStart = true;
        break;
      case HASH: {
        const previous = index === 0 ? SPACE : text.charCodeAt(index - 1);
        if (previous === SPACE || previous === TAB || previous === NEWLINE || previous === RETURN) {
          const end = text.indexOf('\n', index);
          if (end === -1) return undefined;
          index = end - 1;
        }
        break;
      }
      case DOUBLE:
      case SINGLE: {
        const previous = index === 0 ? SPACE : text.charCodeAt(index - 1);
        if (!yaml || OPENS_YAML_QUOTE.has(previous)) quote = code;
        break;
      }
      case OPEN_PAREN:
      case OPEN_BRACKET:
      case OPEN_BRACE: {
        if (code === OPEN_PAREN && !parentheses) break;
        flow++;
        const depth = flow + (yaml ? indents.length : 0);
        if (depth > limit) return { offset: index, depth };
        break;
      }
      case CLOSE_PAREN:
      case CLOSE_BRACKET:
      case CLOSE_BRACE:
        if (flow > 0 && (code !== CLOSE_PAREN || parentheses)) flow--;
        break;
    }
  }
  return undefined;
}

const [TAB, NEWLINE, RETURN, SPACE, DOUBLE, HASH, SINGLE, OPEN_PAREN, CLOSE_PAREN] = [
  9, 10, 13, 32, 34, 35, 39, 40, 41,
];
const [DASH, QUESTION, OPEN_BRACKET, BACKSLASH, CLOSE_BRACKET, OPEN_BRACE, CLOSE_BRACE] = [
  45, 63, 91, 92, 93, 123, 125,
];
// What may stand before a quote that opens a YAML quoted scalar: white space, `[`, `{`, `,`, `:`.
const OPENS_YAML_QUOTE = new Set([TAB, NEWLINE, RETURN, SPACE, OPEN_BRACKET, OPEN_BRACE, 44, 58]);

/** The error for a file nested deeper than {@link MAX_NESTING} (found at `offset` of `text`, when known). */
export function nestingError(file: string, text?: string, offset?: number): TvcError {
  const place = text !== undefined && offset !== undefined ? lineColumn(text, offset) : undefined;
  return new TvcError('NESTING_TOO_DEEP', `nesting deeper than ${MAX_NESTING} levels`, {
    location: place ? { file, ...place } : { file },
    hint: `tvc reads at most ${MAX_NESTING} levels of nested lists and mappings; flatten the file`,
  });
}

/** Whether `error` is the JavaScript engine's stack overflow. */
export function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

/**
 * Runs a recursive reader of `file`, turning a stack overflow the text scan did not foresee (a
 * nesting it does not count) into the ordinary located {@link nestingError}.
 */
export function withStackGuard<T>(file: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (isStackOverflow(error)) throw nestingError(file);
    throw error;
  }
}

// ruamel's Reader.NON_PRINTABLE: what DVC's YAML reader refuses anywhere in a file.
const YAML_NON_PRINTABLE = /[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

/**
 * A character DVC's YAML reader refuses (`unacceptable character #x0001: special characters are
 * not allowed`): NUL and the other control characters but tab and line breaks, DEL, the C1
 * controls but NEL, lone surrogates, U+FFFE and U+FFFF.
 */
export function yamlCharacterProblem(text: string): { offset: number; code: number } | undefined {
  const match = YAML_NON_PRINTABLE.exec(text);
  if (!match) return undefined;
  return { offset: match.index, code: match[0].codePointAt(0)! };
}

/** The located error for {@link yamlCharacterProblem}. */
export function yamlCharacterError(
  file: string,
  text: string,
  found: { offset: number; code: number },
): TvcError {
  return new TvcError(
    'YAML_SYNTAX',
    `malformed YAML: unacceptable character #x${found.code.toString(16).padStart(4, '0')}: special characters are not allowed`,
    {
      location: { file, ...lineColumn(text, found.offset) },
      hint: 'remove the control character (write it as an escape such as "\\x01" inside double quotes)',
    },
  );
}

/**
 * How many value nodes aliases add to a value built by a reader that shares one object for every
 * use of an anchor (js-yaml): each object met again adds its whole expanded size. `Infinity` as
 * soon as the count passes `limit`, without ever expanding anything.
 */
export function sharedExpansion(value: unknown, limit = MAX_ALIAS_NODES): number {
  const sizes = new Map<object, number>();
  let extra = 0;
  const size = (node: unknown, depth: number): number => {
    if (typeof node !== 'object' || node === null) return 1;
    const known = sizes.get(node);
    if (known !== undefined) {
      extra += known;
      return known;
    }
    if (depth > MAX_NESTING) throw new RangeError('Maximum call stack size exceeded');
    sizes.set(node, 1); // a cycle counts once
    let total = 1;
    const children = Array.isArray(node) ? node : node instanceof Date ? [] : Object.values(node);
    for (const child of children) {
      total += size(child, depth + 1);
      if (extra > limit) return total;
    }
    sizes.set(node, total);
    return total;
  };
  size(value, 0);
  return extra > limit ? Number.POSITIVE_INFINITY : extra;
}
