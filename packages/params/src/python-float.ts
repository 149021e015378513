import type { ParamsValue } from './types';

/**
 * A Python `float` whose value is integral (`1.0`, `2e3`, `-0.0`): JavaScript has one number type,
 * so without this marker `1.0` would come back as `1` and be written as Python's `int`. Params
 * formats return it for float literals with an integral value; every other float is a plain
 * `number` with a fraction (or `Infinity`/`NaN`), and every integral `number` is an `int`.
 *
 * The value lives behind a getter, so the object has no own enumerable keys: code that walks a
 * params tree sees a leaf, never a mapping.
 */
export class PythonFloat {
  readonly #value: number;

  constructor(value: number) {
    this.#value = value;
    Object.freeze(this);
  }

  /** The float's value as a JavaScript number. */
  get value(): number {
    return this.#value;
  }
}

/** Whether `value` is an integral Python float. */
export function isPythonFloat(value: unknown): value is PythonFloat {
  return value instanceof PythonFloat;
}

/**
 * The Python value a JavaScript value stands for when reading params: a `PythonFloat`, a
 * non-integral (or non-finite) number, is a float; an integral number or a bigint is an int.
 */
export function pythonNumberKind(value: number | bigint | PythonFloat): 'int' | 'float' {
  if (value instanceof PythonFloat) return 'float';
  if (typeof value === 'bigint') return 'int';
  return Number.isInteger(value) ? 'int' : 'float';
}

/** The number of a number-like params value (`true` counts as 1, as in Python). */
function numericValue(value: unknown): number | bigint | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof PythonFloat) return value.value;
  return undefined;
}

