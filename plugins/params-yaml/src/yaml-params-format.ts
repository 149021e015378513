import {
  fastDvcYamlValue,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDvcYaml,
  resolvePlainScalarTag,
  TvcError,
} from '@tvc/core';
import {
  isParamsMapping,
  type ParamsEdit,
  type ParamsFormat,
  ParamsSyntaxError,
  type ParamsTree,
  type ParamsValue,
  PythonFloat,
  pythonFloatRepr,
  pythonTruthy,
  writeEdits,
} from '@tvc/params';
import type { Node, Pair, YAMLMap, YAMLSeq } from 'yaml';

/** Parses params YAML as DVC does, or throws a {@link ParamsSyntaxError} with the place. */
function parse(text: string, file: string) {
  try {
    return parseDvcYaml(text, file);
  } catch (error) {
    if (error instanceof TvcError) {
      const first = 'problems' in error ? ((error as { problems: TvcError[] }).problems[0] ?? error) : error;
      const message = first.message.replace(/^malformed YAML: /, '');
      throw new ParamsSyntaxError(message, file, first.location?.line, first.location?.column, {
        cause: error,
      });
    }
    throw error;
  }
}

const isTree = (value: unknown): value is ParamsTree => isParamsMapping(value);

/**
 * DVC's `yaml.load(text) or {}`: an empty document (or an empty or false top-level value) is an
 * empty params file; anything else but a mapping cannot be a params file.
 */
function readTree(text: string, file: string): ParamsTree {
  // The fast reader gives the same values; the positional parser (and the `yaml` package it
  // loads) is needed only for what it declines: tags, merge keys, timestamps and errors.
  const value = fastDvcYamlValue(text) ?? parse(text, file).value;
  if (value === undefined || !pythonTruthy(value)) return {};
  if (!isTree(value)) throw new ParamsSyntaxError('expected a mapping at the top level', file, 1, 1);
  return value;
}

// ─── Rendering values as YAML text ───────────────────────────────────────────────────────────────

const PLAIN_UNSAFE = /^[\s\-?:,[\]{}#&*!|>'"%@`]|\s$|: |:$| #/;
const SPECIAL = /[\0-\x1f\x7f\x85\u2028\u2029\ufeff]/;
const FLOW_UNSAFE = /[,[\]{}]/;

/** A double-quoted YAML scalar, escaping what YAML cannot hold as it is. */
function doubleQuoted(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\t') out += '\\t';
    else if (
      code < 0x20 ||
      code === 0x7f ||
      code === 0x85 ||
      code === 0xfeff ||
      code === 0x2028 ||
      code === 0x2029
    ) {
      out +=
        code <= 0xff
          ? `\\x${code.toString(16).padStart(2, '0')}`
          : `\\u${code.toString(16).padStart(4, '0')}`;
    } else out += char;
  }
  return `${out}"`;
}

/** A string as a YAML scalar: plain when it reads back as the same string, else quoted (in `style` if given). */
function renderString(text: string, flow: boolean, style?: 'single' | 'double'): string {
  if (style === 'double' || SPECIAL.test(text)) return doubleQuoted(text);
  const plain =
    text !== '' &&
    !PLAIN_UNSAFE.test(text) &&
    !(flow && FLOW_UNSAFE.test(text)) &&
    !text.startsWith('---') &&
    !text.startsWith('...') &&
    resolvePlainScalarTag(text) === 'str';
  if (style === 'single' || !plain) return `'${text.replaceAll("'", "''")}'`;
  return text;
}

function renderFloat(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (value === Number.POSITIVE_INFINITY) return '.inf';
  if (value === Number.NEGATIVE_INFINITY) return '-.inf';
  return pythonFloatRepr(value);
}

function renderScalar(value: ParamsValue, flow: boolean, style?: 'single' | 'double'): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number')
    return Number.isInteger(value) ? BigInt(value).toString() : renderFloat(value);
  if (value instanceof PythonFloat) return renderFloat(value.value);
  if (typeof value === 'string') return renderString(value, flow, style);
  if (value instanceof Date) return value.toISOString().replace(/T00:00:00\.000Z$/, '');
  throw new TypeError('not a scalar');
}

