import { stat } from 'node:fs/promises';
import path from 'node:path';
import { type ParamsTree, pythonStr } from '@tvc/params';
import { TvcError } from '../errors';
import type { DefinitionsContext, StageDefinition } from '../hooks';
import { toPosix } from '../paths';
import type { Tvc } from '../tvc';
import { locate, type YamlPath } from '../yaml-source';
import {
  Context,
  ContextError,
  type ContextNode,
  DictNode,
  fileNode,
  inlineNode,
  isContextNode,
  KeyNotInContext,
  ListNode,
  nodeTypeName,
  plain,
  type TrackedVars,
  ValueNode,
} from './context';
import { findInterpolations, isExactInterpolation, parseExpression, unescapeBraces } from './expression';
import {
  type DictExpansionConfig,
  InterpolationError,
  isMapOrSeq,
  isMapping,
  isPrimitive,
  pythonTypeName,
  toText,
} from './format';

/**
 * Resolves one dvc.yaml's templating as DVC 3 does (`dvc/parsing/__init__.py`): the context from
 * `params.yaml` and `vars`, `${…}` in every stage, and the stages `foreach` and `matrix` generate.
 */

export const DEFAULT_VARS_FILE = 'params.yaml';
const GROUP_JOIN = '@';

/** Error codes of templating problems. */
export const TEMPLATING_ERROR = Object.freeze({
  VARS: 'TEMPLATING_VARS',
  SYNTAX: 'TEMPLATING_SYNTAX',
  MISSING_KEY: 'TEMPLATING_MISSING_KEY',
  TYPE: 'TEMPLATING_TYPE',
  ITERABLE: 'TEMPLATING_ITERABLE',
});

/** Whether a dvc.yaml needs the resolver at all: `vars`, `foreach`, `matrix`, or a `${` anywhere. */
export function needsResolution(
  definitions: readonly StageDefinition[],
  topLevelVars: unknown,
  topLevel?: Readonly<Record<string, unknown>>,
): boolean {
  if (Array.isArray(topLevelVars) && topLevelVars.length > 0) return true;
  if (topLevel && hasBrace(topLevel)) return true;
  return definitions.some(
    ({ definition }) =>
      'foreach' in definition || 'matrix' in definition || 'vars' in definition || hasBrace(definition),
  );
}

function hasBrace(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('${');
  if (Array.isArray(value)) return value.some(hasBrace);
  if (isMapping(value))
    return Object.entries(value).some(([key, item]) => key.includes('${') || hasBrace(item));
  return false;
}

/** A problem with where in the file it is; turned into a {@link TvcError} by the caller. */
class Located extends Error {
  constructor(
    readonly problem: Error,
    readonly at: YamlPath,
  ) {
    super(problem.message);
  }
}

export interface ResolverOptions {
  readonly tvc: Tvc;
  readonly context: DefinitionsContext;
  readonly config: DictExpansionConfig;
  /** Reads a vars file (absolute path); shared so that each file is read once. */
  readonly readVars: (absolute: string) => Promise<ParamsTree>;
}

/** Resolves the templating of one dvc.yaml. */
export class FileResolver {
  readonly #tvc: Tvc;
  readonly #context: DefinitionsContext;
  readonly #config: DictExpansionConfig;
  readonly #readVars: ResolverOptions['readVars'];
  readonly #relpath: string;
  readonly #dir: string;
  readonly #parsed = new Map<string, string>();

  constructor(options: ResolverOptions) {
    this.#tvc = options.tvc;
    this.#context = options.context;
    this.#config = options.config;
    this.#readVars = options.readVars;
    this.#relpath = options.context.request.repoPath;
    this.#dir = path.dirname(options.context.request.absolute);
  }

