import { isParamsMapping, type ParamsValue, PythonFloat, pythonRepr } from '@tvc/params';
import type { StringStyle } from './python-tokens';

// Params values written as Python literals, as `repr()` writes them, with the quotes the file
// already uses.

/** How new text should look: the quote of the string it replaces, or the file's usual one. */
export interface RenderStyle {
  /** `'` or `"`: the quote for strings written anew. */
  readonly quote: "'" | '"';
  /** The style of the string token being replaced, kept when the new value allows it. */
  readonly replacing?: StringStyle;
  /** Write a list as a tuple (it replaces a tuple). */
  readonly tuple?: boolean;
}

function escapeCharacter(char: string, quote: string): string {
  if (char === '\\') return '\\\\';
  if (char === quote) return `\\${quote}`;
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  const code = char.codePointAt(0)!;
  // What Python's repr escapes: control characters, and separators that are not printable.
  if (code < 0x20 || (code >= 0x7f && code <= 0xa0) || code === 0xad) {
    return `\\x${code.toString(16).padStart(2, '0')}`;
  }
  if ((code >= 0xd800 && code <= 0xdfff) || code === 0x2028 || code === 0x2029) {
    return `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return char;
}

/** A string as Python's `repr()` writes it, with `quote` when the text has no reason to avoid it. */
export function renderString(value: string, quote: "'" | '"'): string {
  // repr: single quotes, unless the text holds a ' and no ".
  let chosen: string = quote;
  if (value.includes(quote) && !value.includes(quote === "'" ? '"' : "'")) chosen = quote === "'" ? '"' : "'";
  let out = chosen;
  for (const char of value) out += escapeCharacter(char, chosen);
  return out + chosen;
}

/** A string in the style of the token it replaces (raw, triple-quoted, `u`-prefixed), when it fits. */
function renderStringLike(value: string, style: StringStyle): string | undefined {
  const lower = style.prefix.toLowerCase();
  if (lower.includes('b') || lower.includes('f')) return undefined;
  const { quote } = style;
  if (lower.includes('r')) {
    // A raw string holds the text as it is: no quote of its kind, no final backslash, no line
    // break unless triple-quoted, nothing that needs an escape.
    const printable = [...value].every((char) => escapeCharacter(char, '').length === 1 || char === '\\');
    const fits =
      printable &&
      !value.includes(quote) &&
      !value.endsWith('\\') &&
      !value.endsWith(quote[0]!) &&
      (quote.length === 3 || !/[\n\r]/.test(value));
    return fits ? `${style.prefix}${quote}${value}${quote}` : undefined;
  }
  if (quote.length === 3) {
    let body = '';
    for (const char of value) body += char === '\n' ? '\n' : escapeCharacter(char, '');
    // Break up a run of the quote character, and never end on one.
    const q = quote[0]!;
    body = body.replaceAll(q.repeat(3), `${q}${q}\\${q}`);
    if (body.endsWith(q)) body = `${body.slice(0, -1)}\\${q}`;
    return `${style.prefix}${quote}${body}${quote}`;
  }
  let body = '';
  for (const char of value) body += escapeCharacter(char, quote);
  return `${style.prefix}${quote}${body}${quote}`;
}

function renderNumber(value: number | bigint | PythonFloat): string {
  const number = value instanceof PythonFloat ? value.value : value;
  if (typeof number === 'number' && !Number.isFinite(number)) {
    if (Number.isNaN(number)) throw new TypeError('NaN has no Python literal');
    // `inf` is a name in Python, not a literal: an overflowing literal reads back as infinity.
    return number > 0 ? '1e999' : '-1e999';
  }
  return pythonRepr(value);
}

/** A params value as a Python literal: `None`, `True`, `1.0`, `'text'`, `[1, 2]`, `{'a': 1}`. */
export function renderPython(value: ParamsValue, style: RenderStyle): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number' || typeof value === 'bigint' || value instanceof PythonFloat) {
    return renderNumber(value);
  }
  if (typeof value === 'string') {
    return (style.replacing && renderStringLike(value, style.replacing)) ?? renderString(value, style.quote);
  }
  if (value instanceof Date) throw new TypeError('a date has no Python literal');
  const inner: RenderStyle = { quote: style.quote };
  if (Array.isArray(value)) {
    const items = value.map((item) => renderPython(item, inner));
    if (style.tuple) return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
    return `[${items.join(', ')}]`;
  }
  if (!isParamsMapping(value)) throw new TypeError('not a params value');
  const members = Object.entries(value).map(
    ([key, item]) => `${renderString(key, style.quote)}: ${renderPython(item, inner)}`,
  );
  return `{${members.join(', ')}}`;
}
