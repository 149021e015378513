import { isParamsMapping, PythonFloat, pythonStr } from '@tvc/params';

/**
 * How dvc.yaml templating turns values into text, as DVC 3 does (`dvc/parsing/interpolate.py`):
 * booleans as `true`/`false`, numbers and `None` as Python's `str()` prints them, a mapping (in
 * `cmd` only) as command-line flags.
 */

/** DVC's `parsing` config section: how a dict expands in `cmd`. */
export interface DictExpansionConfig {
  /** `store_true` (default): `--flag` for true, nothing for false; `boolean_optional` adds `--no-flag`. */
  readonly bool?: 'store_true' | 'boolean_optional';
  /** `nargs` (default): `--key a b`; `append`: `--key a --key b`. */
  readonly list?: 'nargs' | 'append';
}

/** A problem found while turning a value into text; the resolver adds where it happened. */
export class InterpolationError extends Error {
  override readonly name = 'InterpolationError';
}

/** Whether a value is a mapping (not a list, a date or a number marker). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return isParamsMapping(value);
}

/** Python's `isinstance(value, (Mapping, Sequence)) and not str`. */
export function isMapOrSeq(value: unknown): boolean {
  return Array.isArray(value) || isMapping(value);
}

/** Python's type name of a value read from a params file or dvc.yaml. */
export function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (value instanceof PythonFloat) return 'float';
  if (value instanceof Date) return 'date';
  if (Array.isArray(value)) return 'list';
  return 'dict';
}

/** DVC's `PRIMITIVES` (and `None`): what may be interpolated anywhere. */
export function isPrimitive(value: unknown): boolean {
  return (
    value === null ||
    value === undefined ||
    typeof value === 'boolean' ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    value instanceof PythonFloat
  );
}

const SHELL_UNSAFE = /[^\w@%+=:,./-]/;

/** Python's `shlex.quote`. */
export function shellQuote(value: string): string {
  if (value === '') return "''";
  if (!SHELL_UNSAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** `flatten_dict.flatten(d, reducer="dot")`: nested mappings become dotted keys; empty ones vanish. */
function flatten(
  value: Record<string, unknown>,
  prefix = '',
  into: [string, unknown][] = [],
): [string, unknown][] {
  for (const [key, item] of Object.entries(value)) {
    const dotted = prefix ? `${prefix}.${key}` : key;
    if (isMapping(item)) flatten(item, dotted, into);
    else into.push([dotted, item]);
  }
  return into;
}

/** A mapping as command-line flags (`--key value`), DVC's `to_str(dict)`. */
export function expandDict(value: Record<string, unknown>, config: DictExpansionConfig = {}): string {
  let result = '';
  for (const [key, item] of flatten(value)) {
    if (typeof item === 'boolean') {
      if (item) result += `--${key} `;
      else if (config.bool === 'boolean_optional') result += `--no-${key} `;
    } else if (typeof item === 'string') {
      result += `--${key} ${shellQuote(item)} `;
    } else if (Array.isArray(item)) {
      item.forEach((element, index) => {
        let text: string;
        if (typeof element === 'string') text = shellQuote(element);
        else if (isMapOrSeq(element))
          throw new InterpolationError(`Cannot interpolate nested iterable in '${key}'`);
        else text = pythonStr(element);
        if (config.list === 'append') result += `--${key} ${text} `;
        else result += index > 0 ? `${text} ` : `--${key} ${text} `;
      });
    } else {
      result += `--${key} ${pythonStr(item)} `;
    }
  }
  return result.trimEnd();
}

/** A value as text inside a string (DVC's `to_str`): booleans lower-case, a mapping as flags. */
export function toText(value: unknown, config?: DictExpansionConfig): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (isMapping(value)) return expandDict(value, config);
  return pythonStr(value);
}
