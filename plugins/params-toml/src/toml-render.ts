import { isParamsMapping, type ParamsValue, PythonFloat, pythonFloatRepr } from '@tvc/params';

// Params values as TOML text: numbers as Python prints them (`1.0`, `1e-05`, `inf`), which is
// valid TOML and what tomlkit writes.

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** A basic (double-quoted) TOML string. */
export function basicString(text: string): string {
  let out = '"';
  for (const character of text) {
    const code = character.codePointAt(0)!;
    if (character === '"') out += '\\"';
    else if (character === '\\') out += '\\\\';
    else if (character === '\n') out += '\\n';
    else if (character === '\r') out += '\\r';
    else if (character === '\t') out += '\\t';
    else if (character === '\b') out += '\\b';
    else if (character === '\f') out += '\\f';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += character;
  }
  return `${out}"`;
}

/** A key part, bare when it can be. */
export function renderKey(part: string): string {
  return BARE_KEY.test(part) ? part : basicString(part);
}

/** A dotted key. */
export function renderKeyPath(parts: readonly string[]): string {
  return parts.map(renderKey).join('.');
}

/** How the value being replaced was written, so that its replacement looks alike. */
export interface RenderStyle {
  /** The replaced string was a single-line literal string (`'...'`). */
  readonly literal?: boolean;
}

/** Whether `text` fits in a single-line literal string. */
const literalSafe = (text: string): boolean => !/['\u0000-\u0008\u000a-\u001f\u007f]/.test(text);

function renderNumber(value: number): string {
  return Number.isInteger(value) ? BigInt(value).toString() : pythonFloatRepr(value);
}

function renderDate(value: Date): string {
  if (Number.isNaN(value.getTime())) throw new TypeError('cannot write an invalid date to TOML');
  return value.toISOString().replace(/\.000Z$/, 'Z');
}

/** A value as TOML on one line: arrays as `[1, 2]`, mappings as inline tables `{ a = 1 }`. */
export function renderValue(value: ParamsValue, style: RenderStyle = {}): string {
  if (value === null) throw new TypeError('TOML has no null value: delete the key instead');
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return renderNumber(value);
  if (value instanceof PythonFloat) return pythonFloatRepr(value.value);
  if (typeof value === 'string') {
    return style.literal && literalSafe(value) ? `'${value}'` : basicString(value);
  }
  if (value instanceof Date) return renderDate(value);
  if (Array.isArray(value)) return `[${value.map((item) => renderValue(item)).join(', ')}]`;
  if (!isParamsMapping(value)) throw new TypeError(`cannot write ${String(value)} to TOML`);
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  return `{ ${entries.map(([key, item]) => `${renderKey(key)} = ${renderValue(item)}`).join(', ')} }`;
}
