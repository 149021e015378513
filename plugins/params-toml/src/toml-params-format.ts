import {
  applyEditsToTree,
  comparePythonStrings,
  isParamsMapping,
  type ParamsEdit,
  type ParamsFormat,
  ParamsSyntaxError,
  type ParamsTree,
  type ParamsValue,
  sameParams,
  writeEdits,
} from '@tvc/params';
import type { AST } from 'toml-eslint-parser';
import { renderKeyPath, renderValue } from './toml-render';
import { indexToml, parseToml, pathKey, type Section, type TomlIndex, tomlTree } from './toml-source';

// Every edit is made of small splices, and the text is parsed again after each one: a params file
// is small, and each splice then works from positions that are right.

const INDEX = /^\d+$/;

function lookup(tree: ParamsTree, path: readonly string[]): ParamsValue | undefined {
  let node: ParamsValue | undefined = tree;
  for (const part of path) {
    if (Array.isArray(node)) {
      node = INDEX.test(part) ? node[Number(part)] : undefined;
    } else if (isParamsMapping(node)) {
      node = Object.hasOwn(node, part) ? node[part] : undefined;
    } else {
      return undefined;
    }
  }
  return node;
}

const startsWith = (path: readonly string[], prefix: readonly string[]): boolean =>
  prefix.length <= path.length && prefix.every((part, index) => path[index] === part);

const samePath = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && startsWith(a, b);

const splice = (text: string, start: number, end: number, insert: string): string =>
  text.slice(0, start) + insert + text.slice(end);

const eolOf = (text: string): string => (text.includes('\r\n') ? '\r\n' : '\n');

const lineStart = (text: string, position: number): number => text.lastIndexOf('\n', position - 1) + 1;

/** The end of the line holding `position`, before its `\n` or `\r\n`. */
function lineEnd(text: string, position: number): number {
  const newline = text.indexOf('\n', position);
  if (newline === -1) return text.length;
  return text[newline - 1] === '\r' ? newline - 1 : newline;
}

/** The start of the next line after `position` (or the end of the text). */
function nextLine(text: string, position: number): number {
  const newline = text.indexOf('\n', position);
  return newline === -1 ? text.length : newline + 1;
}

const indentAt = (text: string, position: number): string =>
  /^[ \t]*/.exec(text.slice(lineStart(text, position), position))?.[0] ?? '';

