import { InterpolationError } from './format';

/**
 * `${expr}` in a dvc.yaml string, as DVC 3 finds it: non-greedy, on one line, and not preceded by
 * a backslash (`\${` is a literal `${`).
 */
const INTERPOLATION = /(?<!\\)\$\{(.*?)\}/g;

/** One `${…}` found in a string. */
export interface Interpolation {
  /** The whole match, `${…}`. */
  readonly text: string;
  /** What is between the braces. */
  readonly inner: string;
  readonly start: number;
  readonly end: number;
}

/** Every `${…}` in `value`, in order. */
export function findInterpolations(value: string): Interpolation[] {
  if (!value.includes('${')) return [];
  const found: Interpolation[] = [];
  for (const match of value.matchAll(INTERPOLATION)) {
    found.push({ text: match[0], inner: match[1]!, start: match.index, end: match.index + match[0].length });
  }
  return found;
}

/** Whether a string interpolates anything (DVC's `is_interpolated_string`). */
export function isInterpolated(value: unknown): boolean {
  return typeof value === 'string' && findInterpolations(value).length > 0;
}

/** Whether `value` is exactly one `${…}` and nothing else: it then keeps the value's type. */
export function isExactInterpolation(value: string, found: readonly Interpolation[]): boolean {
  return found.length === 1 && found[0]!.text === value;
}

/** `\${` stands for a literal `${` once a string is interpolated. */
export function unescapeBraces(value: string): string {
  return value.includes('\\${') ? value.replaceAll('\\${', '${') : value;
}

const SPECIAL = new Set(['.', '[', ']']);

/**
 * Checks an expression against DVC's grammar, `word ( "." word | "[" word "]" )*` where a word is
 * anything but `.`, `[` and `]`, and returns its dotted form (`a[0].b` → `a.0.b`). A malformed one
 * is reported as DVC (pyparsing) reports it, pointing at the character.
 */
export function parseExpression(inner: string): string {
  const words: string[] = [];
  const word = (from: number): number => {
    let end = from;
    while (end < inner.length && !SPECIAL.has(inner[end]!)) end++;
    return end;
  };
  let position = word(0);
  if (position === 0) throw parseError(inner, 0, '!W:(.[])');
  words.push(inner.slice(0, position));
  while (position < inner.length) {
    const start = position;
    const char = inner[position];
    if (char === '.') {
      const end = word(position + 1);
      if (end === position + 1) throw parseError(inner, start, 'end of text');
      words.push(inner.slice(position + 1, end));
      position = end;
    } else if (char === '[') {
      const end = word(position + 1);
      if (end === position + 1 || inner[end] !== ']') throw parseError(inner, start, 'end of text');
      words.push(inner.slice(position + 1, end));
      position = end + 1;
    } else {
      throw parseError(inner, start, 'end of text');
    }
  }
  return words.join('.');
}

/** pyparsing's explanation, as DVC prints it: the expression, a pointer, and what was expected. */
function parseError(inner: string, location: number, expected: string): InterpolationError {
  const embraced = `\${${inner}}`;
  const at = location + 2;
  const found = embraced[at] ?? '';
  return new InterpolationError(
    `${embraced}\n${' '.repeat(at)}^\nParseException: Expected ${expected}, found '${found}'  (at char ${at}), (line:1, col:${at + 1})`,
  );
}
