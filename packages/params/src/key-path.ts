import { isParamsMapping } from './python-float';
import type { ParamsTree, ParamsValue } from './types';

/** Splits a dotted params key (`train.optimizer.lr`) into its parts. */
export function splitKey(key: string): string[] {
  return key.split('.');
}

const isTree = (value: ParamsValue | undefined): value is ParamsTree => isParamsMapping(value);

/**
 * Looks up a dotted key in a params tree, as DVC does: each part indexes a mapping, or a list by
 * its decimal index. Returns `undefined` when any part is missing.
 */
export function getParam(tree: ParamsTree, key: string): ParamsValue | undefined {
  let current: ParamsValue | undefined = tree;
  for (const part of splitKey(key)) {
    if (isTree(current)) {
      if (!Object.hasOwn(current, part)) return undefined;
      current = current[part];
    } else if (Array.isArray(current) && /^\d+$/.test(part)) {
      current = current[Number(part)];
    } else {
      return undefined;
    }
  }
  return current;
}

/** Flattens a tree into dotted keys of its leaves (lists are leaves, as in `dvc params diff`). */
export function flattenParams(tree: ParamsTree, prefix = ''): Map<string, ParamsValue> {
  const flat = new Map<string, ParamsValue>();
  for (const [key, value] of Object.entries(tree)) {
    const full = prefix ? `${prefix}.${key}` : key;
    if (isTree(value) && Object.keys(value).length > 0) {
      for (const [k, v] of flattenParams(value, full)) flat.set(k, v);
    } else {
      flat.set(full, value);
    }
  }
  return flat;
}
