import { applyEditsToTree } from './edit-tree';
import { ParamsOverrideError } from './override-error';
import { isSweep, type OverrideElement } from './override-grammar';
import { describeValue, type Override, overrideValue } from './overrides';
import { isParamsMapping, paramsEqual, sameParams } from './python-float';
import type { ParamsEdit, ParamsTree, ParamsValue } from './types';

// What DVC does with `-S` overrides on a params file (dvc/utils/hydra.py, `apply_overrides`): the
// file's tree goes into an OmegaConf config in struct mode, Hydra applies each override to it
// (`ConfigLoaderImpl._apply_overrides_to_config`, `OmegaConf.update(…, merge=True)`), and the result
// is merged back into the file. tvc follows the same rules on its own tree, then turns the
// difference into the smallest edits, which the params formats write without touching the rest.

/** What overrides do to a params tree. */
export interface AppliedOverrides {
  /** The tree after the overrides, keys in the file's order (new keys last). */
  readonly tree: ParamsTree;
  /** The edits that turn the file into `tree`, for the format's `write`. */
  readonly edits: readonly ParamsEdit[];
}

type Container = ParamsTree | ParamsValue[];

const isTree = (value: unknown): value is ParamsTree => isParamsMapping(value);
const isContainer = (value: unknown): value is Container => Array.isArray(value) || isTree(value);

function clone(value: ParamsValue): ParamsValue {
  if (Array.isArray(value)) return value.map(clone);
  if (isTree(value))
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, clone(item)]));
  return value;
}

/** A child of a mapping or list, or `undefined` (OmegaConf's `select` of one key). */
function child(node: ParamsValue | undefined, part: string, override: Override): ParamsValue | undefined {
  if (Array.isArray(node)) {
    if (!/^\d+$/.test(part)) throw typeError(override, `'${part}' is not a list index`);
    return node[Number(part)];
  }
  if (isTree(node)) return Object.hasOwn(node, part) ? node[part] : undefined;
  return undefined;
}

function select(tree: ParamsTree, path: readonly string[], override: Override): ParamsValue | undefined {
  let node: ParamsValue | undefined = tree;
  for (const part of path) {
    if (!isContainer(node)) return undefined;
    node = child(node, part, override);
  }
  return node;
}

function typeError(override: Override, reason: string): ParamsOverrideError {
  return new ParamsOverrideError('OVERRIDE_TYPE', `Error merging override ${override.text}: ${reason}`, {
    override: override.text,
    file: override.file,
  });
}

function missingError(override: Override): ParamsOverrideError {
  return new ParamsOverrideError(
    'OVERRIDE_KEY_MISSING',
    `Could not override '${override.key}' in '${override.file}': it has no such key. To append to your config use +${override.text}`,
    { override: override.text, file: override.file },
  );
}

/** Sets `key` of a container, as OmegaConf's `__setattr__`/`__setitem__` in struct mode. */
function put(node: Container, part: string, value: ParamsValue, force: boolean, override: Override): void {
  if (Array.isArray(node)) {
    if (!/^\d+$/.test(part)) throw typeError(override, `'${part}' is not a list index`);
    const index = Number(part);
    if (index >= node.length) throw typeError(override, 'list index out of range');
    node[index] = value;
    return;
  }
  if (!force && !Object.hasOwn(node, part)) throw missingError(override);
  node[part] = value;
}

/** OmegaConf's `merge_with` of a dict or list value into the container already at the key. */
function merge(target: Container, value: ParamsValue, force: boolean, override: Override): void {
  if (Array.isArray(target)) {
    if (!Array.isArray(value)) throw typeError(override, 'cannot merge a dict into a list');
    target.splice(0, target.length, ...value.map(clone));
    return;
  }
  if (!isTree(value)) throw typeError(override, 'cannot merge a list into a dict');
  for (const [key, item] of Object.entries(value)) {
    const existing = Object.hasOwn(target, key) ? target[key] : undefined;
    if (existing === undefined && !force) throw missingError(override);
    if (isTree(existing) && isTree(item)) merge(existing, item, force, override);
    else target[key] = clone(item);
  }
}