  /** Builds the file's context and expands every definition; problems go to `context.report`. */
  async resolve(definitions: readonly StageDefinition[], topLevelVars: unknown): Promise<StageDefinition[]> {
    const context = new Context();
    const vars = Array.isArray(topLevelVars) ? topLevelVars : [];
    if (vars.some((item, index) => this.#reportInterpolated(item, 'vars', ['vars', index]))) return [];
    try {
      await this.#loadVars(context, vars, this.#dir, undefined, true);
    } catch (error) {
      if (!(error instanceof Located)) throw error;
      this.#report(error, `failed to parse 'vars' in '${this.#relpath}':`, TEMPLATING_ERROR.VARS);
      return [];
    }
    const resolved: StageDefinition[] = [];
    for (const definition of definitions) {
      const body = definition.definition;
      try {
        if ('matrix' in body) resolved.push(...(await this.#matrix(context, definition)));
        else if ('foreach' in body) resolved.push(...(await this.#foreach(context, definition)));
        else {
          const entry = await this.#entry(context, definition.name, body, definition.path, false);
          if (entry) resolved.push(entry);
        }
      } catch (error) {
        if (!(error instanceof Reported)) throw error;
      }
    }
    if (this.#context.topLevel) this.#resolveTopLevel(context, this.#context.topLevel);
    return resolved;
  }

  /**
   * DVC's `TopDefinition`s: each entry of `params`, `metrics`, `plots`, `datasets`, and each
   * artifact (its name too), interpolated with the file's context, replaced in place.
   */
  #resolveTopLevel(context: Context, topLevel: Record<string, unknown>): void {
    for (const where of ['params', 'metrics', 'plots', 'datasets'] as const) {
      const entries = topLevel[where];
      if (!Array.isArray(entries) || !hasBrace(entries)) continue;
      const resolved: unknown[] = [];
      for (const [index, entry] of entries.entries()) {
        const at = [where, index];
        try {
          this.#checkExpressions(entry, at);
          resolved.push(this.#resolveValue(context, entry, undefined, true, false, at));
        } catch (error) {
          if (!(error instanceof Located)) throw error;
          this.#report(
            error,
            `failed to parse '${where}.${index}' in '${this.#relpath}':`,
            TEMPLATING_ERROR.SYNTAX,
            undefined,
            true,
          );
          resolved.push(entry);
        }
      }
      topLevel[where] = resolved;
    }
    const artifacts = topLevel.artifacts;
    if (isMapping(artifacts) && hasBrace(artifacts)) {
      const resolved: Record<string, unknown> = {};
      for (const [name, entry] of Object.entries(artifacts)) {
        const at = ['artifacts', name];
        try {
          this.#checkExpressions(name, at);
          const resolvedName = this.#resolveString(context, name, undefined, true, false, at);
          if (typeof resolvedName !== 'string') {
            this.#tvc.hooks.log.call({
              level: 'warn',
              message: `failed to resolve 'artifacts.${name}' in '${this.#relpath}': expected str, got ${pythonTypeName(resolvedName)}`,
              location: locate(this.#context.source, at, true),
            });
            continue;
          }
          this.#checkExpressions(entry, at);
          resolved[resolvedName] = this.#resolveValue(context, entry, undefined, true, false, at);
        } catch (error) {
          if (!(error instanceof Located)) throw error;
          this.#report(
            error,
            `failed to parse 'artifacts.${name}' in '${this.#relpath}':`,
            TEMPLATING_ERROR.SYNTAX,
            undefined,
            true,
          );
        }
      }
      topLevel.artifacts = resolved;
    }
  }

  /** DVC's `check_interpolations`: `vars` may not interpolate. Reports and says whether it did. */
  #reportInterpolated(value: unknown, where: string, at: YamlPath): boolean {
    const found = findInterpolated(value, at);
    if (!found) return false;
    this.#context.report(
      new TvcError(
        TEMPLATING_ERROR.VARS,
        `failed to parse '${where}' in '${this.#relpath}': interpolating is not allowed`,
        {
          location: locate(this.#context.source, found),
          hint: '`vars` are read before anything is interpolated: write the value itself',
        },
      ),
    );
    return true;
  }

  #report(error: Located, preamble: string, code: string, hint?: string, warn = false): void {
    const cause = error.problem;
    // DVC puts parse errors, clashes and double imports on a line of their own.
    const multiline =
      cause instanceof InterpolationError || (cause instanceof ContextError && cause.multiline);
    const message = `${preamble}${multiline ? '\n' : ' '}${cause.message}`;
    const location = locate(this.#context.source, error.at);
    // Top-level sections only matter to `metrics`/`plots`/`params show`, where DVC warns.
    if (warn) this.#tvc.hooks.log.call({ level: 'warn', message, location });
    else this.#context.report(new TvcError(code, message, { location, hint }));
  }

  // --- vars -----------------------------------------------------------------------------------

  async #loadVars(
    context: Context,
    vars: readonly unknown[],
    wdir: string,
    stageName: string | undefined,
    withDefault = false,
    at: YamlPath = ['vars'],
  ): Promise<void> {
    if (withDefault) {
      const absolute = path.join(wdir, DEFAULT_VARS_FILE);
      if (await exists(absolute)) await this.#mergeFrom(context, DEFAULT_VARS_FILE, wdir, at);
    }
    for (const [index, item] of vars.entries()) {
      if (typeof item === 'string') {
        await this.#mergeFrom(context, item, wdir, [...at, index]);
      } else {
        const source = `${stageName ? `${stageName}.` : ''}vars[${index}]`;
        try {
          context.merge(inlineNode(item as Record<string, unknown>, source));
        } catch (error) {
          throw new Located(error as Error, [...at, index]);
        }
      }
    }
  }

  /** DVC's `merge_from`: `path` or `path:key1,key2`, relative to `wdir`, imported once. */
  async #mergeFrom(context: Context, item: string, wdir: string, at: YamlPath): Promise<void> {
    const colon = item.indexOf(':');
    const file = colon < 0 ? item : item.slice(0, colon);
    const keys =
      colon < 0
        ? []
        : item
            .slice(colon + 1)
            .split(',')
            .filter(Boolean);
    const selectKeys = keys.length > 0 ? keys : null;
    const absolute = path.resolve(wdir, file);
    const display = toPosix(path.relative(this.#tvc.root, absolute));
    const fail = (message: string, multiline = false): never => {
      throw new Located(new ContextError(message, multiline), at);
    };
    const imported = context.imports.get(display);
    if (imported !== undefined) {
      if (selectKeys === null && imported === null) return;
      if (selectKeys === null && imported !== null)
        fail(`cannot load '${item}' as it's partially loaded already`, true);
      if (selectKeys !== null && imported === null)
        fail(`cannot partially load '${item}' as it's already loaded.`, true);
      if (imported?.some((key) => selectKeys?.includes(key)))
        fail(`cannot load '${item}' as it's partially loaded already`, true);
    }
    const info = await stat(absolute).catch(() => undefined);
    if (!info) fail(`'${display}' does not exist`);
    if (info?.isDirectory()) fail(`'${display}' is a directory`);
    let data: ParamsTree;
    try {
      data = await this.#readVars(absolute);
    } catch (error) {
      // opened without a preset (no params format at all): say which preset to pass
      if (error instanceof TvcError && error.code === 'PARAMS_FORMAT_UNKNOWN' && !this.#tvc.hasPresets)
        throw error;
      const message = error instanceof TvcError ? error.describe() : (error as Error).message;
      return fail(`unable to read '${display}': ${message}`);
    }
    if (!isMapping(data)) fail(`expected a dictionary, got '${pythonTypeName(data)}' in file '${display}'`);
    if (selectKeys) {
      const selected: ParamsTree = {};
      for (const key of selectKeys) {
        if (!Object.hasOwn(data, key)) fail(`could not find '${key}' in '${display}'`);
        selected[key] = data[key]!;
      }
      data = selected;
    }
    try {
      context.merge(fileNode(data, display));
    } catch (error) {
      const cause = error as ContextError;
      if (cause.message.startsWith('attempted to modify reserved')) fail(`${cause.message} in '${item}'`);
      throw new Located(cause, at);
    }
    if (imported === undefined) context.imports.set(display, selectKeys && [...selectKeys]);
    else if (selectKeys) imported?.push(...selectKeys);
  }

  // --- stages ---------------------------------------------------------------------------------

  /** DVC's `EntryDefinition.resolve_stage`. Returns undefined when a problem was reported. */
  async #entry(
    base: Context,
    name: string,
    template: Readonly<Record<string, unknown>>,
    at: YamlPath,
    generated: boolean,
    group?: string,
  ): Promise<StageDefinition | undefined> {
    if (!generated && !this.#checkSyntax(template, name, at)) return undefined;
    let context = base;
    let wdir = this.#dir;
    if (template.wdir) {
      try {
        const value = this.#resolveString(context, String(template.wdir), undefined, true, generated, [
          ...at,
          'wdir',
        ]);
        wdir = path.join(this.#dir, toText(value, this.#config));
      } catch (error) {
        this.#reportStage(error, name, 'wdir');
        return undefined;
      }
    }
    const vars = Array.isArray(template.vars) ? template.vars : [];
    if (
      vars.some((item, index) =>
        this.#reportInterpolated(item, `stages.${name}.vars`, [...at, 'vars', index]),
      )
    )
      return undefined;
    if (vars.length > 0) {
      context = base.clone();
      try {
        await this.#loadVars(context, vars, wdir, name, false, [...at, 'vars']);
      } catch (error) {
        if (!(error instanceof Located)) throw error;
        const alreadyLoaded =
          error.problem.message.includes('loaded already') ||
          error.problem.message.includes('already loaded.');
        this.#report(
          error,
          alreadyLoaded
            ? `failed to parse 'stages.${name}.vars' in '${this.#relpath}':`
            : `failed to parse stage '${name}' in '${this.#relpath}':`,
          TEMPLATING_ERROR.VARS,
        );
        return undefined;
      }
    }
    const stop = context.track();
    let trackedVars: TrackedVars;
    const resolved: Record<string, unknown> = {};
    try {
      for (const [key, value] of Object.entries(template)) {
        if (key === 'vars') continue;
        try {
          resolved[key] = this.#resolveValue(context, value, key, true, generated, [...at, key]);
        } catch (error) {
          this.#reportStage(error, name, key);
          return undefined;
        }
      }
    } finally {
      trackedVars = stop();
    }
    return {
      name,
      definition: resolved,
      path: at,
      ...(group === undefined ? {} : { group }),
      ...(Object.keys(trackedVars).length > 0 ? { trackedVars } : {}),
    };
  }

  #reportStage(error: unknown, name: string, key: string): void {
    if (!(error instanceof Located)) throw error;
    const code =
      error.problem instanceof KeyNotInContext
        ? TEMPLATING_ERROR.MISSING_KEY
        : error.problem.message.startsWith('Cannot interpolate')
          ? TEMPLATING_ERROR.TYPE
          : TEMPLATING_ERROR.SYNTAX;
    const hint =
      code === TEMPLATING_ERROR.MISSING_KEY
        ? `define it in ${DEFAULT_VARS_FILE} or in \`vars\` (top-level or the stage's)`
        : code === TEMPLATING_ERROR.TYPE
          ? 'only strings, numbers, booleans and null can be interpolated here (a mapping only in `cmd`)'
          : undefined;
    this.#report(error, `failed to parse 'stages.${name}.${key}' in '${this.#relpath}':`, code, hint);
  }

  /** DVC's `check_syntax_errors`: every expression of every key parses. */
  #checkSyntax(template: Readonly<Record<string, unknown>>, name: string, at: YamlPath): boolean {
    for (const [key, value] of Object.entries(template)) {
      try {
        this.#checkExpressions(value, [...at, key]);
      } catch (error) {
        this.#reportStage(error, name, key);
        return false;
      }
    }
    return true;
  }

