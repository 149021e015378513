import { eastAsianWidth } from 'get-east-asian-width';

/**
 * DVC's tables (`tabulate` with `disable_numparse=True`): every column left-aligned and at least
 * two columns wider than its header; cells stripped of surrounding whitespace; a cell with line
 * breaks spans several lines. `plain` joins cells with two spaces and strips each line's end;
 * `markdown` is GitHub's pipe table. Widths count East Asian wide characters as two columns and
 * combining marks as none, as `wcwidth` does.
 *
 * Written here rather than taken from a table library: none reproduces tabulate's minimum
 * padding, stripping and multi-line rules byte for byte.
 */
export interface TableOptions {
  readonly markdown?: boolean;
}

const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}\u200b\u1160-\u11ff]/u;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Columns a line takes on a terminal. */
export function displayWidth(line: string): number {
  // Most cells are printable ASCII, one column a character: skip the per-character lookup.
  if (PRINTABLE_ASCII.test(line)) return line.length;
  let width = 0;
  for (const char of line) {
    if (ZERO_WIDTH.test(char)) continue;
    width += eastAsianWidth(char.codePointAt(0)!) === 2 ? 2 : 1;
  }
  return width;
}

// Python's str.strip() and str.splitlines() whitespace and line boundaries.
const PY_SPACE = '[\\s\\u001c-\\u001f\\u0085]';
const STRIP = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, 'gu');
const LINE_BREAK = /\r\n|[\n\r\v\f\u001c-\u001e\u0085\u2028\u2029]/;
const MULTILINE = /[\r\n]/;

function padLine(line: string, width: number): string {
  return line + ' '.repeat(Math.max(0, width - displayWidth(line)));
}

/** Renders rows under headers; no trailing newline. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const cells = rows.map((row) => headers.map((_, index) => (row[index] ?? '').replace(STRIP, '')));
  const multiline = [...headers, ...cells.flat()].some((text) => MULTILINE.test(text));
  const split = (text: string): string[] => (multiline ? text.split(LINE_BREAK) : [text]);
  const widths = headers.map((header, column) =>
    Math.max(
      displayWidth(header) + 2,
      ...cells.map((row) => Math.max(...split(row[column]!).map(displayWidth))),
    ),
  );
  const lines: string[] = [];
  const emit = (row: readonly string[]): void => {
    const parts = row.map(split);
    const height = Math.max(...parts.map((part) => part.length));
    for (let index = 0; index < height; index++) {
      const padded = parts.map((part, column) => padLine(part[index] ?? '', widths[column]!));
      lines.push(options.markdown ? `| ${padded.join(' | ')} |` : padded.join('  ').trimEnd());
    }
  };
  emit(headers);
  if (options.markdown) lines.push(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const row of cells) emit(row);
  return lines.join('\n');
}
