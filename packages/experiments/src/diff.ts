import {
  comparePythonStrings,
  isParamsMapping,
  isPythonFloat,
  PythonFloat,
  paramsEqual,
  pythonValueRepr,
} from '@tvc/params';
import { flattenMetrics } from './metrics-flatten';
import type { ExpData, ExpFileResult } from './show-collect';
import { formatField } from './show-table';

/** One changed (or, with `all`, unchanged) value: `diff` only when both sides are numbers. */
export interface ExpChange {
  readonly old: unknown;
  readonly new: unknown;
  readonly diff?: unknown;
}

/** `{file: {key: change}}` for metrics and for params, as `dvc exp diff --json` prints it. */
export interface ExpDiff {
  readonly metrics: Record<string, Record<string, ExpChange>>;
  readonly params: Record<string, Record<string, ExpChange>>;
}

/** DVC's `format_dict`: lists become their Python text. */
function formatDict(value: unknown): unknown {
  if (Array.isArray(value)) return pythonValueRepr(value);
  if (!isParamsMapping(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, formatDict(item)]));
}

function numeric(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (isPythonFloat(value)) return value.value;
  return undefined;
}

const isFloat = (value: unknown): boolean =>
  isPythonFloat(value) || (typeof value === 'number' && !Number.isInteger(value));

function diffValues(old: unknown, current: unknown, all: boolean): ExpChange | undefined {
  if (!all && paramsEqual(old as never, current as never)) return undefined;
  const a = numeric(old);
  const b = numeric(current);
  if (a === undefined || b === undefined) return { old, new: current };
  const difference = b - a;
  const diff =
    (isFloat(old) || isFloat(current)) && Number.isInteger(difference)
      ? new PythonFloat(difference)
      : difference;
  return { old, new: current, diff };
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (isParamsMapping(value) && Object.keys(value).length === 0);
}

function flatOrNot(value: unknown): Map<string, unknown> {
  if (isEmpty(value)) return new Map();
  return flattenMetrics(value, '');
}

/** DVC's `dvc.utils.diff.diff` of two revisions' files (keys in first-seen order, not Python's set order). */
function diffFiles(
  old: Record<string, ExpFileResult>,
  current: Record<string, ExpFileResult>,
  all: boolean,
): Record<string, Record<string, ExpChange>> {
  const result: Record<string, Record<string, ExpChange>> = {};
  for (const file of new Set([...Object.keys(old), ...Object.keys(current)])) {
    const a = formatDict(old[file]?.data ?? {});
    const b = formatDict(current[file]?.data ?? {});
    const changes: Record<string, ExpChange> = {};
    if (isParamsMapping(a) || isParamsMapping(b)) {
      const left = isParamsMapping(a) || isEmpty(a) ? flatOrNot(a) : undefined;
      const right = isParamsMapping(b) || isEmpty(b) ? flatOrNot(b) : undefined;
      const keys = new Set([...(left?.keys() ?? []), ...(right?.keys() ?? [])]);
      for (const key of keys) {
        const change = diffValues(
          left ? (left.get(key) ?? null) : 'unable to parse',
          right ? (right.get(key) ?? null) : 'unable to parse',
          all,
        );
        if (change) changes[key] = change;
      }
    } else {
      const change = diffValues(isEmpty(a) ? null : a, isEmpty(b) ? null : b, all);
      if (change) changes[''] = change;
    }
    if (Object.keys(changes).length > 0) result[file] = changes;
  }
  return result;
}

/** `dvc exp diff`: what changed between two revisions' metrics and params. */
export function diffExperiments(old: ExpData | null, current: ExpData | null, all = false): ExpDiff {
  return {
    metrics: diffFiles(old?.metrics ?? {}, current?.metrics ?? {}, all),
    params: diffFiles(old?.params ?? {}, current?.params ?? {}, all),
  };
}

/** DVC's `diff_table` rows: `[path, key, old, new, change]`, keys sorted within each file. */
export function diffRows(
  diff: Record<string, Record<string, ExpChange>>,
  precision: number | undefined,
): string[][] {
  const rows: string[][] = [];
  const cell = (value: unknown, fallback = '-'): string =>
    value === undefined || value === null ? fallback : formatField(value, precision);
  for (const [file, changes] of Object.entries(diff)) {
    for (const key of Object.keys(changes).sort(comparePythonStrings)) {
      const change = changes[key]!;
      rows.push([
        file,
        key,
        cell(change.old),
        cell(change.new),
        'diff' in change ? cell(change.diff) : 'diff not supported',
      ]);
    }
  }
  return rows;
}
