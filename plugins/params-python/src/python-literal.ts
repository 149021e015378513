import type { SyntaxNode } from '@lezer/common';
import { type ParamsTree, type ParamsValue, PythonFloat } from '@tvc/params';
import { decodeNumber, decodeString, type PythonNumber, type StringStyle } from './python-tokens';

// Python's `ast.literal_eval` over lezer's tree, keeping where each value sits in the text so
// that an edit can replace exactly one value's characters.

/** A literal with its place in the text, and the places of the items or members it holds. */
export type LiteralNode =
  | {
      readonly kind: 'scalar';
      readonly from: number;
      readonly to: number;
      readonly value: ParamsValue;
      /** How a string was written (a single token), to write its replacement alike. */
      readonly style?: StringStyle;
    }
  | {
      readonly kind: 'list' | 'tuple';
      readonly from: number;
      readonly to: number;
      /** A tuple without parentheses (`x = 1, 2`). */
      readonly bare: boolean;
      readonly items: readonly LiteralNode[];
      readonly value: ParamsValue[];
    }
  | {
      readonly kind: 'dict';
      readonly from: number;
      readonly to: number;
      readonly members: readonly LiteralMember[];
      readonly value: ParamsTree;
    };

/** One `key: value` of a dict display. */
export interface LiteralMember {
  readonly key: string;
  readonly keyFrom: number;
  readonly keyTo: number;
  readonly value: LiteralNode;
}

/** Not a literal: `ast.literal_eval` raises `ValueError`, and DVC skips the statement. */
export const NOT_LITERAL = Symbol('not a literal');
/**
 * A literal DVC reads but tvc cannot hold as a params value: a set, bytes, a complex number,
 * `...`, a dict keyed by something other than a string or an int, a string with `\N{…}`.
 * (DVC itself fails when such a value reaches dvc.lock: it is not JSON serialisable.)
 */
export const UNREPRESENTABLE = Symbol('not representable');

export type Evaluated = LiteralNode | typeof NOT_LITERAL | typeof UNREPRESENTABLE;

const PUNCTUATION = new Set(['(', ')', '[', ']', '{', '}', ',', ':', 'Comment']);

/** The expressions inside a display, without brackets, commas, colons or comments. */
export function elements(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (!PUNCTUATION.has(child.name)) out.push(child);
  }
  return out;
}

/** Sets a key as a Python dict does (a repeated key keeps its first place), `__proto__` included. */
export function put(tree: ParamsTree, key: string, value: ParamsValue): void {
  Object.defineProperty(tree, key, { value, enumerable: true, writable: true, configurable: true });
}

function numberValue(value: PythonNumber): ParamsValue | typeof UNREPRESENTABLE {
  return typeof value === 'object' && !(value instanceof PythonFloat) ? UNREPRESENTABLE : value;
}

function negate(value: ParamsValue): ParamsValue {
  if (value instanceof PythonFloat) return new PythonFloat(-value.value);
  if (typeof value === 'bigint') {
    const number = Number(-value);
    return Number.isSafeInteger(number) ? number : -value;
  }
  if (typeof value === 'number') return value === 0 && Number.isInteger(value) ? 0 : -value;
  return value;
}

function unwrap(node: SyntaxNode): SyntaxNode {
  let current = node;
  while (current.name === 'ParenthesizedExpression') {
    const inner = elements(current);
    if (inner.length !== 1) return current;
    current = inner[0]!;
  }
  return current;
}

/** The value of a string display: one token or several side by side (`"a" 'b'`). */
function stringLiteral(text: string, node: SyntaxNode): Evaluated {
  const parts = node.name === 'ContinuedString' ? elements(node) : [node];
  let value = '';
  let representable = true;
  for (const part of parts) {
    if (part.name !== 'String') return NOT_LITERAL; // an f-string is a JoinedStr, not a constant
    const decoded = decodeString(text.slice(part.from, part.to));
    if (decoded.formatted) return NOT_LITERAL;
    if (decoded.bytes || !decoded.supported) representable = false;
    value += decoded.value;
  }
  if (!representable) return UNREPRESENTABLE;
  const style = parts.length === 1 ? decodeString(text.slice(node.from, node.to)).style : undefined;
  return style
    ? { kind: 'scalar', from: node.from, to: node.to, value, style }
    : { kind: 'scalar', from: node.from, to: node.to, value };
}

function sequence(
  text: string,
  node: SyntaxNode,
  items: readonly SyntaxNode[],
  kind: 'list' | 'tuple' | 'set',
  bare: boolean,
): Evaluated {
  const evaluated = items.map((item) => evaluateLiteral(text, item));
  if (evaluated.includes(NOT_LITERAL)) return NOT_LITERAL;
  if (kind === 'set' || evaluated.includes(UNREPRESENTABLE)) return UNREPRESENTABLE;
  const literals = evaluated as LiteralNode[];
  const from = bare ? items[0]!.from : node.from;
  let to = bare ? items[items.length - 1]!.to : node.to;
  // A bare tuple's trailing comma is part of it (`x = 1, 2,`).
  const trailing = bare ? /^\s*,/.exec(text.slice(to, node.to)) : null;
  if (trailing) to += trailing[0].length;
  return { kind, from, to, bare, items: literals, value: literals.map((item) => item.value) };
}