const isCollection = (value: ParamsValue): value is ParamsValue[] | ParamsTree =>
  Array.isArray(value) || isTree(value);

/** A value on one line: scalars as they are, collections in flow style (`[1, 2]`, `{a: 1}`). */
function renderInline(value: ParamsValue, style?: 'single' | 'double', flow = false): string {
  if (Array.isArray(value)) return `[${value.map((item) => renderFlow(item)).join(', ')}]`;
  if (isTree(value)) {
    return `{${Object.entries(value)
      .map(([key, item]) => `${renderString(key, true)}: ${renderFlow(item)}`)
      .join(', ')}}`;
  }
  return renderScalar(value, flow, style);
}

function renderFlow(value: ParamsValue): string {
  return isCollection(value) ? renderInline(value) : renderScalar(value, true);
}

/** `key: value` lines for a new key at `indent`: non-empty mappings as nested blocks, the rest inline. */
function renderPair(key: string, value: ParamsValue, indent: string, unit: string): string {
  const head = `${indent}${renderString(key, false)}:`;
  if (isTree(value) && Object.keys(value).length > 0) {
    return [head, ...Object.entries(value).map(([k, v]) => renderPair(k, v, indent + unit, unit))].join('\n');
  }
  return `${head} ${renderInline(value)}`;
}

// ─── Locating nodes in the text ──────────────────────────────────────────────────────────────────

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The end of the line holding `offset` (before its `\n` or `\r\n`). */
function lineEnd(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  if (end === -1) return text.length;
  return end > 0 && text[end - 1] === '\r' ? end - 1 : end;
}

