import {
  applyEditsToTree,
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
import { type JsonNode, jsonValue, parseJson } from './json-source';

const isTree = (value: unknown): value is ParamsTree => isParamsMapping(value);

/** DVC's `json.loads(text) or {}`: a false-ish document is empty params; a params file is an object. */
function readTree(root: JsonNode, file: string): ParamsTree {
  const value = jsonValue(root);
  if (!pythonTruthy(value)) return {};
  if (!isTree(value)) throw new ParamsSyntaxError('expected an object at the top level', file, 1, 1);
  return value;
}

function renderNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return Number.isInteger(value) ? BigInt(value).toString() : pythonFloatRepr(value);
}

/** A value as JSON on one line, with Python's separators (`", "`, `": "`) and numbers as Python writes them. */
function render(value: ParamsValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return renderNumber(value);
  if (value instanceof PythonFloat) {
    return Number.isFinite(value.value) ? pythonFloatRepr(value.value) : renderNumber(value.value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(render).join(', ')}]`;
  return `{${Object.entries(value)
    .map(([key, item]) => `${JSON.stringify(key)}: ${render(item)}`)
    .join(', ')}}`;
}

interface Splice {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

const INDEX = /^\d+$/;

function child(node: JsonNode, part: string): { node: JsonNode; index: number } | undefined {
  if (node.kind === 'object') {
    // A repeated key: its last occurrence is the one that counts.
    for (let index = node.members.length - 1; index >= 0; index--) {
      if (node.members[index]!.key === part) return { node: node.members[index]!.value, index };
    }
    return undefined;
  }
  if (node.kind === 'array' && INDEX.test(part) && Number(part) < node.items.length) {
    return { node: node.items[Number(part)]!, index: Number(part) };
  }
  return undefined;
}

/** The text between two entries of `node` (`",\n  "`, `", "`), for a new entry to look like its neighbours. */
function separator(
  text: string,
  node: JsonNode & { kind: 'object' | 'array' },
): { before: string; colon: string } {
  const starts =
    node.kind === 'object'
      ? node.members.map((member) => member.keyStart)
      : node.items.map((item) => item.start);
  const ends =
    node.kind === 'object'
      ? node.members.map((member) => member.value.end)
      : node.items.map((item) => item.end);
  let before = ', ';
  if (starts.length >= 2) {
    before = text.slice(ends[ends.length - 2]!, starts[starts.length - 1]!);
  } else if (starts.length === 1) {
    const opening = text.slice(node.start + 1, starts[0]!);
    before = opening.includes('\n') ? `,${opening}` : ', ';
  }
  let colon = ': ';
  if (node.kind === 'object' && node.members.length > 0) {
    const last = node.members[node.members.length - 1]!;
    colon = text.slice(last.keyEnd, last.value.start);
  }
  return { before, colon };
}

function setSplice(
  text: string,
  root: JsonNode,
  path: readonly string[],
  value: ParamsValue,
  file: string,
): Splice {
  let node = root;
  for (let depth = 0; depth < path.length; depth++) {
    const part = path[depth]!;
    const found = child(node, part);
    if (found && depth === path.length - 1)
      return { start: found.node.start, end: found.node.end, text: render(value) };
    if (found) {
      if (found.node.kind === 'scalar') {
        throw new ParamsSyntaxError(
          `cannot set '${path.join('.')}': '${path.slice(0, depth + 1).join('.')}' is not an object or an array`,
          file,
        );
      }
      node = found.node;
      continue;
    }
    const nested = path.slice(depth + 1).reduceRight<ParamsValue>((inner, key) => ({ [key]: inner }), value);
    if (node.kind === 'object') {
      const entry = (colon: string) => `${JSON.stringify(part)}${colon}${render(nested)}`;
      if (node.members.length === 0) return { start: node.start + 1, end: node.end - 1, text: entry(': ') };
      const { before, colon } = separator(text, node);
      const end = node.members[node.members.length - 1]!.value.end;
      return { start: end, end, text: before + entry(colon) };
    }
    if (node.kind === 'array' && INDEX.test(part) && Number(part) === node.items.length) {
      if (node.items.length === 0) return { start: node.start + 1, end: node.end - 1, text: render(nested) };
      const { before } = separator(text, node);
      const end = node.items[node.items.length - 1]!.end;
      return { start: end, end, text: before + render(nested) };
    }
    throw new ParamsSyntaxError(`cannot set '${path.join('.')}': there is no item '${part}'`, file);
  }
  throw new Error('unreachable');
}

function deleteSplice(text: string, root: JsonNode, path: readonly string[]): Splice | undefined {
  let node = root;
  for (const part of path.slice(0, -1)) {
    const found = child(node, part);
    if (!found) return undefined;
    node = found.node;
  }
  const last = path[path.length - 1]!;
  if (node.kind === 'scalar') return undefined;
  const entries =
    node.kind === 'object'
      ? node.members.map((member) => ({ start: member.keyStart, end: member.value.end, key: member.key }))
      : node.items.map((item, index) => ({ start: item.start, end: item.end, key: String(index) }));
  const doomed = entries.flatMap((entry, index) => (entry.key === last ? [index] : []));
  if (doomed.length === 0 || (node.kind === 'array' && !INDEX.test(last))) return undefined;
  const kept = entries.filter((_, index) => !doomed.includes(index));
  if (kept.length === 0) {
    // Nothing left: an empty object or array, closed on the line it opened.
    return { start: node.start + 1, end: node.end - 1, text: '' };
  }
  // Rebuild the span from the first to the last entry: each kept entry with the separator that
  // stood before it (the text before the first entry lies outside the span and stays).
  let out = '';
  for (const entry of kept) {
    const index = entries.indexOf(entry);
    if (out !== '') out += text.slice(entries[index - 1]!.end, entry.start);
    out += text.slice(entry.start, entry.end);
  }
  return { start: entries[0]!.start, end: entries[entries.length - 1]!.end, text: out };
}

/** One edit as a splice of the text; an empty (false-ish) document becomes a new object. */
function applyEdit(text: string, edit: ParamsEdit, file: string): string {
  const root = parseJson(text, file);
  if (root.kind !== 'object') {
    const body = render(applyEditsToTree({}, [edit]));
    return text.slice(0, root.start) + body + text.slice(root.end);
  }
  const splice =
    edit.kind === 'set'
      ? setSplice(text, root, edit.path, edit.value, file)
      : deleteSplice(text, root, edit.path);
  return splice ? text.slice(0, splice.start) + splice.text + text.slice(splice.end) : text;
}

const jsonEditor = {
  name: 'params-json',
  read: (text: string, file: string) => readTree(parseJson(text, file), file),
  applyEdit,
};

/**
 * JSON params as DVC reads them (Python's `json` module: `1.0` stays a float, `NaN` is allowed).
 * Edits splice only the value they change: indentation, key order and the rest of the file stay
 * byte for byte (DVC itself rewrites the whole file on one line).
 */
export const jsonParamsFormat: ParamsFormat = Object.freeze({
  specificationVersion: 'v1' as const,
  name: 'json',
  extensions: Object.freeze(['.json']),

  read(text: string, path: string): ParamsTree {
    return readTree(parseJson(text, path), path);
  },

  write(text: string, edits: readonly ParamsEdit[], path: string): string {
    return writeEdits(text, edits, path, jsonEditor);
  },
});