  #checkExpressions(value: unknown, at: YamlPath): void {
    if (typeof value === 'string') {
      for (const found of findInterpolations(value)) this.#parse(found.inner, at);
    } else if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) this.#checkExpressions(item, [...at, index]);
    } else if (isMapping(value)) {
      for (const [key, item] of Object.entries(value)) {
        this.#checkExpressions(key, [...at, key]);
        this.#checkExpressions(item, [...at, key]);
      }
    }
  }

  #parse(inner: string, at: YamlPath): string {
    let parsed = this.#parsed.get(inner);
    if (parsed === undefined) {
      try {
        parsed = parseExpression(inner);
      } catch (error) {
        throw new Located(error as Error, at);
      }
      this.#parsed.set(inner, parsed);
    }
    return parsed;
  }

  /** DVC's `Context.resolve`: strings interpolated, lists and mappings (keys too) walked. */
  #resolveValue(
    context: Context,
    value: unknown,
    key: string | undefined,
    unwrap: boolean,
    generated: boolean,
    at: YamlPath,
  ): unknown {
    if (typeof value === 'string') return this.#resolveString(context, value, key, unwrap, generated, at);
    if (Array.isArray(value))
      return value.map((item, index) =>
        this.#resolveValue(context, item, key, unwrap, generated, [...at, index]),
      );
    if (isMapping(value)) {
      const result: Record<string, unknown> = {};
      for (const [name, item] of Object.entries(value)) {
        const resolvedName = this.#resolveString(context, name, key, true, generated, [...at, name]);
        result[typeof resolvedName === 'string' ? resolvedName : pythonStr(resolvedName)] =
          this.#resolveValue(context, item, key, unwrap, generated, [...at, name]);
      }
      return result;
    }
    return value;
  }

  /** DVC's `resolve_str`: a lone `${x}` keeps its type; otherwise each match becomes text. */
  #resolveString(
    context: Context,
    value: string,
    key: string | undefined,
    unwrap: boolean,
    generated: boolean,
    at: YamlPath,
  ): unknown {
    const found = findInterpolations(value);
    if (found.length === 0) return unescapeBraces(value);
    const select = (inner: string): ContextNode => {
      // DVC parses the expression once per template; a generated stage looks up the text as written.
      const expression = generated ? inner : this.#parse(inner, at);
      try {
        return context.select(generated ? inner : expression, generated ? inner : expression.trimStart());
      } catch (error) {
        throw new Located(error as Error, at);
      }
    };
    if (isExactInterpolation(value, found)) {
      const node = select(found[0]!.inner);
      const result = unwrap ? plain(node) : node;
      this.#validate(plain(node), key, at);
      return result;
    }
    let text = '';
    let index = 0;
    for (const match of found) {
      const selected = plain(select(match.inner));
      this.#validate(selected, key, at);
      try {
        text += value.slice(index, match.start) + toText(selected, this.#config);
      } catch (error) {
        throw new Located(error as Error, at);
      }
      index = match.end;
    }
    return unescapeBraces(text + value.slice(index));
  }

  /** DVC's `validate_value`: only primitives interpolate, except a mapping in `cmd`. */
  #validate(value: unknown, key: string | undefined, at: YamlPath): void {
    if (isPrimitive(value) || key === undefined || key.includes('foreach')) return;
    if (isMapping(value) && key === 'cmd') return;
    throw new Located(
      new InterpolationError(`Cannot interpolate data of type '${pythonTypeName(value)}'`),
      at,
    );
  }

  #warnOverwriting(context: Context, keys: readonly string[], group: string): void {
    const overwritten = keys.filter((key) => context.has(key));
    if (overwritten.length === 0) return;
    this.#tvc.hooks.log.call({
      level: 'warn',
      message: `${overwritten.join(' and ')} ${overwritten.length === 1 ? 'is' : 'are'} already specified, will be overwritten for stages generated from '${group}'`,
      location: locate(this.#context.source, ['stages', group], true),
    });
  }

  /** Resolves `foreach` or `matrix` data: a list or mapping, possibly `${…}` references. */
  #iterable(context: Context, definition: StageDefinition, keyword: 'foreach' | 'matrix'): unknown {
    const at = [...definition.path, keyword];
    const data = definition.definition[keyword];
    try {
      this.#checkExpressions(data, at);
      return this.#resolveValue(context, data, undefined, false, false, at);
    } catch (error) {
      if (!(error instanceof Located)) throw error;
      this.#report(
        error,
        `failed to parse 'stages.${definition.name}.${keyword}' in '${this.#relpath}':`,
        TEMPLATING_ERROR.SYNTAX,
      );
      throw new Reported();
    }
  }

  async #foreach(context: Context, definition: StageDefinition): Promise<StageDefinition[]> {
    const { name } = definition;
    const iterable = this.#iterable(context, definition, 'foreach');
    if (!isIterable(iterable)) {
      this.#context.report(
        new TvcError(
          TEMPLATING_ERROR.ITERABLE,
          `failed to resolve 'stages.${name}.foreach' in '${this.#relpath}': expected list/dictionary, got ${typeName(iterable)}`,
          {
            location: locate(this.#context.source, [...definition.path, 'foreach']),
            hint: 'foreach takes a list, a mapping, or a `${…}` naming one',
          },
        ),
      );
      return [];
    }
    const isDict = iterable instanceof DictNode || (!isContextNode(iterable) && isMapping(iterable));
    this.#warnOverwriting(context, isDict ? ['item', 'key'] : ['item'], name);
    const members = new Map<string, unknown>();
    if (isDict) {
      for (const [key, value] of entriesOf(iterable)) members.set(key, value);
    } else {
      const items = itemsOf(iterable);
      const composite = items.some(isComposite);
      items.forEach((item, index) => {
        members.set(composite ? String(index) : memberName(item), item);
      });
    }
    const template = (definition.definition.do ?? {}) as Record<string, unknown>;
    const at = [...definition.path, 'do'];
    if (!this.#checkSyntax(template, name, at)) return [];
    const generated: StageDefinition[] = [];
    for (const [key, item] of members) {
      const values: Record<string, unknown> = isDict ? { item, key } : { item };
      const entry = await context.withTemporarily(values, () =>
        this.#entry(context, `${name}${GROUP_JOIN}${key}`, template, at, true, name),
      );
      // One problem per group is enough: DVC stops at the first.
      if (!entry) return generated;
      generated.push(entry);
    }
    return generated;
  }

  async #matrix(context: Context, definition: StageDefinition): Promise<StageDefinition[]> {
    const { name } = definition;
    const resolved = this.#iterable(context, definition, 'matrix');
    this.#warnOverwriting(context, ['key', 'item'], name);
    const axes: [string, unknown[]][] = [];
    for (const [axis, values] of entriesOf(resolved)) {
      if (!(values instanceof ListNode || (!isContextNode(values) && Array.isArray(values)))) {
        this.#context.report(
          new TvcError(
            TEMPLATING_ERROR.ITERABLE,
            `failed to resolve 'stages.${name}.matrix.${axis}' in '${this.#relpath}': expected list, got ${typeName(values)}`,
            { location: locate(this.#context.source, [...definition.path, 'matrix', axis]) },
          ),
        );
        return [];
      }
      axes.push([axis, itemsOf(values)]);
    }
    const { matrix: _matrix, ...template } = definition.definition as Record<string, unknown>;
    if (!this.#checkSyntax(template, name, definition.path)) return [];
    const members = new Map<string, Record<string, unknown>>();
    const combine = (depth: number, fragments: string[], item: Record<string, unknown>): void => {
      if (depth === axes.length) {
        members.set(fragments.join('-'), { ...item });
        return;
      }
      const [axis, values] = axes[depth]!;
      values.forEach((value, index) => {
        item[axis] = value;
        fragments.push(isComposite(value) ? `${axis}${index}` : memberName(value));
        combine(depth + 1, fragments, item);
        fragments.pop();
      });
      delete item[axis];
    };
    if (axes.length > 0) combine(0, [], {});
    const generated: StageDefinition[] = [];
    for (const [key, item] of members) {
      const entry = await context.withTemporarily({ key, item }, () =>
        this.#entry(context, `${name}${GROUP_JOIN}${key}`, template, definition.path, true, name),
      );
      if (!entry) return generated;
      generated.push(entry);
    }
    return generated;
  }
}