/** Python's `repr()` of a float given as a JavaScript number: `1.0`, `0.001`, `1e-05`, `1e+16`, `inf`. */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  // toExponential() without an argument gives the shortest digits that round-trip, as Python's
  // repr does; only the layout differs.
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(value.toExponential());
  if (!match) throw new Error(`cannot format ${value}`);
  const sign = match[1]!;
  const digits = match[2]! + (match[3] ?? '');
  const exponent = Number(match[4]);
  if (exponent < -4 || exponent >= 16) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction || '0'}`;
}

/**
 * Python's `repr()` of a number as tvc holds it: a `PythonFloat` or a number with a fraction is a
 * float (`1.0`, `2.5`, `1e-05`, `inf`, `nan`); an integral number or a bigint is an int (`10`).
 * Booleans print as Python's `True`/`False`.
 */
export function pythonRepr(value: number | bigint | boolean | PythonFloat): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof PythonFloat) return pythonFloatRepr(value.value);
  if (Number.isInteger(value)) return BigInt(value).toString();
  return pythonFloatRepr(value);
}

/** Orders strings by code point, as Python's `sorted()` does (JavaScript's `<` compares UTF-16 units). */
export function comparePythonStrings(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const left = a.charCodeAt(index);
    const right = b.charCodeAt(index);
    if (left === right) continue;
    // A surrogate (0xD800–0xDFFF) starts a code point above 0xFFFF: it sorts after all of the BMP.
    const leftHigh = left >= 0xd800 && left <= 0xdfff;
    const rightHigh = right >= 0xd800 && right <= 0xdfff;
    if (leftHigh !== rightHigh) return leftHigh ? 1 : -1;
    return left - right;
  }
  return a.length - b.length;
}

/**
 * Python's truth value of a params value: `None`, `False`, zero (`0`, `0.0`, `-0.0`), `''` and
 * empty lists and dicts are false; everything else, `nan` and dates included, is true. DVC reads
 * a params file as `load(text) or {}`, so a false document is an empty one.
 */
export function pythonTruthy(value: ParamsValue): boolean {
  if (value === null) return false;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return value !== '';
  if (value instanceof PythonFloat) return value.value !== 0;
  if (value instanceof Date) return true;
  if (Array.isArray(value)) return value.length > 0;
  return Object.keys(value).length > 0;
}

/** Whether a value is a mapping of a params tree (not a list, a date or a {@link PythonFloat}). */
export function isParamsMapping(value: unknown): value is Readonly<Record<string, ParamsValue>> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof PythonFloat)
  );
}

const isMapping = isParamsMapping;

function numbersEqual(a: number | bigint, b: number | bigint): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a === b;
  const number = (typeof a === 'number' ? a : b) as number;
  const big = (typeof a === 'bigint' ? a : b) as bigint;
  // Python compares int and float exactly: 2**53 + 1 != 2.0**53.
  return Number.isInteger(number) && BigInt(number) === big;
}

/**
 * Python's `==` over params values: `1 == 1.0 == True`, `0 == False`, `nan != nan`, lists equal
 * item by item, dicts equal key by key whatever their order. `None` equals only `None`; a string
 * equals only the same string.
 */
export function paramsEqual(a: ParamsValue | undefined, b: ParamsValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const left = numericValue(a);
  const right = numericValue(b);
  if (left !== undefined || right !== undefined) {
    return left !== undefined && right !== undefined && numbersEqual(left, right);
  }
  if (a === null || b === null) return a === b;
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => paramsEqual(item, b[index]));
  }
  if (isMapping(a) && isMapping(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.hasOwn(b, key) && paramsEqual(a[key], b[key]));
  }
  return false;
}

/**
 * Exact equality of params values, where {@link paramsEqual} is Python's `==`: the Python types
 * must match too (`1` is not `1.0`, `True` is not `1`, `-0.0` is not `0.0`, `nan` is `nan`), and
 * mappings must hold the same keys in the same order. It says whether two trees would be written
 * the same way.
 */
export function sameParams(a: ParamsValue | undefined, b: ParamsValue | undefined): boolean {
  if (a instanceof PythonFloat || b instanceof PythonFloat) {
    return a instanceof PythonFloat && b instanceof PythonFloat && Object.is(a.value, b.value);
  }
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || a === b;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, index) => sameParams(item, b[index]))
    );
  }
  if (isMapping(a) && isMapping(b)) {
    const keys = Object.keys(a);
    const others = Object.keys(b);
    return (
      keys.length === others.length &&
      keys.every((key, index) => others[index] === key && sameParams(a[key], b[key]))
    );
  }
  return a === b;
}

/** Options of {@link pythonJsonDumps}. */
export interface PythonJsonDumpsOptions {
  /** `sort_keys=True`: mapping keys in code-point order. */
  readonly sortKeys?: boolean;
}

function jsonString(text: string): string {
  let out = '"';
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x22) out += '\\"';
    else if (code === 0x5c) out += '\\\\';
    else if (code === 0x0a) out += '\\n';
    else if (code === 0x0d) out += '\\r';
    else if (code === 0x09) out += '\\t';
    else if (code === 0x08) out += '\\b';
    else if (code === 0x0c) out += '\\f';
    // ensure_ascii: everything outside ' '..'~' as \uXXXX, astral characters as their surrogate pair
    // (JavaScript strings already hold them as two UTF-16 units).
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += text[index];
  }
  return `${out}"`;
}

function jsonFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return pythonFloatRepr(value);
}

function dumpValue(value: unknown, sortKeys: boolean): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return jsonString(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value).toString() : jsonFloat(value);
  if (value instanceof PythonFloat) return jsonFloat(value.value);
  if (Array.isArray(value)) return `[${value.map((item) => dumpValue(item, sortKeys)).join(', ')}]`;
  if (isMapping(value)) {
    const keys = Object.keys(value);
    if (sortKeys) keys.sort(comparePythonStrings);
    return `{${keys.map((key) => `${jsonString(key)}: ${dumpValue(value[key], sortKeys)}`).join(', ')}}`;
  }
  throw new TypeError(
    `Object of type ${value instanceof Date ? 'date' : typeof value} is not JSON serializable`,
  );
}

/**
 * Python's `json.dumps(value, sort_keys=...)` with its defaults: separators `", "` and `": "`,
 * `ensure_ascii` (`\u00e9`, surrogate pairs for astral characters), floats as `repr()` gives them,
 * `NaN`/`Infinity`/`-Infinity`. A `PythonFloat` prints as a float (`1.0`), an integral number as
 * an int. `undefined` members of objects are skipped (they stand for absent keys).
 */
export function pythonJsonDumps(value: unknown, options: PythonJsonDumpsOptions = {}): string {
  return dumpValue(stripUndefined(value), options.sortKeys ?? false);
}

function stripUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripUndefined);
  if (isMapping(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = stripUndefined(item);
    }
    return out;
  }
  return value;
}
