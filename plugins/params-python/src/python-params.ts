import type { SyntaxNode, Tree } from '@lezer/common';
import { lineColumn, MAX_NESTING, nestingProblem } from '@tvc/core';
import { ParamsSyntaxError, type ParamsTree } from '@tvc/params';
import { evaluateAssignedValue, type LiteralNode, NOT_LITERAL, put, UNREPRESENTABLE } from './python-literal';
import { parsePython } from './python-syntax';

// DVC's `_ast_tree_to_dict` (dvc/utils/serialize/_py.py) over lezer's tree: which statements
// define params, and where each one sits, for reading and for editing in place.

/** One statement that gives a key its value in a scope (the module or a class). */
export type Definition =
  | {
      readonly kind: 'assign';
      readonly key: string;
      /** The assignment statement. */
      readonly statement: SyntaxNode;
      /** Its value, or `undefined` when DVC reads one tvc cannot hold (a set, bytes…). */
      readonly literal: LiteralNode | undefined;
    }
  | {
      readonly kind: 'class';
      readonly key: string;
      /** The class statement, with its decorators. */
      readonly statement: SyntaxNode;
      readonly scope: Scope;
    };

/** The params a module or a class body defines, in the order DVC meets them. */
export interface Scope {
  /** The class's `Body` node; `undefined` for the module. */
  readonly body: SyntaxNode | undefined;
  readonly definitions: Definition[];
}

/** A parsed params file: its params and where they are. */
export interface PythonParams {
  readonly tree: ParamsTree;
  readonly scope: Scope;
  /** lezer's syntax tree of the file. */
  readonly syntax: Tree;
}

/** The statements of a block, with `a = 1; b = 2` split into its parts. */
export function statementsOf(block: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = block.firstChild; child; child = child.nextSibling) {
    if (child.name === 'StatementGroup') out.push(...statementsOf(child));
    else if (child.name !== 'Comment' && child.name !== ':' && child.name !== ';' && !child.type.isError) {
      out.push(child);
    }
  }
  return out;
}

/** DVC's `_get_ast_name`: a plain name (outside `__init__`), or `self.<attr>` anywhere. */
function targetName(text: string, target: SyntaxNode, onlySelf: boolean): string | undefined {
  let node = target;
  while (node.name === 'ParenthesizedExpression' && node.firstChild?.nextSibling) {
    node = node.firstChild.nextSibling;
  }
  if (node.name === 'VariableName') return onlySelf ? undefined : text.slice(node.from, node.to);
  if (node.name === 'MemberExpression') {
    const object = node.firstChild;
    const dot = object?.nextSibling;
    const property = dot?.nextSibling;
    if (
      object?.name === 'VariableName' &&
      text.slice(object.from, object.to) === 'self' &&
      dot?.name === '.' &&
      property?.name === 'PropertyName' &&
      !property.nextSibling
    ) {
      return text.slice(property.from, property.to);
    }
  }
  return undefined;
}

/** DVC's `_ast_assign_to_dict`: one target (plain or annotated), a literal value. */
function assignment(text: string, statement: SyntaxNode, onlySelf: boolean): Definition | undefined {
  const children: SyntaxNode[] = [];
  for (let child = statement.firstChild; child; child = child.nextSibling) {
    if (child.name !== 'Comment') children.push(child);
  }
  const operators = children.filter((child) => child.name === 'AssignOp');
  if (operators.length !== 1) return undefined; // `x: int` has no value; `a = b = 1` has two targets
  const operator = operators[0]!;
  const targets = children.filter((child) => child.to <= operator.from && child.name !== 'TypeDef');
  if (targets.length !== 1) return undefined; // `a, b = 1, 2`
  const key = targetName(text, targets[0]!, onlySelf);
  if (key === undefined) return undefined;
  const values = children.filter((child) => child.from >= operator.to && child.name !== ',');
  if (values.length === 0) return undefined;
  const evaluated = evaluateAssignedValue(text, statement, values);
  if (evaluated === NOT_LITERAL) return undefined;
  return { kind: 'assign', key, statement, literal: evaluated === UNREPRESENTABLE ? undefined : evaluated };
}

function definitionName(text: string, node: SyntaxNode): string | undefined {
  const name = node.getChild('VariableName');
  return name ? text.slice(name.from, name.to) : undefined;
}

/** DVC's `_ast_tree_to_dict` over one block, adding to `definitions`. */
function walk(text: string, block: SyntaxNode, onlySelf: boolean, definitions: Definition[]): void {
  for (const statement of statementsOf(block)) {
    const node = statement.name === 'DecoratedStatement' ? statement.lastChild : statement;
    if (!node) continue;
    if (node.name === 'AssignStatement') {
      const definition = assignment(text, node, onlySelf);
      if (definition) definitions.push(definition);
    } else if (node.name === 'ClassDefinition') {
      const key = definitionName(text, node);
      const body = node.getChild('Body');
      if (key === undefined || !body) continue;
      const scope: Scope = { body, definitions: [] };
      walk(text, body, false, scope.definitions);
      definitions.push({ kind: 'class', key, statement, scope });
    } else if (node.name === 'FunctionDefinition' && !node.getChild('async')) {
      // `async def __init__` is an AsyncFunctionDef, which DVC does not look into.
      const body = node.getChild('Body');
      if (definitionName(text, node) === '__init__' && body) walk(text, body, true, definitions);
    }
  }
}

/** The params a scope defines: a later definition wins, in the place of the first. */
export function scopeTree(scope: Scope): ParamsTree {
  const values = new Map<string, Definition>();
  for (const definition of scope.definitions) values.set(definition.key, definition);
  const tree: ParamsTree = {};
  for (const [key, definition] of values) {
    if (definition.kind === 'class') put(tree, key, scopeTree(definition.scope));
    else if (definition.literal) put(tree, key, definition.literal.value);
    // A value DVC reads but tvc cannot hold: the key is left out rather than given a stale value.
  }
  return tree;
}

/** The definition of `key` that counts in `scope` (the last one). */
export function lastDefinition(scope: Scope, key: string): Definition | undefined {
  for (let index = scope.definitions.length - 1; index >= 0; index--) {
    if (scope.definitions[index]!.key === key) return scope.definitions[index];
  }
  return undefined;
}

/** Parses a `.py` params file as DVC does. */
export function parsePythonParams(text: string, file: string): PythonParams {
  // CPython refuses a NUL anywhere in source (`source code cannot contain null bytes`), as DVC does.
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    const { line, column } = lineColumn(text, nul);
    throw new ParamsSyntaxError('source code cannot contain null bytes', file, line, column);
  }
  const deep = nestingProblem(text, { parentheses: true });
  if (deep) {
    const { line, column } = lineColumn(text, deep.offset);
    throw new ParamsSyntaxError(`nesting deeper than ${MAX_NESTING} levels`, file, line, column);
  }
  const syntax = parsePython(text, file);
  const scope: Scope = { body: undefined, definitions: [] };
  walk(text, syntax.topNode, false, scope.definitions);
  return { tree: scopeTree(scope), scope, syntax };
}