/** `OmegaConf.update(cfg, key, value, merge=True, force_add=force)`. */
function update(tree: ParamsTree, override: Override, value: ParamsValue, force: boolean): void {
  const path = override.path;
  let node: Container = tree;
  for (const part of path.slice(0, -1)) {
    let next = child(node, part, override);
    if (!isContainer(next)) {
      // A scalar (or nothing) on the way becomes an empty mapping.
      put(node, part, {}, force, override);
      next = child(node, part, override);
    }
    node = next as Container;
  }
  const last = path.at(-1)!;
  if (isContainer(value)) {
    const existing = child(node, last, override);
    if (Array.isArray(node) && Number(last) >= node.length)
      throw typeError(override, 'list index out of range');
    if (isContainer(existing)) {
      merge(existing, value, force, override);
      return;
    }
  }
  put(node, last, clone(value), force, override);
}

function applyOne(tree: ParamsTree, override: Override): void {
  if (override.package !== undefined) {
    throw new ParamsOverrideError(
      'OVERRIDE_TYPE',
      `Override ${override.text} looks like a config group override, but config group '${override.key}' does not exist.`,
      { override: override.text, file: override.file },
    );
  }
  if (isSweep(override.value)) {
    throw new ParamsOverrideError('OVERRIDE_SWEEP', "Sweep overrides can't be used without `--queue`", {
      override: override.text,
      file: override.file,
    });
  }
  const value = override.value === undefined ? undefined : overrideValue(override.value as OverrideElement);
  if (override.key === '') {
    throw new ParamsOverrideError(
      override.kind === 'change' ? 'OVERRIDE_KEY_MISSING' : 'OVERRIDE_KEY_EXISTS',
      `Could not apply '${override.text}': the override names no key`,
      { override: override.text, file: override.file },
    );
  }
  switch (override.kind) {
    case 'delete': {
      const current = select(tree, override.path, override);
      if (current === undefined || current === null) {
        throw new ParamsOverrideError(
          'OVERRIDE_DELETE',
          `Could not delete from config. '${override.key}' does not exist in '${override.file}'.`,
          { override: override.text, file: override.file },
        );
      }
      if (value !== undefined && value !== null && !paramsEqual(value, current)) {
        throw new ParamsOverrideError(
          'OVERRIDE_DELETE',
          `Could not delete from config. The value of '${override.key}' is ${describeValue(current)} and not ${describeValue(value)}.`,
          { override: override.text, file: override.file },
        );
      }
      const parent = select(tree, override.path.slice(0, -1), override);
      if (Array.isArray(parent)) {
        throw typeError(override, 'a list item cannot be deleted (DVC refuses it too); set the whole list');
      }
      delete (parent as ParamsTree)[override.path.at(-1)!];
      return;
    }
    case 'add': {
      const current = select(tree, override.path, override);
      if (current !== undefined && current !== null && !isContainer(value)) {
        throw new ParamsOverrideError(
          'OVERRIDE_KEY_EXISTS',
          `Could not append to config. An item is already at '${override.key}' in '${override.file}'. Either remove + prefix: '${override.text.slice(1)}' or add a second + to add or override '${override.key}': '+${override.text}'`,
          { override: override.text, file: override.file },
        );
      }
      update(tree, override, value!, true);
      return;
    }
    case 'forceAdd':
      update(tree, override, value!, true);
      return;
    default:
      update(tree, override, value!, false);
  }
}

/** The value at `path` of `tree`, for resolving `${…}`. */
function lookup(tree: ParamsTree, path: readonly string[]): ParamsValue | undefined {
  let node: ParamsValue | undefined = tree;
  for (const part of path) {
    if (Array.isArray(node) && /^\d+$/.test(part)) node = node[Number(part)];
    else if (isTree(node) && Object.hasOwn(node, part)) node = node[part];
    else return undefined;
  }
  return node;
}