function dictionary(text: string, node: SyntaxNode): Evaluated {
  const parts = elements(node);
  if (parts.some((part) => part.name === '**')) return NOT_LITERAL;
  const pairs: { key: Evaluated; keyFrom: number; keyTo: number; value: Evaluated }[] = [];
  for (let index = 0; index + 1 < parts.length; index += 2) {
    pairs.push({
      key: evaluateLiteral(text, parts[index]!),
      keyFrom: parts[index]!.from,
      keyTo: parts[index]!.to,
      value: evaluateLiteral(text, parts[index + 1]!),
    });
  }
  if (parts.length % 2 !== 0) return NOT_LITERAL;
  if (pairs.some((pair) => pair.key === NOT_LITERAL || pair.value === NOT_LITERAL)) return NOT_LITERAL;
  const members: LiteralMember[] = [];
  const value: ParamsTree = {};
  let representable = true;
  for (const pair of pairs) {
    if (pair.key === UNREPRESENTABLE || pair.value === UNREPRESENTABLE) {
      representable = false;
      continue;
    }
    const key = (pair.key as LiteralNode).value;
    if (
      typeof key !== 'string' &&
      !(typeof key === 'number' && Number.isInteger(key)) &&
      typeof key !== 'bigint'
    ) {
      // A float, bool, None or tuple key: Python's hashing (True == 1) has no faithful string form.
      representable = false;
      continue;
    }
    const literal = pair.value as LiteralNode;
    members.push({ key: String(key), keyFrom: pair.keyFrom, keyTo: pair.keyTo, value: literal });
    put(value, String(key), literal.value);
  }
  if (!representable) return UNREPRESENTABLE;
  return { kind: 'dict', from: node.from, to: node.to, members, value };
}

/** `ast.literal_eval` of one expression node, with positions. */
export function evaluateLiteral(text: string, expression: SyntaxNode): Evaluated {
  const node = unwrap(expression);
  const scalar = (value: ParamsValue): LiteralNode => ({
    kind: 'scalar',
    from: node.from,
    to: node.to,
    value,
  });
  switch (node.name) {
    case 'Number': {
      const value = decodeNumber(text.slice(node.from, node.to)).value;
      if (value === undefined) return NOT_LITERAL;
      const number = numberValue(value);
      return number === UNREPRESENTABLE ? UNREPRESENTABLE : scalar(number);
    }
    case 'String':
    case 'ContinuedString':
      return stringLiteral(text, node);
    case 'FormatString':
      return NOT_LITERAL;
    case 'Boolean':
      return scalar(text.slice(node.from, node.to) === 'True');
    case 'None':
      return scalar(null);
    case 'Ellipsis':
      return UNREPRESENTABLE;
    case 'UnaryExpression': {
      // Only a sign before a number constant (parentheses allowed: they leave no node in Python's AST).
      const operator = node.firstChild;
      const operand = operator?.nextSibling ? unwrap(operator.nextSibling) : undefined;
      const sign = operator ? text.slice(operator.from, operator.to) : '';
      if ((sign !== '-' && sign !== '+') || operand?.name !== 'Number') return NOT_LITERAL;
      const value = decodeNumber(text.slice(operand.from, operand.to)).value;
      if (value === undefined) return NOT_LITERAL;
      const number = numberValue(value);
      if (number === UNREPRESENTABLE) return UNREPRESENTABLE;
      return scalar(sign === '-' ? negate(number) : number);
    }
    case 'BinaryExpression': {
      // `1+2j` is a literal (a complex); any other arithmetic is not.
      const [left, right] = elements(node).filter((child) => child.name !== 'ArithOp');
      const operator = text.slice(left?.to ?? 0, right?.from ?? 0).trim();
      const rightToken = right ? unwrap(right) : undefined;
      if ((operator === '+' || operator === '-') && rightToken?.name === 'Number') {
        const value = decodeNumber(text.slice(rightToken.from, rightToken.to)).value;
        if (value !== undefined && numberValue(value) === UNREPRESENTABLE && left) {
          const leftValue = evaluateLiteral(text, left);
          if (leftValue !== NOT_LITERAL && leftValue !== UNREPRESENTABLE && leftValue.kind === 'scalar') {
            const kind = typeof leftValue.value;
            if (kind === 'number' || kind === 'bigint' || leftValue.value instanceof PythonFloat) {
              return UNREPRESENTABLE;
            }
          }
        }
      }
      return NOT_LITERAL;
    }
    case 'ArrayExpression':
      return sequence(text, node, elements(node), 'list', false);
    case 'TupleExpression':
      return sequence(text, node, elements(node), 'tuple', false);
    case 'SetExpression':
      return sequence(text, node, elements(node), 'set', false);
    case 'DictionaryExpression':
      return dictionary(text, node);
    case 'CallExpression': {
      // `set()` is the one call literal_eval accepts.
      const parts = elements(node);
      const callee = parts[0];
      const argumentList = parts[1];
      if (
        parts.length === 2 &&
        callee?.name === 'VariableName' &&
        text.slice(callee.from, callee.to) === 'set' &&
        argumentList?.name === 'ArgList' &&
        elements(argumentList).length === 0
      ) {
        return UNREPRESENTABLE;
      }
      return NOT_LITERAL;
    }
    default:
      return NOT_LITERAL;
  }
}

/** The value of an assignment's right-hand side: one expression, or several making a bare tuple. */
export function evaluateAssignedValue(
  text: string,
  parent: SyntaxNode,
  values: readonly SyntaxNode[],
): Evaluated {
  if (values.length === 1) {
    const only = values[0]!;
    // `x = 1,` is a one-item tuple: a comma follows the expression.
    if (/^\s*,/.test(text.slice(only.to, parent.to))) return sequence(text, parent, values, 'tuple', true);
    return evaluateLiteral(text, only);
  }
  return sequence(text, parent, values, 'tuple', true);
}
