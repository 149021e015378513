import type { ShownTable } from './show-table';

/** Columns a string takes on a terminal (wide East Asian characters count two). */
export type WidthOf = (text: string) => number;

const defaultWidth: WidthOf = (text) => [...text].length;

/**
 * The table `dvc exp show` prints through rich with `box.HORIZONTALS`: a rule above, below the
 * header and at the end; cells padded by one space, columns one space apart, one space at each
 * edge; metrics right-aligned, everything else left. As DVC does through its pager, the table is
 * as wide as its content (no column is squeezed). `bold` wraps baseline rows on a terminal.
 */
export function renderRichTable(
  table: ShownTable,
  options: { readonly width?: WidthOf; readonly bold?: (text: string) => string } = {},
): string {
  const width = options.width ?? defaultWidth;
  const widths = table.headers.map((header, column) =>
    Math.max(width(header), ...table.rows.map((row) => width(row[column] ?? ''))),
  );
  const cell = (text: string, column: number): string => {
    const space = ' '.repeat(Math.max(0, widths[column]! - width(text)));
    return table.kinds[column] === 'metrics' ? ` ${space}${text} ` : ` ${text}${space} `;
  };
  const line = (cells: readonly string[]): string => ` ${cells.map(cell).join(' ')} `;
  const rule = ` ${'─'.repeat(widths.reduce((sum, w) => sum + w + 2, 0) + Math.max(0, widths.length - 1))} `;
  const lines = [rule, line(table.headers), rule];
  table.rows.forEach((row, index) => {
    const text = line(row);
    lines.push(table.baselines[index] && options.bold ? options.bold(text) : text);
  });
  lines.push(rule);
  return `${lines.join('\n')}\n`;
}

/** Python's `csv.writer` with its defaults: minimal quoting, `\r\n` line ends. */
export function renderCsv(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const field = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
  return [headers, ...rows].map((row) => `${row.map(field).join(',')}\r\n`).join('');
}
