import {
  comparePythonStrings,
  isParamsMapping,
  isPythonFloat,
  PythonFloat,
  paramsEqual,
  pythonRepr,
} from './python-float';
import type { ParamsTree, ParamsValue } from './types';

/** What reading one params file gave at one revision: its data, or why it could not be read. */
export interface ParamsFileResult {
  readonly data?: unknown;
  readonly error?: Error;
}

/**
 * The params of one revision, as `dvc params diff` gathers them: each params file (by its path)
 * with its data or its error, or the error that failed the whole revision (a pipeline file that
 * does not load).
 */
export interface ParamsRevisionResult {
  readonly files: Readonly<Record<string, ParamsFileResult>>;
  readonly error?: Error;
}

/**
 * A value as `params diff` compares and shows it: a leaf of a params tree, with lists already
 * turned into the text Python's `str()` gives them (`[1, 2, 'x']`), as DVC does before comparing.
 */
export type DiffValue = null | boolean | number | bigint | string | Date | PythonFloat;

/** How one param changed between two revisions. `diff` is `new - old` when both are numbers. */
export interface ParamsChange {
  readonly old: DiffValue;
  readonly new: DiffValue;
  readonly diff?: number | bigint | PythonFloat;
}

/** Changes by file, then by dotted key; files and keys in code-point order. */
export type ParamsDiff = ReadonlyMap<string, ReadonlyMap<string, ParamsChange>>;

export interface DiffParamsOptions {
  /** Keep unchanged params too (`--all`). */
  readonly all?: boolean;
}

const UNABLE_TO_PARSE = 'unable to parse';

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

/** Python's `str()` of a date read from YAML: `2024-01-01`, or `2024-01-01 10:30:00+00:00` with a time. */
function dateStr(value: Date): string {
  const day = `${value.getUTCFullYear()}-${pad2(value.getUTCMonth() + 1)}-${pad2(value.getUTCDate())}`;
  if (
    value.getUTCHours() + value.getUTCMinutes() + value.getUTCSeconds() + value.getUTCMilliseconds() ===
    0
  ) {
    return day;
  }
  const millis = value.getUTCMilliseconds();
  const fraction = millis ? `.${String(millis * 1000).padStart(6, '0')}` : '';
  return `${day} ${pad2(value.getUTCHours())}:${pad2(value.getUTCMinutes())}:${pad2(value.getUTCSeconds())}${fraction}+00:00`;
}

// Characters Python's `str.isprintable()` rejects: other (Cc, Cf, Cs, Co, Cn) and separators but ' '.
const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

/** Python's `repr()` of a string: single quotes unless only double quotes avoid escaping. */
export function pythonStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    if (char === quote || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (char !== ' ' && NON_PRINTABLE.test(char)) {
      const code = char.codePointAt(0)!;
      out +=
        code <= 0xff
          ? `\\x${code.toString(16).padStart(2, '0')}`
          : code <= 0xffff
            ? `\\u${code.toString(16).padStart(4, '0')}`
            : `\\U${code.toString(16).padStart(8, '0')}`;
    } else out += char;
  }
  return out + quote;
}

/** Python's `repr()` of a params value (inside a list or dict: strings quoted, `None`, `True`). */
export function pythonValueRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return pythonStringRepr(value);
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'bigint') {
    return pythonRepr(value);
  }
  if (isPythonFloat(value)) return pythonRepr(value);
  if (value instanceof Date) {
    const parts = [value.getUTCFullYear(), value.getUTCMonth() + 1, value.getUTCDate()];
    const time = [value.getUTCHours(), value.getUTCMinutes(), value.getUTCSeconds()];
    if (time.every((part) => part === 0) && value.getUTCMilliseconds() === 0) {
      return `datetime.date(${parts.join(', ')})`;
    }
    return `datetime.datetime(${[...parts, ...time].join(', ')}, tzinfo=datetime.timezone.utc)`;
  }
  if (Array.isArray(value)) return `[${value.map(pythonValueRepr).join(', ')}]`;
  if (isParamsMapping(value)) {
    const items = Object.entries(value).map(
      ([key, item]) => `${pythonStringRepr(key)}: ${pythonValueRepr(item)}`,
    );
    return `{${items.join(', ')}}`;
  }
  return String(value);
}

/** Python's `str()` of a value as `params diff` shows it in a table cell. */
export function pythonStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return dateStr(value);
  return pythonValueRepr(value);
}

/**
 * A params tree as `params diff` sees it: nested mappings flattened into dotted keys, empty
 * mappings dropped, lists turned into their Python text (DVC's `format_dict`, then
 * `flatten_dict.flatten(reducer="dot")`).
 */