/** The file's line ending. */
function eol(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** Where a node's own text ends: without trailing comments, blank lines or a block scalar's last newline. */
function contentEnd(node: Node, text: string): number {
  if (isMap(node) && !node.flow && node.items.length > 0) {
    const last = node.items[node.items.length - 1]!;
    return contentEnd((last.value ?? last.key) as Node, text);
  }
  if (isSeq(node) && !node.flow && node.items.length > 0) {
    return contentEnd(node.items[node.items.length - 1] as Node, text);
  }
  let end = node.range![1];
  while (end > node.range![0] && (text[end - 1] === '\n' || text[end - 1] === '\r')) end--;
  return end;
}

function column(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}

/** The indentation unit of the file (the first nested mapping's step), two spaces by default. */
function indentUnit(root: Node | null, text: string): string {
  const visit = (node: unknown, parentColumn: number): number | undefined => {
    if (isMap(node) && !node.flow) {
      const first = node.items[0]?.key as Node | undefined;
      if (!first?.range) return undefined;
      const own = column(text, first.range[0]);
      if (parentColumn >= 0 && own > parentColumn) return own - parentColumn;
      for (const pair of node.items) {
        const found = visit(pair.value, own);
        if (found) return found;
      }
    }
    return undefined;
  };
  const found = visit(root, -1);
  return ' '.repeat(found ?? 2);
}

interface Splice {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

function applySplice(text: string, splice: Splice): string {
  return text.slice(0, splice.start) + splice.text + text.slice(splice.end);
}

const INDEX = /^\d+$/;

function childOf(node: Node, part: string): { pair?: Pair; node: Node | null; index: number } | undefined {
  if (isMap(node)) {
    const items = node.items as Pair<Node, Node | null>[];
    for (let index = items.length - 1; index >= 0; index--) {
      const pair = items[index]!;
      if (isScalar(pair.key) && String(pair.key.value) === part) return { pair, node: pair.value, index };
    }
    return undefined;
  }
  if (isSeq(node) && INDEX.test(part)) {
    const index = Number(part);
    if (index < node.items.length) return { node: node.items[index] as Node, index };
  }
  return undefined;
}

function describe(path: readonly string[]): string {
  return path.join('.');
}

/** One `set`: the splice that makes the text hold `value` at `path`. */
function setSplice(
  text: string,
  root: Node | null,
  path: readonly string[],
  value: ParamsValue,
  file: string,
): Splice {
  const unit = indentUnit(root, text);
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
    // An empty file: the new keys are the whole document.
    const [first, ...rest] = path as [string, ...string[]];
    const nested = rest.reduceRight<ParamsValue>((inner, key) => ({ [key]: inner }), value);
    const prefix = text === '' || text.endsWith('\n') ? text : text + eol(text);
    const lines = renderPair(first, nested, '', unit).replaceAll('\n', eol(text));
    return { start: 0, end: text.length, text: `${prefix}${lines}${eol(text)}` };
  }
  let node: Node = root;
  let owner: Pair | undefined;
  for (let depth = 0; depth < path.length; depth++) {
    const part = path[depth]!;
    const child = childOf(node, part);
    if (!child) {
      const nested = path
        .slice(depth + 1)
        .reduceRight<ParamsValue>((inner, key) => ({ [key]: inner }), value);
      return insertSplice(text, node, part, nested, unit, path.slice(0, depth), file);
    }
    if (depth === path.length - 1) {
      return replaceSplice(text, child.node, child.pair ?? owner, value, node);
    }
    if (child.node === null || !(isMap(child.node) || isSeq(child.node))) {
      throw new ParamsSyntaxError(
        `cannot set '${describe(path)}': '${describe(path.slice(0, depth + 1))}' is not a mapping or a list`,
        file,
      );
    }
    owner = child.pair;
    node = child.node;
  }
  throw new Error('unreachable');
}

/** Replaces the value node of a pair or list item with `value`, on the same line where it can. */
function replaceSplice(
  text: string,
  node: Node | null,
  pair: Pair | undefined,
  value: ParamsValue,
  parent: Node,
): Splice {
  const style =
    isScalar(node) && typeof value === 'string'
      ? node.type === 'QUOTE_SINGLE'
        ? 'single'
        : node.type === 'QUOTE_DOUBLE'
          ? 'double'
          : undefined
      : undefined;
  // Inside `[…]` or `{…}`, a plain scalar may not hold `,[]{}`.
  const inFlow = (isMap(parent) || isSeq(parent)) && Boolean(parent.flow);
  const rendered = renderInline(value, style, inFlow);
  if (node === null || !node.range) {
    // `key:` with nothing after it.
    const keyEnd = (pair?.key as Node | undefined)?.range?.[1] ?? 0;
    const colon = text.indexOf(':', keyEnd);
    return { start: colon + 1, end: colon + 1, text: ` ${rendered}` };
  }
  const start = node.range[0];
  const end = contentEnd(node, text);
  const blockCollection = (isMap(node) || isSeq(node)) && !node.flow;
  if (blockCollection && isMap(parent) && pair) {
    // A block under its key: the new value goes after the colon, the block's lines go.
    const keyEnd = (pair.key as Node).range![1];
    const colon = text.indexOf(':', keyEnd);
    return { start: colon + 1, end, text: ` ${rendered}` };
  }
  if (start === end) {
    const before = text[start - 1];
    return { start, end, text: before === ':' || before === '-' ? ` ${rendered}` : rendered };
  }
  return { start, end, text: rendered };
}

/** Adds `key` (or list item `key`) holding `value` to the collection `node`. */
function insertSplice(
  text: string,
  node: Node,
  key: string,
  value: ParamsValue,
  unit: string,
  path: readonly string[],
  file: string,
): Splice {
  if (isMap(node)) {
    const map = node as YAMLMap;
    if (map.flow) {
      const close = map.range![1] - 1;
      const entry = `${renderString(key, true)}: ${renderFlow(value)}`;
      return map.items.length === 0
        ? { start: close, end: close, text: entry }
        : {
            start: contentEnd(map.items.at(-1)!.value as Node, text),
            end: contentEnd(map.items.at(-1)!.value as Node, text),
            text: `, ${entry}`,
          };
    }
    const firstKey = map.items[0]!.key as Node;
    const indent = ' '.repeat(column(text, firstKey.range![0]));
    const last = map.items.at(-1)!;
    const at = lineEnd(text, contentEnd((last.value ?? last.key) as Node, text));
    return {
      start: at,
      end: at,
      text: eol(text) + renderPair(key, value, indent, unit).replaceAll('\n', eol(text)),
    };
  }
  if (isSeq(node) && INDEX.test(key) && Number(key) === node.items.length) {
    const seq = node as YAMLSeq;
    if (seq.flow) {
      const close = seq.range![1] - 1;
      if (seq.items.length === 0) return { start: close, end: close, text: renderFlow(value) };
      const lastEnd = contentEnd(seq.items.at(-1) as Node, text);
      return { start: lastEnd, end: lastEnd, text: `, ${renderFlow(value)}` };
    }
    const firstItem = seq.items[0] as Node;
    const dash = text.lastIndexOf('-', firstItem.range![0]);
    const indent = ' '.repeat(column(text, dash));
    const at = lineEnd(text, contentEnd(seq.items.at(-1) as Node, text));
    return { start: at, end: at, text: `${eol(text)}${indent}- ${renderInline(value)}` };
  }
  throw new ParamsSyntaxError(
    `cannot set '${describe([...path, key])}': '${describe(path) || '(top level)'}' has no item '${key}'`,
    file,
  );
}

/** One `delete`: the splice removing the key or item at `path`; `undefined` when it is not there. */
function deleteSplice(text: string, root: Node | null, path: readonly string[]): Splice | undefined {
  if (root === null) return undefined;
  let node: Node = root;
  let owner: { parent: Node; pair?: Pair } | undefined;
  for (let depth = 0; depth < path.length - 1; depth++) {
    const child = childOf(node, path[depth]!);
    if (!child || child.node === null) return undefined;
    owner = { parent: node, pair: child.pair };
    node = child.node;
  }
  const child = childOf(node, path[path.length - 1]!);
  if (!child) return undefined;
  const collection = node as YAMLMap | YAMLSeq;
  const items = collection.items as unknown[];
  if (collection.flow) {
    const itemStart = (item: unknown) => (isPair(item) ? (item.key as Node) : (item as Node)).range![0];
    const itemEnd = (item: unknown) =>
      contentEnd((isPair(item) ? (item.value ?? item.key) : item) as Node, text);
    if (items.length === 1)
      return { start: collection.range![0] + 1, end: collection.range![1] - 1, text: '' };
    if (child.index > 0) {
      return { start: itemEnd(items[child.index - 1]), end: itemEnd(items[child.index]), text: '' };
    }
    return { start: itemStart(items[0]), end: itemStart(items[1]), text: '' };
  }
  if (items.length === 1 && owner) {
    // The last key of a nested mapping: the mapping stays, empty.
    return replaceSplice(text, node, owner.pair, isSeq(node) ? [] : {}, owner.parent);
  }
  const item = items[child.index];
  const first = isPair(item) ? (item.key as Node) : (item as Node);
  const startOffset = isSeq(node) ? text.lastIndexOf('-', first.range![0]) : first.range![0];
  const start = lineStart(text, startOffset);
  const last = isPair(item) ? ((item.value ?? item.key) as Node) : (item as Node);
  const end = lineEnd(text, contentEnd(last, text));
  return { start, end: Math.min(end + eol(text).length, text.length), text: '' };
}

/** One edit as a splice of the text. */
function applyEdit(text: string, edit: ParamsEdit, file: string): string {
  const root = parse(text, file).document.contents as Node | null;
  const splice =
    edit.kind === 'set'
      ? setSplice(text, root, edit.path, edit.value, file)
      : deleteSplice(text, root, edit.path);
  return splice ? applySplice(text, splice) : text;
}

const yamlEditor = { name: 'params-yaml', read: readTree, applyEdit };

// ─── The format ──────────────────────────────────────────────────────────────────────────────────

/**
 * YAML params as DVC reads them (ruamel.yaml's safe loader, YAML 1.2): `1.0` stays a float
 * ({@link PythonFloat}), `yes` a string, `1_000` an int. Edits change only the bytes of what they
 * touch: comments, order, quoting and indentation elsewhere stay as they were.
 */
export const yamlParamsFormat: ParamsFormat = Object.freeze({
  specificationVersion: 'v1' as const,
  name: 'yaml',
  extensions: Object.freeze(['.yaml', '.yml']),

  read(text: string, path: string): ParamsTree {
    return readTree(text, path);
  },

  write(text: string, edits: readonly ParamsEdit[], path: string): string {
    return writeEdits(text, edits, path, yamlEditor);
  },
});