const INTERPOLATION = /\$\{([^}]*)\}/g;

/**
 * OmegaConf resolves `${key}` interpolations when DVC turns the config back into data: a value
 * that is one interpolation takes the referenced value (with its type), one with text around it
 * becomes a string. tvc resolves them in the values the overrides wrote (DVC also resolves those
 * already in the file; tvc leaves the file's own text alone). `${oc.env:NAME}` reads the environment.
 */
function resolve(
  value: ParamsValue,
  tree: ParamsTree,
  override: Override | undefined,
  seen: string[] = [],
): ParamsValue {
  if (Array.isArray(value)) return value.map((item) => resolve(item, tree, override, seen));
  if (isTree(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolve(item, tree, override, seen)]),
    );
  }
  if (typeof value !== 'string' || !value.includes('${')) return value;
  const target = (expression: string): ParamsValue => {
    const reference = expression.trim();
    const env = /^oc\.env:([^,]+)(?:,(.*))?$/.exec(reference);
    if (env) {
      const found = process.env[env[1]!.trim()];
      if (found !== undefined) return found;
      if (env[2] !== undefined) return env[2].trim();
      throw interpolationError(override, `environment variable '${env[1]}' not found`);
    }
    if (seen.includes(reference)) throw interpolationError(override, 'Recursive interpolation detected');
    const found = lookup(tree, reference.split('.'));
    if (found === undefined) throw interpolationError(override, `interpolation key '${reference}' not found`);
    return resolve(found, tree, override, [...seen, reference]);
  };
  const whole = /^\$\{([^}]*)\}$/.exec(value);
  if (whole) return target(whole[1]!);
  return value.replace(INTERPOLATION, (_, expression: string) => describeValue(target(expression)));
}

function interpolationError(override: Override | undefined, reason: string): ParamsOverrideError {
  return new ParamsOverrideError('OVERRIDE_TYPE', `cannot resolve interpolation: ${reason}`, {
    override: override?.text ?? '',
    file: override?.file,
  });
}

/** The edits from `before` to `after`: changed leaves, deleted keys, added keys; a list whose length changed is set whole. */
function diff(before: ParamsValue, after: ParamsValue, path: string[], edits: ParamsEdit[]): void {
  if (isTree(before) && isTree(after)) {
    for (const key of Object.keys(before)) {
      if (!Object.hasOwn(after, key)) edits.push({ kind: 'delete', path: [...path, key] });
    }
    for (const [key, value] of Object.entries(after)) {
      if (Object.hasOwn(before, key)) diff(before[key]!, value, [...path, key], edits);
      else edits.push({ kind: 'set', path: [...path, key], value });
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    after.forEach((value, index) => {
      diff(before[index]!, value, [...path, String(index)], edits);
    });
    return;
  }
  if (!sameParams(before, after)) edits.push({ kind: 'set', path, value: after });
}

/**
 * Applies overrides (all for one file) to its tree, with DVC's rules: `key=v` needs the key,
 * `+key=v` needs it absent (or null), `++key=v` does either, `~key[=v]` deletes; a dict value
 * merges into a dict already there; a list index addresses an existing item. Throws a
 * {@link ParamsOverrideError} naming the override that cannot apply; nothing is changed then.
 */
export function applyOverrides(tree: ParamsTree, overrides: readonly Override[]): AppliedOverrides {
  const working = clone(tree) as ParamsTree;
  for (const override of overrides) applyOne(working, override);
  const edits: ParamsEdit[] = [];
  diff(tree, working, [], edits);
  const resolved = edits.map((edit) => {
    if (edit.kind !== 'set') return edit;
    const override = overrides.findLast((candidate) => edit.path.join('.').startsWith(candidate.key));
    return { ...edit, value: resolve(edit.value, working, override) };
  });
  return { tree: applyEditsToTree(tree, resolved), edits: resolved };
}
