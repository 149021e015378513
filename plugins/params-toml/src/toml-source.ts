import { isStackOverflow, lineColumn, MAX_NESTING, nestingProblem } from '@tvc/core';
import { ParamsSyntaxError, type ParamsTree, type ParamsValue, PythonFloat } from '@tvc/params';
import { type AST, ParseError, parseTOML } from 'toml-eslint-parser';

// The TOML syntax tree, read as DVC reads it (tomlkit's `loads(text).unwrap()`), and an index of
// where each key, value and table sits in the text, for edits that splice only what they change.

/** Parses TOML 1.1 (tomlkit, DVC's reader, accepts it), or throws a {@link ParamsSyntaxError} with the place. */
export function parseToml(text: string, file: string): AST.TOMLProgram {
  const deep = nestingProblem(text);
  if (deep) {
    const { line, column } = lineColumn(text, deep.offset);
    throw new ParamsSyntaxError(`nesting deeper than ${MAX_NESTING} levels`, file, line, column);
  }
  try {
    return parseTOML(text, { tomlVersion: '1.1' });
  } catch (error) {
    if (isStackOverflow(error))
      throw new ParamsSyntaxError(`nesting deeper than ${MAX_NESTING} levels`, file);
    if (error instanceof ParseError) {
      const message = error.message.replace(/^./, (first) => first.toLowerCase());
      // The parser counts columns from 0; tvc's locations count from 1.
      throw new ParamsSyntaxError(
        `invalid TOML: ${message} (line ${error.lineNumber}, column ${error.column + 1})`,
        file,
        error.lineNumber,
        error.column + 1,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * A scalar's params value: an integral float (`1.0`, `2e3`, `-0.0`) is a {@link PythonFloat}; an
 * integer beyond 2^53 a bigint; a date, date-time or time a `Date` (tomlkit gives Python
 * `datetime`, `date` and `time` objects, which DVC can read but not hash into dvc.lock).
 */
function scalarValue(node: AST.TOMLValue): ParamsValue {
  switch (node.kind) {
    case 'integer': {
      const big = node.bigint;
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(big)
        : big;
    }
    case 'float':
      return Number.isInteger(node.value) ? new PythonFloat(node.value) : node.value;
    case 'offset-date-time':
    case 'local-date-time':
    case 'local-date':
    case 'local-time':
      return new Date(node.value.getTime());
    default:
      return node.value;
  }
}

/** The params value of a value node (a scalar, an array or an inline table). */
export function contentValue(node: AST.TOMLContentNode): ParamsValue {
  if (node.type === 'TOMLArray') return node.elements.map(contentValue);
  if (node.type === 'TOMLInlineTable') {
    const table: ParamsTree = {};
    for (const keyValue of node.body) assign(table, keyParts(keyValue.key), contentValue(keyValue.value));
    return table;
  }
  return scalarValue(node);
}

/** The parts of a (dotted) key, unquoted. */
export function keyParts(key: AST.TOMLKey): string[] {
  return key.keys.map((part) => (part.type === 'TOMLBare' ? part.name : part.value));
}

function child(node: ParamsValue | undefined, part: string | number): ParamsValue | undefined {
  if (Array.isArray(node)) return node[Number(part)];
  if (typeof node === 'object' && node !== null && Object.hasOwn(node, String(part))) {
    return (node as ParamsTree)[String(part)];
  }
  return undefined;
}

/**
 * Sets an own key: `[__proto__]` or `constructor.prototype` in a TOML file are ordinary keys (as
 * in tomlkit), never a way to reach or change `Object.prototype`.
 */
function setOwn(table: ParamsTree, key: string, value: ParamsValue): void {
  Object.defineProperty(table, key, { value, writable: true, enumerable: true, configurable: true });
}

/** The mapping at `path` under `root`, creating the mappings missing on the way. */
function mappingAt(root: ParamsTree, path: readonly (string | number)[]): ParamsTree {
  let node: ParamsTree = root;
  for (const part of path) {
    let next = child(node, part);
    if (next === undefined && !Array.isArray(node)) {
      next = {};
      setOwn(node, String(part), next);
    }
    node = next as ParamsTree;
  }
  return node;
}

function assign(table: ParamsTree, parts: readonly string[], value: ParamsValue): void {
  setOwn(mappingAt(table, parts.slice(0, -1)), parts[parts.length - 1]!, value);
}

/**
 * The params tree of a parsed document, keys in the order they were first defined (as tomlkit's
 * `unwrap()` gives them). The parser has already refused redefinitions.
 */
export function tomlTree(program: AST.TOMLProgram): ParamsTree {
  const root: ParamsTree = {};
  for (const item of program.body[0].body) {
    if (item.type === 'TOMLKeyValue') {
      assign(root, keyParts(item.key), contentValue(item.value));
      continue;
    }
    let table: ParamsTree;
    if (item.kind === 'array') {
      const parent = mappingAt(root, item.resolvedKey.slice(0, -2));
      const name = String(item.resolvedKey[item.resolvedKey.length - 2]);
      const list = (child(parent, name) ?? []) as ParamsValue[];
      setOwn(parent, name, list);
      table = {};
      list.push(table);
    } else {
      table = mappingAt(root, item.resolvedKey);
    }
    for (const keyValue of item.body) assign(table, keyParts(keyValue.key), contentValue(keyValue.value));
  }
  return root;
}

/** A place that holds key/value lines or entries: the top level, a `[table]`/`[[table]]`, or an inline table. */
export interface Section {
  /** The key path of the mapping the section defines (array-of-tables items by index). */
  readonly path: readonly string[];
  readonly body: readonly AST.TOMLKeyValue[];
  readonly table?: AST.TOMLTable;
  readonly inline?: AST.TOMLInlineTable;
}

/** A key/value pair with its full key path. */
export interface KeyValueEntry {
  readonly path: readonly string[];
  readonly node: AST.TOMLKeyValue;
  readonly section: Section;
}

/** Where everything in a parsed document sits. */
export interface TomlIndex {
  readonly program: AST.TOMLProgram;
  readonly tree: ParamsTree;
  /** The top level, every `[table]` and `[[table]]` item in text order, then the inline tables. */
  readonly sections: readonly Section[];
  /** Every key/value pair, inline tables' included, in text order. */
  readonly keyValues: readonly KeyValueEntry[];
  /** Value nodes (of key/value pairs and array items) by {@link pathKey}. */
  readonly values: ReadonlyMap<string, AST.TOMLContentNode>;
  /** The `[[table]]` items of each array of tables, by {@link pathKey}. */
  readonly arrayTables: ReadonlyMap<string, readonly AST.TOMLTable[]>;
}

/** A map key for a key path. */
export const pathKey = (path: readonly string[]): string => JSON.stringify(path);

/** Parses and indexes `text`. */
export function indexToml(text: string, file: string): TomlIndex {
  const program = parseToml(text, file);
  const sections: Section[] = [];
  const inlineSections: Section[] = [];
  const keyValues: KeyValueEntry[] = [];
  const values = new Map<string, AST.TOMLContentNode>();
  const arrayTables = new Map<string, AST.TOMLTable[]>();

  const visitValue = (node: AST.TOMLContentNode, path: readonly string[]): void => {
    values.set(pathKey(path), node);
    if (node.type === 'TOMLArray') {
      node.elements.forEach((element, index) => {
        visitValue(element, [...path, String(index)]);
      });
    } else if (node.type === 'TOMLInlineTable') {
      visitSection({ path, body: node.body, inline: node }, inlineSections);
    }
  };
  const visitSection = (section: Section, into: Section[]): void => {
    into.push(section);
    for (const keyValue of section.body) {
      const path = [...section.path, ...keyParts(keyValue.key)];
      keyValues.push({ path, node: keyValue, section });
      visitValue(keyValue.value, path);
    }
  };

  const top = program.body[0];
  visitSection({ path: [], body: top.body.filter((item) => item.type === 'TOMLKeyValue') }, sections);
  for (const item of top.body) {
    if (item.type !== 'TOMLTable') continue;
    const path = item.resolvedKey.map(String);
    if (item.kind === 'array') {
      const key = pathKey(path.slice(0, -1));
      arrayTables.set(key, [...(arrayTables.get(key) ?? []), item]);
    }
    visitSection({ path, body: item.body, table: item }, sections);
  }
  sections.push(...inlineSections);
  keyValues.sort((a, b) => a.node.range[0] - b.node.range[0]);
  return { program, tree: tomlTree(program), sections, keyValues, values, arrayTables };
}
