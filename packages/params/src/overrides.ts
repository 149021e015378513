import { ParamsOverrideError } from './override-error';
import { evaluateOverrideFunction, numberOf, scalarStr, shuffleList } from './override-functions';
import {
  isSweep,
  OverrideDict,
  type OverrideDictKey,
  type OverrideElement,
  type OverrideKind,
  type OverrideNumber,
  type OverrideSweep,
  parseOverrideText,
  QuotedString,
} from './override-grammar';
import { isParamsMapping, PythonFloat, pythonFloatRepr } from './python-float';
import type { ParamsTree, ParamsValue } from './types';

/** The params file an override is for when it names none (DVC's `ParamsDependency.DEFAULT_PARAMS_FILE`). */
export const DEFAULT_OVERRIDE_FILE = 'params.yaml';

/** One `-S` override, read by Hydra's grammar. */
export interface Override {
  /** The override as written, without its `file:` prefix (Hydra's `input_line`). */
  readonly text: string;
  /** The params file it changes. */
  readonly file: string;
  readonly kind: OverrideKind;
  /** The dotted key (`train.lr`, `layers.0`). */
  readonly key: string;
  /** The key's parts: each a mapping key or, for a list, a decimal index. */
  readonly path: readonly string[];
  /** The `@package` of a config-group override (Hydra's; DVC refuses it when applying). */
  readonly package: string | undefined;
  /** The value as the grammar typed it; `undefined` only for `~key` without `=`. */
  readonly value: OverrideElement | undefined;
  /** Whether the value is a sweep (`a,b`, `choice`, `range`, `interval`, `glob`). */
  readonly sweep: boolean;
}

/** Overrides grouped by params file, in the order the files first appear. */
export type OverridesByFile = ReadonlyMap<string, readonly Override[]>;

/**
 * DVC's split of one `-S` argument into its file and its override (`dvc/utils/cli_parse.py`,
 * `to_path_overrides`): the file is what stands before the first `:`, when that `:` comes before the
 * first `=`; otherwise the file is `params.yaml`.
 */
export function splitOverrideFile(argument: string): { file: string; text: string } {
  const equal = argument.indexOf('=');
  const name = equal === -1 ? argument : argument.slice(0, equal);
  const colon = name.indexOf(':');
  if (colon === -1) return { file: DEFAULT_OVERRIDE_FILE, text: argument };
  return { file: argument.slice(0, colon), text: argument.slice(colon + 1) };
}

/** Parses one override (without a `file:` prefix) for `file`; throws a {@link ParamsOverrideError} with the column. */
export function parseOverride(text: string, file: string = DEFAULT_OVERRIDE_FILE): Override {
  let parsed: ReturnType<typeof parseOverrideText>;
  try {
    parsed = parseOverrideText(text, evaluateOverrideFunction);
  } catch (error) {
    if (error instanceof ParamsOverrideError) {
      throw new ParamsOverrideError(
        error.code,
        error.message,
        { override: text, file, column: error.column },
        {
          cause: error.cause,
        },
      );
    }
    throw error;
  }
  return Object.freeze({
    text,
    file,
    kind: parsed.kind,
    key: parsed.key,
    path: Object.freeze(parsed.key.split('.')),
    package: parsed.package,
    value: parsed.value,
    sweep: isSweep(parsed.value),
  });
}

/** Parses `-S` arguments (`[file:]override`) and groups them by file, as DVC does. */
export function parseOverrides(argumentsList: readonly string[]): OverridesByFile {
  const byFile = new Map<string, Override[]>();
  for (const argument of argumentsList) {
    const { file, text } = splitOverrideFile(argument);
    const override = parseOverride(text, file);
    const list = byFile.get(file);
    if (list) list.push(override);
    else byFile.set(file, [override]);
  }
  return byFile;
}

/** Whether any override is a sweep. */
export function hasSweep(overrides: OverridesByFile | readonly Override[]): boolean {
  const all = Array.isArray(overrides) ? overrides : [...(overrides as OverridesByFile).values()].flat();
  return (all as readonly Override[]).some((override) => override.sweep);
}

/** Throws DVC's error when an override is a sweep: a run without `--queue` takes one value per key. */
export function assertNoSweep(overrides: OverridesByFile | readonly Override[]): void {
  const all = Array.isArray(overrides) ? overrides : [...(overrides as OverridesByFile).values()].flat();
  const sweep = (all as readonly Override[]).find((override) => override.sweep);
  if (sweep) {
    throw new ParamsOverrideError('OVERRIDE_SWEEP', "Sweep overrides can't be used without `--queue`", {
      override: sweep.text,
      file: sweep.file,
    });
  }
}

// ─── Overrides as text (Hydra's Override.get_value_element_as_str) ──────────────────────────────

const SPECIAL = /[\\()[\]{}:=, \t]/g;

/** Escapes what the grammar would otherwise read as syntax (`a b` becomes `a\ b`). */
export function escapeOverrideString(text: string): string {
  return text.replace(SPECIAL, (char) => `\\${char}`);
}