/** Thrown past a definition whose problem was already reported. */
class Reported extends Error {}

function findInterpolated(value: unknown, at: YamlPath): YamlPath | undefined {
  if (typeof value === 'string') return findInterpolations(value).length > 0 ? at : undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findInterpolated(item, [...at, index]);
      if (found) return found;
    }
  } else if (isMapping(value)) {
    for (const [key, item] of Object.entries(value)) {
      const found = findInterpolated(key, [...at, key]) ?? findInterpolated(item, [...at, key]);
      if (found) return found;
    }
  }
  return undefined;
}

function isIterable(value: unknown): boolean {
  if (isContextNode(value)) return !(value instanceof ValueNode);
  return isMapOrSeq(value);
}

function isComposite(value: unknown): boolean {
  if (isContextNode(value)) return !(value instanceof ValueNode);
  return isMapOrSeq(value);
}

/**
 * A member's name: DVC's `to_str` of the value. A value that came from the context through
 * `${…}` is a node whose `str()` is Python's (`True`); a literal boolean is `true`.
 */
function memberName(value: unknown): string {
  if (value instanceof ValueNode) return pythonStr(value.value);
  return toText(value);
}

function typeName(value: unknown): string {
  return isContextNode(value) ? nodeTypeName(value) : pythonTypeName(value);
}

function entriesOf(value: unknown): [string, unknown][] {
  if (value instanceof DictNode) return [...value.entries];
  if (isMapping(value)) return Object.entries(value);
  return [];
}

function itemsOf(value: unknown): unknown[] {
  if (value instanceof ListNode) return value.items;
  return Array.isArray(value) ? value : [];
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
