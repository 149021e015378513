import type { SyntaxNode, Tree } from '@lezer/common';
import { parser } from '@lezer/python';
import { lineColumn } from '@tvc/core';
import { ParamsSyntaxError } from '@tvc/params';
import { decodeNumber, decodeString, type PythonSyntaxProblem, stringStyle } from './python-tokens';

// The lezer grammar recovers from errors (it marks them with ⚠ nodes) and is lenient where
// CPython's tokenizer is strict (indentation, number literals). This module turns lezer's tree
// into CPython's verdict: a file `ast.parse` rejects throws, with the place CPython names.

/** DVC's wording: `Python file structure is corrupted: <CPython's message> (<file>, line N)`. */
export function pythonSyntaxError(
  text: string,
  file: string,
  offset: number,
  reason: string,
): ParamsSyntaxError {
  const { line, column } = lineColumn(text, offset);
  return new ParamsSyntaxError(
    `Python file structure is corrupted: ${reason} (${file}, line ${line})`,
    file,
    line,
    column,
  );
}

const BLOCK_OWNERS: Readonly<Record<string, string>> = {
  ClassDefinition: 'class definition',
  FunctionDefinition: 'function definition',
  IfStatement: "'if' statement",
  ForStatement: "'for' statement",
  WhileStatement: "'while' statement",
  WithStatement: "'with' statement",
  TryStatement: "'try' statement",
};

const OPENERS: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };

/** The bracket opened before `offset` and never closed, as CPython's tokenizer reports it. */
function unclosedBracket(tree: Tree, offset: number): number | undefined {
  const stack: number[] = [];
  const cursor = tree.cursor();
  do {
    if (cursor.from >= offset) break;
    const name = cursor.name;
    if (name in OPENERS) stack.push(cursor.from);
    else if (name === ')' || name === ']' || name === '}') stack.pop();
    // Strings and comments hold no brackets; lezer's bracket tokens are the real ones.
  } while (cursor.next());
  return stack.length > 0 ? stack[stack.length - 1] : undefined;
}

function errorReason(text: string, tree: Tree, node: SyntaxNode): { offset: number; reason: string } {
  const parent = node.parent;
  if (parent?.name === 'String') {
    const body = text.slice(parent.from, parent.to).replace(/^[a-zA-Z]*/, '');
    const triple = body.startsWith('"""') || body.startsWith("'''");
    const { line } = lineColumn(text, node.from);
    return {
      offset: parent.from,
      reason: triple
        ? `unterminated triple-quoted string literal (detected at line ${line})`
        : `unterminated string literal (detected at line ${line})`,
    };
  }
  if (parent?.name === 'Body' && !hasStatement(parent)) {
    const owner = parent.parent;
    const what = owner ? BLOCK_OWNERS[owner.name] : undefined;
    const line = owner ? lineColumn(text, owner.from).line : 0;
    return {
      offset: node.from,
      reason: what
        ? `expected an indented block after ${what} on line ${line}`
        : 'expected an indented block',
    };
  }
  // CPython blames a bracket still open when the error is on a later line, or at the end.
  const bracket = unclosedBracket(tree, node.from);
  if (
    bracket !== undefined &&
    (/^\s*$/.test(text.slice(node.from)) || lineColumn(text, node.from).line > lineColumn(text, bracket).line)
  ) {
    return { offset: bracket, reason: `'${text[bracket]}' was never closed` };
  }
  return { offset: node.from, reason: 'invalid syntax' };
}

function hasStatement(body: SyntaxNode): boolean {
  for (let child = body.firstChild; child; child = child.nextSibling) {
    if (!SKIP_IN_BLOCK.has(child.name) && !child.type.isError) return true;
  }
  return false;
}

function indentOf(text: string, offset: number): string | undefined {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  return /^[ \t\f]*$/.test(before) ? before : undefined;
}

/** Indentation width as CPython's tokenizer counts it (tabs to the next multiple of 8). */
function indentWidth(indent: string): number {
  let width = 0;
  for (const char of indent) {
    if (char === '\t') width = (Math.floor(width / 8) + 1) * 8;
    else if (char === '\f') width = 0;
    else width++;
  }
  return width;
}

const SKIP_IN_BLOCK = new Set(['Comment', ':', '⚠']);