/** A quoted string written back with its quote, escaping as Hydra's `QuotedString.with_quotes` does. */
function withQuotes(value: QuotedString): string {
  const quote = value.quote;
  if (!value.text.includes('\\')) return `${quote}${value.text.replaceAll(quote, `\\${quote}`)}${quote}`;
  // Backslashes that end up before a quote (the closing one included) are doubled.
  let text = value.text + quote;
  const pattern = new RegExp(`\\\\+${quote}`);
  const tokens: string[] = [];
  let match = pattern.exec(text);
  if (!match) return `${quote}${value.text.replaceAll(quote, `\\${quote}`)}${quote}`;
  while (match) {
    const start = match.index;
    const stop = start + match[0].length;
    tokens.push(text.slice(0, start));
    tokens.push('\\'.repeat((stop - start - 1) * 2));
    if (stop < text.length) tokens.push(quote);
    text = text.slice(stop);
    match = pattern.exec(text);
  }
  if (text.length > 1) tokens.push(text.slice(0, -1));
  return `${quote}${tokens.join('').replaceAll(quote, `\\${quote}`)}${quote}`;
}

/** A value as override text, the way Hydra's sweeper writes each run's overrides. */
export function overrideElementText(value: OverrideElement | OverrideDictKey): string {
  if (value === null) return 'null';
  if (value instanceof QuotedString) return withQuotes(value);
  if (Array.isArray(value)) return `[${value.map(overrideElementText).join(',')}]`;
  if (value instanceof OverrideDict) {
    return `{${value.entries.map(([key, item]) => `${overrideElementText(key)}:${overrideElementText(item)}`).join(',')}}`;
  }
  if (typeof value === 'string') return escapeOverrideString(value);
  if (isSweep(value)) throw new Error('Cannot convert sweep to str');
  return scalarStr(value);
}

// ─── Sweeps ──────────────────────────────────────────────────────────────────────────────────────

/** A decimal number (`coefficient × 10^exponent`), as Python's `decimal.Decimal` with 28 digits. */
interface Decimal {
  readonly coefficient: bigint;
  readonly exponent: number;
}