/** `position` (a line start) moved up over the comment lines right above it: they belong to what follows. */
function commentBlockStart(text: string, position: number): number {
  let start = position;
  while (start > 0) {
    const previous = lineStart(text, start - 1);
    if (!/^[ \t]*#/.test(text.slice(previous, start))) break;
    start = previous;
  }
  return start;
}

/** The text between key and value (` = `) of the file's first key/value pair, for new pairs to match. */
function equalsOf(text: string, index: TomlIndex, section?: Section): string {
  const model =
    section?.body[section.body.length - 1] ?? index.keyValues.find((entry) => !entry.section.inline)?.node;
  return model ? text.slice(model.key.range[1], model.value.range[0]) : ' = ';
}

/** A `[table]` header's key for `path`: items of arrays of tables are not named by index. */
function headerKey(index: TomlIndex, path: readonly string[]): string {
  return renderKeyPath(path.filter((_, depth) => !index.arrayTables.has(pathKey(path.slice(0, depth)))));
}

function describe(path: readonly string[]): string {
  return path.join('.');
}

// ---------------------------------------------------------------------------------------------
// Removing

interface Span {
  readonly range: readonly [number, number];
}

/** Removes entry `doomed` of an array or inline table, with one separator, keeping the others' layout. */
function removeEntry(text: string, container: Span, entries: readonly Span[], doomed: number): string {
  // An entry on a line of its own (with its comma and comment) goes with its line.
  const entry = entries[doomed]!;
  const start = lineStart(text, entry.range[0]);
  const rest = text.slice(entry.range[1], lineEnd(text, entry.range[1]));
  if (
    start > container.range[0] &&
    /^[ \t]*$/.test(text.slice(start, entry.range[0])) &&
    /^[ \t]*,?[ \t]*(#.*)?$/.test(rest)
  ) {
    return splice(text, start, nextLine(text, entry.range[1]), '');
  }
  if (entries.length === 1) return splice(text, container.range[0] + 1, container.range[1] - 1, '');
  let out = '';
  entries.forEach((entry, index) => {
    if (index === doomed) return;
    if (out !== '') out += text.slice(entries[index - 1]!.range[1], entry.range[0]);
    out += text.slice(entry.range[0], entry.range[1]);
  });
  return splice(text, entries[0]!.range[0], entries[entries.length - 1]!.range[1], out);
}

/**
 * Removes the `[table]` (or `[[table]]` item) `table`, the comments right above it and the
 * sub-tables right after it under `prefix`.
 */
function removeSections(
  text: string,
  index: TomlIndex,
  table: AST.TOMLTable,
  prefix: readonly string[],
): string {
  // The comments right above the header go with it, unless they open the file.
  const header = lineStart(text, table.range[0]);
  const comments = commentBlockStart(text, header);
  let start = comments > 0 ? comments : header;
  const next = index.sections.find(
    (section) =>
      section.table && section.table.range[0] > table.range[0] && !startsWith(section.path, prefix),
  )?.table;
  const end = next ? commentBlockStart(text, lineStart(text, next.range[0])) : text.length;
  if (!next) {
    // The last table: the blank lines before it go too.
    while (start > 0 && /^\s*$/.test(text.slice(lineStart(text, start - 1), start))) {
      start = lineStart(text, start - 1);
    }
  }
  return splice(text, start, end, '');
}

/**
 * One removal towards deleting `path`: `undefined` when `path` is gone, `last` when this removal
 * deletes all of it (an array item: the next item takes its index).
 */
function removeOnce(
  text: string,
  file: string,
  path: readonly string[],
): { text: string; last: boolean } | undefined {
  const index = indexToml(text, file);
  if (lookup(index.tree, path) === undefined) return undefined;
  const once = (out: string) => ({ text: out, last: true });
  const partly = (out: string) => ({ text: out, last: false });
  const parentPath = path.slice(0, -1);
  const last = path[path.length - 1]!;

  const parentNode = index.values.get(pathKey(parentPath));
  if (parentNode?.type === 'TOMLArray') {
    return once(removeEntry(text, parentNode, parentNode.elements, Number(last)));
  }
  const items = index.arrayTables.get(pathKey(parentPath));
  if (items) return once(removeSections(text, index, items[Number(last)]!, path));

  const pair = index.keyValues.find((entry) => samePath(entry.path, path));
  if (pair) {
    const { inline } = pair.section;
    if (inline) return once(removeEntry(text, inline, inline.body, inline.body.indexOf(pair.node)));
    return once(splice(text, lineStart(text, pair.node.range[0]), nextLine(text, pair.node.range[1]), ''));
  }

  // A table: its [table] (and sub-tables), and the dotted keys that reach into it from outside.
  const section = index.sections.find((item) => item.table && startsWith(item.path, path));
  const dotted = index.keyValues.find(
    (entry) => startsWith(entry.path, path) && !startsWith(entry.section.path, path),
  );
  if (dotted && (!section?.table || dotted.node.range[0] < section.table.range[0])) {
    const { inline } = dotted.section;
    if (inline) return partly(removeEntry(text, inline, inline.body, inline.body.indexOf(dotted.node)));
    return partly(
      splice(text, lineStart(text, dotted.node.range[0]), nextLine(text, dotted.node.range[1]), ''),
    );
  }
  if (section?.table) return partly(removeSections(text, index, section.table, path));
  throw new Error(`params-toml: cannot find where '${describe(path)}' is written in ${file}`);
}

function deleteAt(text: string, file: string, path: readonly string[]): string {
  let current = text;
  for (;;) {
    const next = removeOnce(current, file, path);
    if (next === undefined) return current;
    if (next.text === current) throw new Error(`params-toml: cannot delete '${describe(path)}' in ${file}`);
    if (next.last) return next.text;
    current = next.text;
  }
}

// ---------------------------------------------------------------------------------------------
// Adding

/** A new `key = value` line in a top-level or `[table]` section, after `after` (default: its last pair). */
function insertLine(
  text: string,
  index: TomlIndex,
  section: Section,
  key: readonly string[],
  value: ParamsValue,
  after?: AST.TOMLKeyValue,
): string {
  const eol = eolOf(text);
  const anchor = after ?? section.body[section.body.length - 1];
  if (anchor) {
    const at = lineEnd(text, anchor.range[1]);
    const equals = text.slice(anchor.key.range[1], anchor.value.range[0]);
    const line = `${indentAt(text, anchor.range[0])}${renderKeyPath(key)}${equals}${renderValue(value)}`;
    return splice(text, at, at, eol + line);
  }
  const line = `${renderKeyPath(key)}${equalsOf(text, index)}${renderValue(value)}`;
  if (section.table) {
    const at = lineEnd(text, section.table.key.range[1]);
    return splice(text, at, at, eol + indentAt(text, section.table.range[0]) + line);
  }
  // An empty top level: before the first table (and the comments above it), or at the end.
  const first = index.sections.find((item) => item.table)?.table;
  if (first) {
    const at = commentBlockStart(text, lineStart(text, first.range[0]));
    return splice(text, at, at, line + eol + eol);
  }
  const before = text === '' || text.endsWith('\n') ? '' : eol;
  return text + before + line + eol;
}

/** The separator between two entries of an array or inline table, without its comments. */
const between = (text: string, before: Span, after: Span): string =>
  text.slice(before.range[1], after.range[0]).replace(/[ \t]*#[^\r\n]*/g, '');

/** A new entry at the end of an inline table. */
function insertInline(
  text: string,
  table: AST.TOMLInlineTable,
  key: readonly string[],
  value: ParamsValue,
): string {
  const body = table.body;
  const last = body[body.length - 1];
  const equals = last ? text.slice(last.key.range[1], last.value.range[0]) : ' = ';
  const entry = `${renderKeyPath(key)}${equals}${renderValue(value)}`;
  if (!last) return splice(text, table.range[0] + 1, table.range[1] - 1, ` ${entry} `);
  const separator = body.length >= 2 ? between(text, body[body.length - 2]!, last) : ', ';
  return splice(text, last.range[1], last.range[1], separator + entry);
}

/** A new item at the end of an array. */
function appendItem(text: string, array: AST.TOMLArray, value: ParamsValue): string {
  const items = array.elements;
  const last = items[items.length - 1];
  if (!last) return splice(text, array.range[0] + 1, array.range[1] - 1, renderValue(value));
  const separator = items.length >= 2 ? between(text, items[items.length - 2]!, last) : ', ';
  return splice(text, last.range[1], last.range[1], separator + renderValue(value));
}

/** A new `[[table]]` item after the last one (and its sub-tables). */
function appendTableItem(
  text: string,
  index: TomlIndex,
  path: readonly string[],
  items: readonly AST.TOMLTable[],
  value: ParamsValue,
): string {
  if (!isParamsMapping(value)) {
    throw new ParamsSyntaxError(
      `cannot add item ${items.length} to '${describe(path)}': an array of tables holds only tables`,
      '',
    );
  }
  const lastPath = [...path, String(items.length - 1)];
  const tables = index.sections.filter((section) => section.table && startsWith(section.path, lastPath));
  const end = lineEnd(text, tables[tables.length - 1]!.table!.range[1]);
  const eol = eolOf(text);
  const first = items[0]!;
  const indent = indentAt(text, first.range[0]);
  const model = first.body[0];
  const pairIndent = model ? indentAt(text, model.range[0]) : indent;
  const equals = model ? text.slice(model.key.range[1], model.value.range[0]) : equalsOf(text, index);
  let out = `${eol}${eol}${indent}[[${headerKey(index, path)}]]`;
  for (const [key, item] of Object.entries(value)) {
    out += `${eol}${pairIndent}${renderKeyPath([key])}${equals}${renderValue(item)}`;
  }
  return splice(text, end, end, out);
}

/** Sets `path`, which is missing, under its deepest existing table or array. */
function insert(text: string, index: TomlIndex, path: readonly string[], value: ParamsValue): string {
  let depth = path.length - 1;
  while (depth > 0 && lookup(index.tree, path.slice(0, depth)) === undefined) depth--;
  const parentPath = path.slice(0, depth);
  const parent = lookup(index.tree, parentPath);
  const rest = path.slice(depth);
  const nested = rest.slice(1).reduceRight<ParamsValue>((inner, key) => ({ [key]: inner }), value);

  if (Array.isArray(parent)) {
    const part = rest[0]!;
    // Only the next item can be added, and only as a whole (the edited tree makes no items on the way).
    if (!INDEX.test(part) || Number(part) !== parent.length || rest.length > 1) {
      throw new ParamsSyntaxError(`cannot set '${describe(path)}': there is no item '${part}'`, '');
    }
    const items = index.arrayTables.get(pathKey(parentPath));
    if (items) return appendTableItem(text, index, parentPath, items, nested);
    return appendItem(text, index.values.get(pathKey(parentPath)) as AST.TOMLArray, nested);
  }
  if (!isParamsMapping(parent)) {
    throw new ParamsSyntaxError(
      `cannot set '${describe(path)}': '${describe(parentPath)}' is not a table or an array`,
      '',
    );
  }
  const node = index.values.get(pathKey(parentPath));
  if (node?.type === 'TOMLInlineTable') return insertInline(text, node, rest, value);
  const section = index.sections.find((item) => !item.inline && samePath(item.path, parentPath));
  if (section) return insertLine(text, index, section, rest, value);

  // A table made by dotted keys (`a.b = 1`): next to its last pair, with the same dotted prefix.
  const dotted = index.keyValues.findLast(
    (entry) =>
      startsWith(entry.path, parentPath) &&
      entry.path.length > parentPath.length &&
      startsWith(parentPath, entry.section.path) &&
      entry.section.path.length < parentPath.length,
  );
  if (dotted) {
    const key = [...parentPath.slice(dotted.section.path.length), ...rest];
    const { inline } = dotted.section;
    if (inline) return insertInline(text, inline, key, value);
    return insertLine(text, index, dotted.section, key, value, dotted.node);
  }

  // A table that only its sub-tables' headers make (`[a.b]` makes `a`): a `[a]` above them.
  const first = index.sections.find(
    (item) => item.table && startsWith(item.path, parentPath) && item.path.length > parentPath.length,
  )?.table;
  if (!first) throw new Error(`params-toml: cannot find where '${describe(parentPath)}' is written`);
  const eol = eolOf(text);
  const at = commentBlockStart(text, lineStart(text, first.range[0]));
  const indent = indentAt(text, first.range[0]);
  const header = `${indent}[${headerKey(index, parentPath)}]${eol}`;
  const line = `${indent}${renderKeyPath(rest)}${equalsOf(text, index)}${renderValue(value)}${eol}${eol}`;
  return splice(text, at, at, header + line);
}

// ---------------------------------------------------------------------------------------------
// Setting

function setAt(text: string, file: string, path: readonly string[], value: ParamsValue): string {
  const index = indexToml(text, file);
  const current = lookup(index.tree, path);
  if (current === undefined) return insert(text, index, path, value);
  if (sameParams(current, value)) return text;

  const node = index.values.get(pathKey(path));
  const items = index.arrayTables.get(pathKey(path));
  if (isParamsMapping(current) && isParamsMapping(value) && (!node || node.type === 'TOMLInlineTable')) {
    // Table into table: key by key, so that the table keeps its layout (DVC merges the same way).
    let out = text;
    for (const key of Object.keys(current)) {
      if (!Object.hasOwn(value, key)) out = deleteAt(out, file, [...path, key]);
    }
    for (const [key, item] of Object.entries(value)) out = setAt(out, file, [...path, key], item);
    // A table that only dotted keys made is gone once they are: written anew, empty.
    const index = indexToml(out, file);
    return lookup(index.tree, path) === undefined ? insert(out, index, path, value) : out;
  }
  if (
    Array.isArray(current) &&
    Array.isArray(value) &&
    (items ? value.length > 0 && value.every((item) => isParamsMapping(item)) : node?.type === 'TOMLArray')
  ) {
    let out = text;
    for (let position = current.length - 1; position >= value.length; position--) {
      out = deleteAt(out, file, [...path, String(position)]);
    }
    value.forEach((item, position) => {
      out = setAt(out, file, [...path, String(position)], item);
    });
    return out;
  }
  if (node) {
    const literal =
      node.type === 'TOMLValue' && node.kind === 'string' && node.style === 'literal' && !node.multiline;
    return splice(text, node.range[0], node.range[1], renderValue(value, { literal }));
  }
  // A [table] or [[table]] that becomes something else: written anew as `key = value`.
  const cleared = deleteAt(text, file, path);
  return insert(cleared, indexToml(cleared, file), path, value);
}

// ---------------------------------------------------------------------------------------------

function readTree(text: string, file: string): ParamsTree {
  return tomlTree(parseToml(text, file));
}

/** A copy with every table's keys in one order: TOML fixes where a new key can go, not its order. */
function keysSorted(value: ParamsValue): ParamsValue {
  if (Array.isArray(value)) return value.map(keysSorted);
  if (!isParamsMapping(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort(comparePythonStrings)
      .map((key) => [key, keysSorted(value[key]!)]),
  );
}

function applyEdit(text: string, edit: ParamsEdit, file: string): string {
  if (edit.kind === 'set') return setAt(text, file, edit.path, edit.value);
  const before = readTree(text, file);
  const out = deleteAt(text, file, edit.path);
  // A table that only the deleted key made (`a.b = 1`, a lone `[[a]]`) is gone with it: it stays,
  // empty, as it does in the edited tree.
  const parent = edit.path.slice(0, -1);
  const wanted = lookup(applyEditsToTree(before, [edit]), parent);
  if (parent.length === 0 || wanted === undefined || lookup(readTree(out, file), parent) !== undefined)
    return out;
  return setAt(out, file, parent, wanted);
}

/** One edit, with the errors of the TOML layer given the file's name. */
function applyEditNamed(text: string, edit: ParamsEdit, file: string): string {
  try {
    return applyEdit(text, edit, file);
  } catch (error) {
    if (error instanceof ParamsSyntaxError && error.file === '') {
      throw new ParamsSyntaxError(error.message, file, undefined, undefined, { cause: error });
    }
    if (error instanceof TypeError) {
      throw new ParamsSyntaxError(
        `cannot set '${describe(edit.path)}': ${error.message}`,
        file,
        undefined,
        undefined,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}

const tomlEditor = { name: 'params-toml', read: readTree, applyEdit: applyEditNamed, normalize: keysSorted };

/**
 * TOML params as DVC reads them (tomlkit): `1.0` stays a float, big integers stay exact, dates are
 * `Date`s. Edits splice only the values they change: comments, key order, quoting and table
 * layout stay byte for byte.
 */
export const tomlParamsFormat: ParamsFormat = Object.freeze({
  specificationVersion: 'v1' as const,
  name: 'toml',
  extensions: Object.freeze(['.toml']),

  read(text: string, path: string): ParamsTree {
    return readTree(text, path);
  },

  write(text: string, edits: readonly ParamsEdit[], path: string): string {
    return writeEdits(text, edits, path, tomlEditor);
  },
});
