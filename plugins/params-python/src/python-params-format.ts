import type { SyntaxNode } from '@lezer/common';
import {
  type ParamsEdit,
  type ParamsFormat,
  ParamsSyntaxError,
  type ParamsTree,
  type ParamsValue,
  writeEdits,
} from '@tvc/params';
import type { LiteralNode } from './python-literal';
import {
  type Definition,
  lastDefinition,
  parsePythonParams,
  type Scope,
  statementsOf,
} from './python-params';
import { type RenderStyle, renderPython } from './python-render';
import { stringStyle } from './python-tokens';

interface Splice {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

const INDEX = /^\d+$/;
const IDENTIFIER = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u;
const KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(
    ' ',
  ),
);

/** The quote the file mostly uses for strings, for strings written anew. */
function usualQuote(text: string, syntax: ReturnType<typeof parsePythonParams>['syntax']): "'" | '"' {
  let single = 0;
  let double = 0;
  syntax.iterate({
    enter(node) {
      if (node.name !== 'String') return;
      const { quote } = stringStyle(text.slice(node.from, node.to));
      if (quote.startsWith("'")) single++;
      else double++;
    },
  });
  return double > single ? '"' : "'";
}

function lineEnding(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

function nested(path: readonly string[], value: ParamsValue): ParamsValue {
  return path.reduceRight<ParamsValue>((inner, key) => ({ [key]: inner }), value);
}

function checkName(key: string, path: readonly string[], file: string): void {
  if (!IDENTIFIER.test(key) || KEYWORDS.has(key)) {
    throw new ParamsSyntaxError(
      `cannot set '${path.join('.')}': '${key}' is not a Python name, so it cannot be assigned in ${file}`,
      file,
    );
  }
}

/** The indentation of a line that starts with `offset`'s statement, or `undefined` when code precedes it. */
function indentBefore(text: string, offset: number): string | undefined {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  return /^[ \t\f]*$/.test(before) ? before : undefined;
}

/** A new `key = value` at the end of a scope: the module's last line, or the class body's. */
function appendAssignment(text: string, scope: Scope, statement: string): Splice {
  const eol = lineEnding(text);
  if (!scope.body) {
    const prefix = text === '' || text.endsWith('\n') ? '' : eol;
    return { start: text.length, end: text.length, text: `${prefix}${statement}${eol}` };
  }
  const statements = statementsOf(scope.body);
  const last = statements[statements.length - 1]!;
  const indent = indentBefore(text, statements[0]!.from);
  if (indent === undefined) {
    // `class A: x = 1` — the body is on the class line.
    return { start: last.to, end: last.to, text: `; ${statement}` };
  }
  // After the last line that holds code of the body.
  const code = text.slice(scope.body.from, scope.body.to).replace(/\s+$/, '');
  let end = scope.body.from + code.length;
  const newline = text.indexOf('\n', end);
  end = newline === -1 ? text.length : newline;
  if (end > 0 && text[end - 1] === '\r') end--;
  return { start: end, end, text: `${eol}${indent}${statement}` };
}

function styleFor(literal: LiteralNode, quote: "'" | '"'): RenderStyle {
  if (literal.kind === 'scalar' && literal.style) return { quote, replacing: literal.style };
  if (literal.kind === 'tuple' && !literal.bare) return { quote, tuple: true };
  return { quote };
}

/** The text between two entries of a display, for a new entry to look like its neighbours. */
function separator(text: string, literal: LiteralNode & { kind: 'list' | 'tuple' | 'dict' }): string {
  const starts =
    literal.kind === 'dict'
      ? literal.members.map((member) => member.keyFrom)
      : literal.items.map((item) => item.from);
  const ends =
    literal.kind === 'dict'
      ? literal.members.map((member) => member.value.to)
      : literal.items.map((item) => item.to);
  if (starts.length >= 2) return text.slice(ends[ends.length - 2]!, starts[starts.length - 1]!);
  const opening = text.slice(literal.from + 1, starts[0]!);
  return opening.includes('\n') ? `,${opening}` : ', ';
}

function setInLiteral(
  text: string,
  root: LiteralNode,
  path: readonly string[],
  fullPath: readonly string[],
  value: ParamsValue,
  quote: "'" | '"',
  file: string,
): Splice {
  let node = root;
  for (let depth = 0; depth < path.length; depth++) {
    const part = path[depth]!;
    let found: LiteralNode | undefined;
    if (node.kind === 'dict') {
      found = node.members.findLast((member) => member.key === part)?.value;
    } else if (node.kind === 'list' || node.kind === 'tuple') {
      found = INDEX.test(part) ? node.items[Number(part)] : undefined;
    } else {
      throw new ParamsSyntaxError(
        `cannot set '${fullPath.join('.')}': '${fullPath.slice(0, fullPath.length - path.length + depth).join('.')}' is not a dict or a list`,
        file,
      );
    }
    if (found && depth === path.length - 1) {
      return { start: found.from, end: found.to, text: renderPython(value, styleFor(found, quote)) };
    }
    if (found) {
      node = found;
      continue;
    }
    const rest = nested(path.slice(depth + 1), value);
    if (node.kind === 'dict') {
      const key = renderPython(part, { quote });
      if (node.members.length === 0) {
        return { start: node.from + 1, end: node.to - 1, text: `${key}: ${renderPython(rest, { quote })}` };
      }
      const last = node.members[node.members.length - 1]!;
      const colon = text.slice(last.keyTo, last.value.from);
      const entry = `${separator(text, node)}${key}${colon}${renderPython(rest, { quote })}`;
      return { start: last.value.to, end: last.value.to, text: entry };
    }
    if (INDEX.test(part) && Number(part) === node.items.length) {
      const item = renderPython(rest, { quote });
      if (node.items.length === 0) {
        const text = node.kind === 'tuple' ? `${item},` : item;
        return { start: node.from + 1, end: node.to - 1, text };
      }
      const end = node.items[node.items.length - 1]!.to;
      return { start: end, end, text: `${separator(text, node)}${item}` };
    }
    throw new ParamsSyntaxError(`cannot set '${fullPath.join('.')}': there is no item '${part}'`, file);
  }
  throw new Error('unreachable');
}

function setSplice(text: string, path: readonly string[], value: ParamsValue, file: string): Splice {
  const parsed = parsePythonParams(text, file);
  const quote = usualQuote(text, parsed.syntax);
  let scope = parsed.scope;
  for (let depth = 0; depth < path.length; depth++) {
    const part = path[depth]!;
    const definition = lastDefinition(scope, part);
    if (!definition || (definition.kind === 'assign' && !definition.literal)) {
      // A new assignment (after one tvc cannot read, if any: the last one counts).
      checkName(part, path, file);
      const statement = `${part} = ${renderPython(nested(path.slice(depth + 1), value), { quote })}`;
      return appendAssignment(text, scope, statement);
    }
    if (definition.kind === 'class') {
      if (depth === path.length - 1) {
        throw new ParamsSyntaxError(
          `cannot set '${path.join('.')}': it is a class in ${file}; set its attributes one by one`,
          file,
        );
      }
      scope = definition.scope;
      continue;
    }
    const literal = definition.literal!;
    if (depth === path.length - 1) {
      return { start: literal.from, end: literal.to, text: renderPython(value, styleFor(literal, quote)) };
    }
    return setInLiteral(text, literal, path.slice(depth + 1), path, value, quote, file);
  }
  throw new Error('unreachable');
}

/** Removes a statement: its whole lines, its part of an `a = 1; b = 2` line, or `pass` when it is alone in a block. */
function removeStatement(text: string, statement: SyntaxNode): Splice {
  const group = statement.parent?.name === 'StatementGroup' ? statement.parent : undefined;
  if (group) {
    const siblings = statementsOf(group);
    const index = siblings.findIndex((sibling) => sibling.from === statement.from);
    const next = siblings[index + 1];
    if (next) return { start: statement.from, end: next.from, text: '' };
    const previous = siblings[index - 1];
    if (previous) return { start: previous.to, end: statement.to, text: '' };
  }
  const container = group?.parent ?? statement.parent;
  const block = container ? statementsOf(container) : [];
  if (container?.name === 'Body' && block.length <= 1) {
    return { start: (group ?? statement).from, end: (group ?? statement).to, text: 'pass' };
  }
  const node = group ?? statement;
  const indent = indentBefore(text, node.from);
  if (indent === undefined) return { start: node.from, end: node.to, text: 'pass' };
  const start = node.from - indent.length;
  // To the end of the statement's last line, comment and line break included.
  const code = text.slice(node.from, node.to).replace(/\s+$/, '');
  const newline = text.indexOf('\n', node.from + code.length);
  const end = newline === -1 ? text.length : newline + 1;
  return { start, end, text: '' };
}

function deleteInLiteral(text: string, root: LiteralNode, path: readonly string[]): Splice | undefined {
  let node = root;
  for (const part of path.slice(0, -1)) {
    let found: LiteralNode | undefined;
    if (node.kind === 'dict') found = node.members.findLast((member) => member.key === part)?.value;
    else if (node.kind !== 'scalar' && INDEX.test(part)) found = node.items[Number(part)];
    if (!found) return undefined;
    node = found;
  }
  const last = path[path.length - 1]!;
  if (node.kind === 'scalar') return undefined;
  const entries =
    node.kind === 'dict'
      ? node.members.map((member) => ({ start: member.keyFrom, end: member.value.to, key: member.key }))
      : node.items.map((item, index) => ({ start: item.from, end: item.to, key: String(index) }));
  if (node.kind !== 'dict' && !INDEX.test(last)) return undefined;
  const doomed = entries.flatMap((entry, index) => (entry.key === last ? [index] : []));
  if (doomed.length === 0) return undefined;
  const kept = entries.filter((_, index) => !doomed.includes(index));
  if (kept.length === 0) {
    if (node.kind === 'tuple' && node.bare) return { start: node.from, end: node.to, text: '()' };
    return { start: node.from + 1, end: node.to - 1, text: '' };
  }
  let out = '';
  for (const entry of kept) {
    const index = entries.indexOf(entry);
    if (out !== '') out += text.slice(entries[index - 1]!.end, entry.start);
    out += text.slice(entry.start, entry.end);
  }
  // A tuple left with one item needs its comma.
  if (
    node.kind === 'tuple' &&
    kept.length === 1 &&
    !/^\s*,/.test(text.slice(entries[entries.length - 1]!.end))
  ) {
    out += ',';
  }
  return { start: entries[0]!.start, end: entries[entries.length - 1]!.end, text: out };
}

function deleteSplices(text: string, path: readonly string[], file: string): Splice[] {
  const parsed = parsePythonParams(text, file);
  let scope = parsed.scope;
  for (let depth = 0; depth < path.length; depth++) {
    const part = path[depth]!;
    if (depth === path.length - 1) {
      // Every statement that gives the key a value goes, or an earlier one would take its place.
      const doomed = scope.definitions.filter((definition: Definition) => definition.key === part);
      return doomed.map((definition) => removeStatement(text, definition.statement));
    }
    const definition = lastDefinition(scope, part);
    if (!definition || (definition.kind === 'assign' && !definition.literal)) return [];
    if (definition.kind === 'class') {
      scope = definition.scope;
      continue;
    }
    const splice = deleteInLiteral(text, definition.literal!, path.slice(depth + 1));
    return splice ? [splice] : [];
  }
  return [];
}

function applySplices(text: string, splices: readonly Splice[]): string {
  let out = text;
  for (const splice of [...splices].sort((a, b) => b.start - a.start)) {
    out = out.slice(0, splice.start) + splice.text + out.slice(splice.end);
  }
  return out;
}

const pythonEditor = {
  name: 'params-python',
  read: (text: string, file: string) => parsePythonParams(text, file).tree,
  applyEdit(text: string, edit: ParamsEdit, file: string): string {
    try {
      return applySplices(
        text,
        edit.kind === 'set'
          ? [setSplice(text, edit.path, edit.value, file)]
          : deleteSplices(text, edit.path, file),
      );
    } catch (error) {
      // A value with no Python literal (NaN, a date) is refused like any other edit that cannot be made.
      if (error instanceof TypeError) {
        throw new ParamsSyntaxError(
          `cannot set '${edit.path.join('.')}': ${error.message}`,
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
  },
};

/**
 * Python params as DVC reads them (dvc/utils/serialize/_py.py): top-level and class-level
 * assignments of literals, `self.<name>` in `__init__`. Edits replace only the characters of the
 * value they change; a new key is a new assignment; a deleted key loses its statement.
 */
export const pythonParamsFormat: ParamsFormat = Object.freeze({
  specificationVersion: 'v1' as const,
  name: 'python',
  extensions: Object.freeze(['.py']),

  read(text: string, path: string): ParamsTree {
    return parsePythonParams(text, path).tree;
  },

  write(text: string, edits: readonly ParamsEdit[], path: string): string {
    return writeEdits(text, edits, path, pythonEditor);
  },
});