/** The exact decimal value of a double, as `decimal.Decimal(float)` gives. */
function exactDecimal(value: number): Decimal {
  if (Number.isInteger(value)) return { coefficient: BigInt(value), exponent: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let power = biased - 1075;
  if (biased === 0) power = -1074;
  else mantissa |= 1n << 52n;
  // mantissa × 2^power with power < 0: mantissa × 5^-power / 10^-power.
  const coefficient = mantissa * 5n ** BigInt(-power);
  return { coefficient: negative ? -coefficient : coefficient, exponent: power };
}

function rounded(value: Decimal, digits = 28): Decimal {
  const negative = value.coefficient < 0n;
  let coefficient = negative ? -value.coefficient : value.coefficient;
  let exponent = value.exponent;
  const length = coefficient.toString().length;
  if (length > digits) {
    const drop = length - digits;
    const divisor = 10n ** BigInt(drop);
    let quotient = coefficient / divisor;
    const remainder = coefficient % divisor;
    const twice = remainder * 2n;
    if (twice > divisor || (twice === divisor && quotient % 2n === 1n)) quotient += 1n;
    coefficient = quotient;
    exponent += drop;
  }
  return { coefficient: negative ? -coefficient : coefficient, exponent };
}

function add(a: Decimal, b: Decimal): Decimal {
  const exponent = Math.min(a.exponent, b.exponent);
  const scale = (value: Decimal) => value.coefficient * 10n ** BigInt(value.exponent - exponent);
  return rounded({ coefficient: scale(a) + scale(b), exponent });
}

function compare(a: Decimal, b: Decimal): number {
  const exponent = Math.min(a.exponent, b.exponent);
  const x = a.coefficient * 10n ** BigInt(a.exponent - exponent);
  const y = b.coefficient * 10n ** BigInt(b.exponent - exponent);
  return x < y ? -1 : x > y ? 1 : 0;
}

const decimalToNumber = (value: Decimal): number => Number(`${value.coefficient}e${value.exponent}`);

const isPythonInt = (value: OverrideNumber) =>
  typeof value === 'boolean' ||
  typeof value === 'bigint' ||
  (typeof value === 'number' && Number.isInteger(value));

/** The values of a `range(…)`: Python's `range` for ints, Hydra's decimal `FloatRange` otherwise. */
function rangeValues(sweep: Extract<OverrideSweep, { kind: 'range' }>): OverrideElement[] {
  const { start, stop, step } = sweep;
  const out: OverrideElement[] = [];
  if (isPythonInt(start) && isPythonInt(stop) && isPythonInt(step)) {
    const toBig = (value: OverrideNumber) =>
      typeof value === 'boolean' ? BigInt(value) : BigInt(value as number);
    const [first, last, by] = [toBig(start), toBig(stop), toBig(step)];
    if (by === 0n) throw new Error('range() arg 3 must not be zero');
    for (let value = first; by > 0n ? value < last : value > last; value += by) {
      const small = Number(value);
      out.push(Number.isSafeInteger(small) ? small : value);
      if (out.length > 1_000_000) throw new Error('range() gives more than a million values');
    }
    return out;
  }
  const decimal = (value: OverrideNumber) =>
    isPythonInt(value)
      ? { coefficient: BigInt(numberOf(value)), exponent: 0 }
      : exactDecimal(numberOf(value));
  let current = decimal(start);
  const end = decimal(stop);
  const by = decimal(step);
  if (by.coefficient === 0n) {
    throw new Error(
      `Invalid range values (start:${scalarStr(start as never)}, stop:${scalarStr(stop as never)}, step:0)`,
    );
  }
  const ascending = by.coefficient > 0n;
  while (ascending ? compare(current, end) < 0 : compare(current, end) > 0) {
    const value = decimalToNumber(current);
    out.push(Number.isInteger(value) ? new PythonFloat(value) : value);
    current = add(current, by);
    if (out.length > 1_000_000) throw new Error('range() gives more than a million values');
  }
  return out;
}

/** The values a sweep takes, one per run, in order (shuffled when it says so). */
export function sweepValues(sweep: OverrideSweep): OverrideElement[] {
  if (sweep.kind === 'choice') return sweep.shuffle ? shuffleList(sweep.items) : [...sweep.items];
  if (sweep.kind === 'range') {
    const values = rangeValues(sweep);
    return sweep.shuffle ? shuffleList(values) : values;
  }
  if (sweep.kind === 'glob')
    throw new Error('glob() selects config group options, which params files do not have');
  throw new Error('BasicSweeper does not support sweep type : INTERVAL_SWEEP');
}

function keyElement(override: Override): string {
  const prefix = { change: '', add: '+', forceAdd: '++', delete: '~' }[override.kind];
  return `${prefix}${override.key}${override.package === undefined ? '' : `@${override.package}`}`;
}

function product<T>(lists: readonly (readonly T[])[]): T[][] {
  return lists.reduce<T[][]>((runs, list) => runs.flatMap((run) => list.map((item) => [...run, item])), [[]]);
}

/**
 * Expands sweeps into runs, as DVC queues them (`dvc/utils/hydra.py`, `get_hydra_sweeps`): within
 * a file, overrides of one key (with the same `+`/`++`/`~`) collapse to the last; each run takes
 * one value of every sweep, the first override varying slowest, and files combine the same way
 * (cartesian product). Each run's overrides are written out as text and read again, as Hydra's
 * sweeper does, so a value's type is what that text reads as (`str(5)` runs as the int `5`).
 * `glob(…)` and `interval(…)` are refused, as DVC refuses them.
 */
export function expandSweeps(overrides: OverridesByFile): OverridesByFile[] {
  const perFile: [string, string[][]][] = [];
  for (const [file, list] of overrides) {
    for (const override of list) {
      if (isSweep(override.value) && override.value.kind === 'glob') {
        throw new ParamsOverrideError(
          'OVERRIDE_SWEEP',
          `Glob override '${override.text}' is not supported.`,
          {
            override: override.text,
            file,
          },
        );
      }
    }
    const byKey = new Map<string, string[]>();
    for (const override of list) {
      const key = keyElement(override);
      let texts: string[];
      try {
        texts = isSweep(override.value)
          ? sweepValues(override.value).map((value) => `${key}=${overrideElementText(value)}`)
          : [`${key}=${overrideElementText(override.value ?? null)}`];
      } catch (error) {
        throw new ParamsOverrideError(
          'OVERRIDE_SWEEP',
          `cannot expand '${override.text}': ${(error as Error).message}`,
          { override: override.text, file },
          { cause: error },
        );
      }
      byKey.set(key, texts);
    }
    perFile.push([file, product([...byKey.values()])]);
  }
  return product(perFile.map(([file, runs]) => runs.map((run) => [file, run] as const))).map(
    (run) => new Map(run.map(([file, texts]) => [file, texts.map((text) => parseOverride(text, file))])),
  );
}

// ─── Values ──────────────────────────────────────────────────────────────────────────────────────

/** A dict key as a params key: Python's `str()` of it. */
export function dictKeyText(key: OverrideDictKey): string {
  if (key === null) return 'None';
  return scalarStr(key);
}

/** An override's value as a params value: quotes dropped, dict keys as strings. */
export function overrideValue(value: OverrideElement): ParamsValue {
  if (value instanceof QuotedString) return value.text;
  if (Array.isArray(value)) return value.map(overrideValue);
  if (value instanceof OverrideDict) {
    const tree: ParamsTree = {};
    for (const [key, item] of value.entries) tree[dictKeyText(key)] = overrideValue(item);
    return tree;
  }
  if (isSweep(value)) throw new Error('a sweep has no single value');
  return value;
}

/** The text of a params value for messages, as Python prints it. */
export function describeValue(value: ParamsValue | undefined): string {
  if (value === undefined) return 'None';
  if (value === null) return 'None';
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return `[${value.map(describeValue).join(', ')}]`;
  if (isParamsMapping(value)) {
    return `{${Object.entries(value)
      .map(([key, item]) => `'${key}': ${describeValue(item)}`)
      .join(', ')}}`;
  }
  if (value instanceof PythonFloat) return pythonFloatRepr(value.value);
  return scalarStr(value as number | bigint | boolean);
}