export function flattenForDiff(tree: Readonly<Record<string, unknown>>): Map<string, DiffValue> {
  const flat = new Map<string, DiffValue>();
  const visit = (node: Readonly<Record<string, unknown>>, prefix: string): void => {
    for (const [key, value] of Object.entries(node)) {
      const full = prefix ? `${prefix}.${key}` : key;
      if (isParamsMapping(value)) visit(value, full);
      else if (Array.isArray(value)) flat.set(full, pythonValueRepr(value));
      else flat.set(full, (value ?? null) as DiffValue);
    }
  };
  visit(tree, '');
  return flat;
}

/** Python's truth value of raw file data (`if not d`). */
function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === '' || value === 0) return true;
  if (value === 0n) return true;
  if (isPythonFloat(value)) return value.value === 0;
  if (Array.isArray(value)) return value.length === 0;
  if (isParamsMapping(value)) return Object.keys(value).length === 0;
  return false;
}

function numeric(value: DiffValue): number | bigint | PythonFloat | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' || typeof value === 'bigint' || isPythonFloat(value)) return value;
  return undefined;
}

/** Python's `new - old` for ints (bools count as ints) and floats. */
function subtract(
  newer: number | bigint | PythonFloat,
  older: number | bigint | PythonFloat,
): number | bigint | PythonFloat {
  const isFloat = (value: number | bigint | PythonFloat): boolean =>
    isPythonFloat(value) || (typeof value === 'number' && !Number.isInteger(value));
  const asNumber = (value: number | bigint | PythonFloat): number =>
    isPythonFloat(value) ? value.value : Number(value);
  if (isFloat(newer) || isFloat(older)) {
    const result = asNumber(newer) - asNumber(older);
    return Number.isInteger(result) ? new PythonFloat(result) : result;
  }
  const big = BigInt(newer as number | bigint) - BigInt(older as number | bigint);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function diffValues(older: DiffValue, newer: DiffValue, all: boolean): ParamsChange | undefined {
  const same =
    older !== null &&
    newer !== null &&
    !(older instanceof Date) &&
    !(newer instanceof Date) &&
    paramsEqual(older as ParamsValue, newer as ParamsValue);
  if (!all && (same || (older === null && newer === null) || sameDate(older, newer))) return undefined;
  const left = numeric(older);
  const right = numeric(newer);
  if (left !== undefined && right !== undefined)
    return { old: older, new: newer, diff: subtract(right, left) };
  return { old: older, new: newer };
}

function sameDate(a: DiffValue, b: DiffValue): boolean {
  return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
}

/** DVC's `_flatten`: a mapping's leaves; nothing for empty data; `unable to parse` for other data. */
function flattenData(data: unknown): (key: string) => DiffValue {
  if (isEmpty(data)) return () => null;
  if (isParamsMapping(data)) {
    const flat = flattenForDiff(data);
    return (key) => flat.get(key) ?? null;
  }
  return () => UNABLE_TO_PARSE;
}

function keysOf(data: unknown): string[] {
  return isParamsMapping(data) && !isEmpty(data) ? [...flattenForDiff(data).keys()] : [];
}

/** A bare scalar or list as DVC compares it (`_parse`: lists become their text). */
function asDiffValue(data: unknown): DiffValue {
  if (data === undefined) return null;
  if (Array.isArray(data)) return pythonValueRepr(data);
  return data as DiffValue;
}

function diffFile(older: unknown, newer: unknown, all: boolean): Map<string, ParamsChange> {
  const changes = new Map<string, ParamsChange>();
  if (isParamsMapping(older) || isParamsMapping(newer)) {
    const oldValue = flattenData(older);
    const newValue = flattenData(newer);
    const keys = [...new Set([...keysOf(older), ...keysOf(newer)])].sort(comparePythonStrings);
    for (const key of keys) {
      const change = diffValues(oldValue(key), newValue(key), all);
      if (change) changes.set(key, change);
    }
    return changes;
  }
  const change = diffValues(asDiffValue(older), asDiffValue(newer), all);
  if (change) changes.set('', change);
  return changes;
}

/**
 * The params that differ between two revisions, as `dvc params diff` computes them: every file of
 * either side, flattened to dotted keys; a file or key missing on one side (or a file that did not
 * load) shows as `null` there. Only changed params unless `all`. Equality is Python's
 * (`1 == 1.0 == True`); lists are compared by their text, so `[1]` differs from `[1.0]`.
 */
export function diffParams(
  older: ParamsRevisionResult,
  newer: ParamsRevisionResult,
  options: DiffParamsOptions = {},
): ParamsDiff {
  const all = options.all === true;
  const files = [...new Set([...Object.keys(older.files), ...Object.keys(newer.files)])].sort(
    comparePythonStrings,
  );
  const result = new Map<string, ReadonlyMap<string, ParamsChange>>();
  for (const file of files) {
    const changes = diffFile(older.files[file]?.data ?? {}, newer.files[file]?.data ?? {}, all);
    if (changes.size > 0) result.set(file, changes);
  }
  return result;
}

/** The files of a revision that failed to load (or the whole revision), for DVC's warning. */
export function hasParamsErrors(result: ParamsRevisionResult): boolean {
  return result.error !== undefined || Object.values(result.files).some((file) => file.error !== undefined);
}

/** A diff as the object `dvc params diff --json` prints (lists as their text; dates as `str()`). */
export function paramsDiffJson(diff: ParamsDiff): Record<string, Record<string, Record<string, unknown>>> {
  const json: Record<string, Record<string, Record<string, unknown>>> = {};
  const plain = (value: DiffValue): unknown => (value instanceof Date ? dateStr(value) : value);
  for (const [file, changes] of diff) {
    const entries: Record<string, Record<string, unknown>> = {};
    for (const [key, change] of changes) {
      entries[key] =
        change.diff === undefined
          ? { old: plain(change.old), new: plain(change.new) }
          : { old: plain(change.old), new: plain(change.new), diff: change.diff };
    }
    json[file] = entries;
  }
  return json;
}

/** One row of the `params diff` table: the cells as DVC prints them (`-` for a missing value). */
export interface ParamsDiffRow {
  readonly path: string;
  readonly key: string;
  readonly old: string;
  readonly new: string;
}

/** The table rows of a diff, file by file, keys sorted. */
export function paramsDiffRows(diff: ParamsDiff): ParamsDiffRow[] {
  const cell = (value: DiffValue): string => (value === null ? '-' : pythonStr(value));
  const rows: ParamsDiffRow[] = [];
  for (const [file, changes] of diff) {
    for (const [key, change] of changes) {
      rows.push({ path: file, key, old: cell(change.old), new: cell(change.new) });
    }
  }
  return rows;
}

function matchSegment(pattern: string, segment: string): boolean {
  if (!/[*?[]/.test(pattern)) return pattern === segment;
  let source = '^';
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const end = pattern.indexOf(']', index + 2);
      if (end === -1) source += '\\[';
      else {
        let body = pattern.slice(index + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        source += `[${body.replace(/\\/g, '\\\\')}]`;
        index = end;
      }
    } else source += char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${source}$`, 's').test(segment);
}

/**
 * The part of a params tree some dotted keys select, as DVC's `dpath.search` merges them: each
 * key keeps its whole subtree and the mappings above it; a list index keeps the list up to that
 * item, earlier items `null`; a segment may be a glob (`*`, `?`, `[..]`). Missing keys select nothing.
 */
export function selectParams(tree: ParamsTree, keys: readonly string[]): ParamsTree {
  let result: unknown = {};
  for (const key of new Set(keys)) {
    const found = searchParams(tree, key.split('.'));
    if (found !== undefined) result = mergeParams(result, found);
  }
  return result as ParamsTree;
}

function searchParams(node: unknown, parts: readonly string[]): unknown {
  if (parts.length === 0) return cloneParams(node);
  const [head, ...rest] = parts as [string, ...string[]];
  if (isParamsMapping(node)) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node)) {
      if (!matchSegment(head, key)) continue;
      const found = searchParams(child, rest);
      if (found !== undefined) out[key] = found;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (Array.isArray(node)) {
    const out: unknown[] = [];
    node.forEach((child, index) => {
      if (!matchSegment(head, String(index))) return;
      const found = searchParams(child, rest);
      if (found === undefined) return;
      while (out.length < index) out.push(null);
      out[index] = found;
    });
    return out.length > 0 ? out : undefined;
  }
  return undefined;
}

function mergeParams(existing: unknown, incoming: unknown): unknown {
  if (existing === undefined || existing === null) return incoming;
  if (isParamsMapping(existing) && isParamsMapping(incoming)) {
    const merged: Record<string, unknown> = { ...existing };
    for (const [key, value] of Object.entries(incoming)) merged[key] = mergeParams(merged[key], value);
    return merged;
  }
  if (Array.isArray(existing) && Array.isArray(incoming)) {
    const merged = [...existing];
    incoming.forEach((value, index) => {
      if (value !== null || merged[index] === undefined) merged[index] = mergeParams(merged[index], value);
    });
    return merged;
  }
  return incoming;
}

function cloneParams(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneParams);
  if (isParamsMapping(value)) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = cloneParams(item);
    return copy;
  }
  return value;
}
