import { closest, distance } from 'fastest-levenshtein';
import { TvcError } from './errors';
import { locate, type YamlPath, type YamlSource } from './yaml-source';

/**
 * The shape of DVC's files, checked against the YAML tree so that every problem is reported at
 * once with its line and column. (A JSON-schema or zod validator reports paths, not positions,
 * and turns DVC's "string or mapping" unions into unreadable messages; this one is small and
 * says what DVC users need to hear.)
 */
export type Shape =
  | { readonly type: 'string' }
  | { readonly type: 'boolean' }
  | { readonly type: 'any' }
  | { readonly type: 'list'; readonly item: Shape }
  | { readonly type: 'dict'; readonly value: Shape }
  | {
      readonly type: 'object';
      /** What the object is, for messages: `stage 'train'`. A function gets the path. */
      readonly what: string | ((path: YamlPath) => string);
      readonly keys: Readonly<Record<string, Shape>>;
      readonly required?: readonly string[];
    }
  | { readonly type: 'either'; readonly describe: string; readonly options: readonly Shape[] }
  | { readonly type: 'nullable'; readonly shape: Shape };

export const string: Shape = { type: 'string' };
export const boolean: Shape = { type: 'boolean' };
export const anything: Shape = { type: 'any' };
export const listOf = (item: Shape): Shape => ({ type: 'list', item });
export const dictOf = (value: Shape): Shape => ({ type: 'dict', value });
export const nullable = (shape: Shape): Shape => ({ type: 'nullable', shape });
export const either = (describe: string, ...options: Shape[]): Shape => ({
  type: 'either',
  describe,
  options,
});

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'boolean') return 'a boolean';
  if (typeof value === 'number') return 'a number';
  return typeof value;
}

function describeShape(shape: Shape): string {
  switch (shape.type) {
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'any':
      return 'anything';
    case 'list':
      return 'a list';
    case 'dict':
    case 'object':
      return 'a mapping';
    case 'either':
      return shape.describe;
    case 'nullable':
      return `${describeShape(shape.shape)} or empty`;
  }
}

function matches(shape: Shape, value: unknown): boolean {
  switch (shape.type) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'any':
      return true;
    case 'list':
      return Array.isArray(value);
    case 'dict':
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'either':
      return shape.options.some((option) => matches(option, value));
    case 'nullable':
      return value === null || matches(shape.shape, value);
  }
}

/** A suggestion for a mistyped key: the closest known key, when it is close enough. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const candidate = closest(key, [...known]);
  const limit = Math.max(1, Math.floor(Math.max(key.length, candidate.length) / 3));
  return distance(key, candidate) <= limit ? candidate : undefined;
}

function label(path: YamlPath): string {
  return path.length === 0 ? 'the file' : `'${path.join('.')}'`;
}

/** Checks `value` (found at `path` in `source`) against `shape`, adding a problem for each mismatch. */
export function validate(
  source: YamlSource,
  shape: Shape,
  value: unknown,
  path: YamlPath,
  problems: TvcError[],
): void {
  if (shape.type === 'nullable') {
    if (value !== null && value !== undefined) validate(source, shape.shape, value, path, problems);
    return;
  }
  if (shape.type === 'either') {
    const option = shape.options.find((candidate) => matches(candidate, value));
    if (option) validate(source, option, value, path, problems);
    else problems.push(mismatch(source, path, shape, value));
    return;
  }
  if (!matches(shape, value)) {
    problems.push(mismatch(source, path, shape, value));
    return;
  }
  if (shape.type === 'list') {
    (value as unknown[]).forEach((item, index) => {
      validate(source, shape.item, item, [...path, index], problems);
    });
  } else if (shape.type === 'dict') {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      validate(source, shape.value, item, [...path, key], problems);
    }
  } else if (shape.type === 'object') {
    const record = value as Record<string, unknown>;
    const what = typeof shape.what === 'function' ? shape.what(path) : shape.what;
    const known = Object.keys(shape.keys);
    for (const [key, item] of Object.entries(record)) {
      const keyShape = shape.keys[key];
      if (keyShape === undefined) {
        const suggestion = suggest(key, known);
        problems.push(
          new TvcError(
            'UNKNOWN_KEY',
            `unknown key '${key}' in ${what}${suggestion ? ` — did you mean '${suggestion}'?` : ''}`,
            {
              location: locate(source, [...path, key], true),
              hint: `allowed keys: ${known.join(', ')}`,
            },
          ),
        );
      } else {
        validate(source, keyShape, item, [...path, key], problems);
      }
    }
    for (const key of shape.required ?? []) {
      if (!(key in record)) {
        problems.push(
          new TvcError('MISSING_KEY', `${what} has no '${key}'`, {
            // The stage's name for a stage; the mapping itself for a list item.
            location: locate(source, path, typeof path[path.length - 1] === 'string'),
            hint: `add '${key}:' to ${what}`,
          }),
        );
      }
    }
  }
}

function mismatch(source: YamlSource, path: YamlPath, shape: Shape, value: unknown): TvcError {
  return new TvcError(
    'INVALID_VALUE',
    `${label(path)} must be ${describeShape(shape)}, not ${typeName(value)}`,
    { location: locate(source, path) },
  );
}