/** Checks that the statements of one block (the module or a `Body`) line up as CPython's tokenizer requires. */
function checkBlock(text: string, block: SyntaxNode, indent: string): PythonSyntaxProblem | undefined {
  let blockIndent: string | undefined = block.name === 'Script' ? '' : undefined;
  let previous: SyntaxNode | undefined;
  for (let child = block.firstChild; child; child = child.nextSibling) {
    if (SKIP_IN_BLOCK.has(child.name) || child.type.isError) continue;
    const own = indentOf(text, child.from);
    if (own === undefined) {
      // On the line of the block's colon (`class A: x = 1`) or after a `;`.
      previous = child;
      continue;
    }
    if (blockIndent === undefined) {
      if (indentWidth(own) <= indentWidth(indent)) {
        return { offset: child.from, reason: 'expected an indented block' };
      }
      blockIndent = own;
    }
    if (own !== blockIndent) {
      const width = indentWidth(own);
      const expected = indentWidth(blockIndent);
      let reason = 'inconsistent use of tabs and spaces in indentation';
      if (width > expected) {
        // Deeper than its block: an indent, unless a block that just closed was deeper still.
        const closedDeeper = previous && lastBodyIndent(text, previous) > width;
        reason = closedDeeper ? 'unindent does not match any outer indentation level' : 'unexpected indent';
      } else if (width < expected) {
        reason = 'unindent does not match any outer indentation level';
      }
      return { offset: child.from, reason };
    }
    previous = child;
  }
  return undefined;
}

function lastBodyIndent(text: string, node: SyntaxNode): number {
  let width = -1;
  const cursor = node.cursor();
  do {
    if (cursor.name === 'Body') {
      for (let child = cursor.node.firstChild; child; child = child.nextSibling) {
        if (SKIP_IN_BLOCK.has(child.name)) continue;
        const own = indentOf(text, child.from);
        if (own !== undefined) width = Math.max(width, indentWidth(own));
      }
    }
  } while (cursor.next() && cursor.from < node.to);
  return width;
}

function firstProblem(text: string, tree: Tree): PythonSyntaxProblem | undefined {
  const cursor = tree.cursor();
  do {
    const node = cursor.node;
    if (cursor.type.isError) return errorReason(text, tree, node);
    if (cursor.name === 'Script') {
      const problem = checkBlock(text, node, '');
      if (problem) return problem;
    } else if (cursor.name === 'Body') {
      // Checked against the indentation of the statement that opens the block.
      let statement = node.parent;
      while (statement?.parent && statement.parent.name !== 'Body' && statement.parent.name !== 'Script') {
        statement = statement.parent;
      }
      const indent = statement ? (indentOf(text, statement.from) ?? '') : '';
      const problem = checkBlock(text, node, indent);
      if (problem) return problem;
    } else if (cursor.name === 'Number') {
      const problem = decodeNumber(text.slice(cursor.from, cursor.to)).problem;
      if (problem) return { offset: cursor.from + problem.offset, reason: problem.reason };
    } else if (cursor.name === 'String') {
      const token = text.slice(cursor.from, cursor.to);
      const { prefix, quote } = stringStyle(token);
      const inner = token.slice(prefix.length + quote.length, token.length - quote.length);
      const escapedClose = quote.length === 1 && /(?:^|[^\\])(?:\\\\)*\\$/.test(inner);
      if (token.length < prefix.length + 2 * quote.length || !token.endsWith(quote) || escapedClose) {
        const { line } = lineColumn(text, cursor.to);
        const what = quote.length === 3 ? 'triple-quoted string literal' : 'string literal';
        return { offset: cursor.from, reason: `unterminated ${what} (detected at line ${line})` };
      }
      const problem = decodeString(text.slice(cursor.from, cursor.to)).problem;
      if (problem) return { offset: cursor.from + problem.offset, reason: problem.reason };
    } else if (cursor.name === 'ContinuedString') {
      const parts = node
        .getChildren('String')
        .map((part) => /^[a-zA-Z]*/.exec(text.slice(part.from, part.to))![0]);
      const bytes = parts.map((prefix) => prefix.toLowerCase().includes('b'));
      const formats = node.getChildren('FormatString').length > 0;
      if (bytes.some(Boolean) && (formats || !bytes.every(Boolean))) {
        return { offset: node.from, reason: 'cannot mix bytes and nonbytes literals' };
      }
    }
  } while (cursor.next());
  return undefined;
}

/**
 * lezer reads `1.` as `1` followed by an attribute dot (and `1.e5` as an attribute `e5`), where
 * CPython's tokenizer takes the dot into the number. Each such dot is parsed as a `0` (same
 * length, so every position holds); values are always read from the original text.
 */
function maskTrailingDots(text: string): string {
  return text.replace(/\b(\d[\d_]*)\.(?![\d.])/g, '$10');
}

/**
 * Parses Python source as CPython 3.11's `ast.parse` would accept it: the lezer tree, or a
 * {@link ParamsSyntaxError} in DVC's wording with CPython's line and a column.
 */
export function parsePython(text: string, file: string): Tree {
  const tree = parser.parse(maskTrailingDots(text));
  const problem = firstProblem(text, tree);
  if (problem) throw pythonSyntaxError(text, file, problem.offset, problem.reason);
  return tree;
}
