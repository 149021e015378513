// The layout `dvc exp show --no-pager` gets from rich 15 (rich.table.Table with DVC's
// dvc/utils/table.py collapsing) when the table is wider than the terminal, and rich's styled
// segments on a terminal. Written here: no JavaScript table library reproduces rich's width
// arithmetic (ratio_reduce with Python's rounding, DVC's right-to-left collapsing into one `…`
// column, word wrap with ellipsis overflow), and the e2e tests compare these bytes with DVC's.

/** Columns a string takes on a terminal. */
export type WidthOf = (text: string) => number;

/** An SGR parameter string (`1;30;48;5;255`), or '' for none. */
export type Sgr = string;

/** A column as rich lays it out. */
export interface RichColumn {
  readonly header: string;
  readonly justify: 'left' | 'right';
  readonly noWrap: boolean;
  /** DVC's `collapse`: may be squeezed to nothing (then shown as one `…` column) when too wide. */
  readonly collapse: boolean;
  readonly headerStyle: Sgr;
}

/** A cell: its text and the spans of it that carry a style of their own (the experiment's name). */
export interface RichCell {
  readonly text: string;
  readonly spans?: readonly { readonly start: number; readonly end: number; readonly style: Sgr }[];
}

export interface RichTableInput {
  readonly columns: readonly RichColumn[];
  readonly rows: readonly (readonly RichCell[])[];
  /** The style of each row ('' for none): DVC makes baselines bold. */
  readonly rowStyles: readonly Sgr[];
}

export interface RichRenderOptions {
  /** The console's width (the table's edges included); `undefined`: as wide as the content. */
  readonly maxWidth?: number;
  /** Emit SGR escape sequences (a terminal). */
  readonly styled: boolean;
  readonly width: WidthOf;
  /** When squeezing: the columns whose value is the same on every row go first (not DVC's). */
  readonly squeezeConstantFirst?: boolean;
}

const PADDING = 2; // one space either side of each cell
const ELLIPSIS = '…';

/** Python's round() of a float to an integer: halves to even. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** rich's `ratio_reduce`. */
function ratioReduce(total: number, ratios: number[], maximums: number[], values: number[]): number[] {
  const effective = ratios.map((ratio, index) => (maximums[index] ? ratio : 0));
  let totalRatio = effective.reduce((sum, ratio) => sum + ratio, 0);
  if (!totalRatio) return [...values];
  let remaining = total;
  return values.map((value, index) => {
    const ratio = effective[index]!;
    if (ratio && totalRatio > 0) {
      const distributed = Math.min(maximums[index]!, roundHalfEven((ratio * remaining) / totalRatio));
      remaining -= distributed;
      totalRatio -= ratio;
      return value - distributed;
    }
    return value;
  });
}

/**
 * rich's `Table._collapse_widths`, after DVC's zeroing of collapsible columns right to left (in
 * `order`, the columns' indices from the first to squeeze).
 */
function collapseWidths(
  widths: number[],
  columns: readonly RichColumn[],
  maxWidth: number,
  order: readonly number[],
): number[] {
  let result = [...widths];
  let excess = result.reduce((sum, width) => sum + width, 0) - maxWidth;
  if (columns.some((column) => column.collapse)) {
    for (const index of order) {
      if (!columns[index]!.collapse) continue;
      excess -= result[index]!;
      result[index] = 0;
      if (excess <= 0) break;
    }
  }
  const wrapable = columns.map((column) => !column.noWrap);
  let total = result.reduce((sum, width) => sum + width, 0);
  excess = total - maxWidth;
  if (wrapable.some(Boolean)) {
    while (total && excess > 0) {
      const maxColumn = Math.max(...result.filter((_, index) => wrapable[index]));
      const secondMax = Math.max(
        ...result.map((width, index) => (wrapable[index] && width !== maxColumn ? width : 0)),
      );
      const difference = maxColumn - secondMax;
      const ratios = result.map((width, index) => (width === maxColumn && wrapable[index] ? 1 : 0));
      if (!ratios.some(Boolean) || !difference) break;
      const maxReduce = result.map(() => Math.min(excess, difference));
      result = ratioReduce(excess, ratios, maxReduce, result);
      total = result.reduce((sum, width) => sum + width, 0);
      excess = total - maxWidth;
    }
  }
  return result;
}

/** A column's (minimum, maximum) width with padding: rich's `_measure_column` of text cells. */
function measureColumn(texts: readonly string[], maxWidth: number, width: WidthOf): [number, number] {
  if (maxWidth < 1) return [0, 0];
  let minimum = 0;
  let maximum = 0;
  for (const text of texts) {
    let low: number;
    let high: number;
    if (maxWidth - PADDING < 1) {
      low = maxWidth;
      high = maxWidth;
    } else if (!/\s/.test(text)) {
      const cells = width(text);
      low = Math.min(Math.min(cells, maxWidth - PADDING) + PADDING, maxWidth);
      high = low;
    } else {
      const lines = text.split('\n');
      const longestLine = Math.max(0, ...lines.map(width));
      const words = text.split(/\s+/).filter(Boolean);
      const longestWord = words.length > 0 ? Math.max(...words.map(width)) : longestLine;
      const inner = maxWidth - PADDING;
      low = Math.min(longestWord, inner) + PADDING;
      high = Math.min(longestLine, inner) + PADDING;
      low = Math.min(low, maxWidth);
      high = Math.min(high, maxWidth);
    }
    minimum = Math.max(minimum, low);
    maximum = Math.max(maximum, high);
  }
  return [Math.min(minimum, maxWidth), Math.min(maximum, maxWidth)];
}

/**
 * The order collapsible columns are squeezed in: right to left (DVC's), or with
 * `constantFirst` the columns whose value is the same on every row first (right to left), so
 * that the width goes to what varies across the rows shown.
 */
function squeezeOrder(table: RichTableInput, constantFirst: boolean): number[] {
  const rightToLeft = table.columns.map((_, index) => table.columns.length - 1 - index);
  if (!constantFirst) return rightToLeft;
  const constant = (index: number) => new Set(table.rows.map((row) => row[index]!.text)).size <= 1;
  return [...rightToLeft.filter(constant), ...rightToLeft.filter((index) => !constant(index))];
}

/** The columns' widths (padding included) and which columns remain, as rich and DVC compute them. */
export function layoutColumns(
  table: RichTableInput,
  maxWidth: number | undefined,
  width: WidthOf,
  squeezeConstantFirst = false,
): { widths: number[]; kept: number[] } {
  const columns = table.columns;
  const texts = columns.map((column, index) => [column.header, ...table.rows.map((row) => row[index]!.text)]);
  const unlimited = Number.MAX_SAFE_INTEGER;
  const extra = 2 + Math.max(0, columns.length - 1);
  let available = maxWidth === undefined ? unlimited : maxWidth - extra;
  let widths = texts.map((column) => measureColumn(column, available, width)[1] || 1);
  if (widths.reduce((sum, value) => sum + value, 0) > available) {
    widths = collapseWidths(widths, columns, available, squeezeOrder(table, squeezeConstantFirst));
    let total = widths.reduce((sum, value) => sum + value, 0);
    if (total > available) {
      widths = ratioReduce(
        total - available,
        widths.map(() => 1),
        widths,
        widths,
      );
      total = widths.reduce((sum, value) => sum + value, 0);
    }
    widths = widths.map((value, index) => measureColumn(texts[index]!, value, width)[1] || 0);
  }
  // DVC's Table._calculate_column_widths: a run of squeezed collapsible columns becomes one
  // column, one `…` wide when it still fits.
  const kept = columns.map((_, index) => index);
  let lastCollapsed = -1;
  for (let index = columns.length - 1; index >= 0; index--) {
    if (widths[index] === 0 && columns[kept[index]!]!.collapse) {
      if (lastCollapsed >= 0) {
        widths.splice(lastCollapsed, 1);
        kept.splice(lastCollapsed, 1);
        available += 1;
      }
      lastCollapsed = index;
      if (widths.reduce((sum, value) => sum + value, 0) + PADDING <= available) widths[index] = 1 + PADDING;
    } else {
      lastCollapsed = -1;
    }
  }
  return { widths, kept };
}

interface Segment {
  readonly text: string;
  readonly style: Sgr;
}

interface StyledText {
  text: string;
  /** A style per UTF-16 code unit ('' for the cell's own). */
  styles: Sgr[];
}

/** The first `cells` columns of a text (rich's `set_cell_size` when shrinking). */
function cropToCells(text: StyledText, cells: number, width: WidthOf): StyledText {
  let used = 0;
  let end = 0;
  for (const char of text.text) {
    const w = width(char);
    if (used + w > cells) break;
    used += w;
    end += char.length;
  }
  const cropped = { text: text.text.slice(0, end), styles: text.styles.slice(0, end) };
  // A wide character cut in half leaves a space (as rich's set_cell_size does).
  while (used < cells) {
    cropped.text += ' ';
    cropped.styles.push('');
    used++;
  }
  return cropped;
}

/** rich's `Text.truncate` with `overflow='ellipsis'`: a style span covering the end keeps covering `…`. */
function truncate(text: StyledText, cells: number, pad: boolean, width: WidthOf): StyledText {
  const length = width(text.text);
  if (length > cells) {
    const kept = cropToCells(text, Math.max(0, cells - 1), width);
    const lastStyle = text.styles[kept.text.length] ?? '';
    return { text: `${kept.text}${cells > 0 ? ELLIPSIS : ''}`, styles: [...kept.styles, lastStyle] };
  }
  if (pad && length < cells) {
    return {
      text: text.text + ' '.repeat(cells - length),
      styles: [...text.styles, ...Array<Sgr>(cells - length).fill('')],
    };
  }
  return text;
}

/** rich's `divide_line` without folding: where a line breaks to fit `cells`. */
function divideLine(text: string, cells: number, width: WidthOf): number[] {
  const breaks: number[] = [];
  let offset = 0;
  for (const match of text.matchAll(/\s*\S+\s*/g)) {
    const start = match.index;
    const word = match[0];
    const wordLength = width(word.trimEnd());
    if (cells - offset >= wordLength) {
      offset += width(word);
    } else if (wordLength > cells) {
      if (start) breaks.push(start);
      offset = width(word);
    } else if (offset && start) {
      breaks.push(start);
      offset = width(word);
    }
  }
  return breaks;
}

/** A cell's lines of exactly `cells` columns (rich's Text.wrap with the column's justify and no_wrap). */
function wrapCell(cell: RichCell, cells: number, column: RichColumn, width: WidthOf): StyledText[] {
  // Most cells: one unstyled line that fits, only padded to the column's width.
  if (!cell.spans && !cell.text.includes('\n')) {
    const text = column.justify === 'right' ? cell.text.trimEnd() : cell.text;
    const missing = cells - width(text);
    if (missing >= 0) {
      const padded = column.justify === 'right' ? ' '.repeat(missing) + text : text + ' '.repeat(missing);
      return [{ text: padded, styles: [] }];
    }
  }
  const styles = Array<Sgr>(cell.text.length).fill('');
  for (const span of cell.spans ?? []) styles.fill(span.style, span.start, span.end);
  const lines: StyledText[] = [];
  let position = 0;
  for (const part of cell.text.split('\n')) {
    const line = { text: part, styles: styles.slice(position, position + part.length) };
    position += part.length + 1;
    const offsets = column.noWrap ? [] : divideLine(part, cells, width);
    const bounds = [0, ...offsets, part.length];
    for (let index = 0; index + 1 < bounds.length; index++) {
      let piece: StyledText = {
        text: line.text.slice(bounds[index], bounds[index + 1]),
        styles: line.styles.slice(bounds[index], bounds[index + 1]),
      };
      // rstrip_end: trailing whitespace beyond the width goes.
      const excess = piece.text.length - cells;
      if (excess > 0) {
        const trailing = piece.text.length - piece.text.trimEnd().length;
        const crop = Math.min(trailing, excess);
        piece = {
          text: piece.text.slice(0, piece.text.length - crop),
          styles: piece.styles.slice(0, piece.styles.length - crop),
        };
      }
      if (column.justify === 'right') {
        const trimmed = piece.text.trimEnd();
        piece = truncate(
          { text: trimmed, styles: piece.styles.slice(0, trimmed.length) },
          cells,
          false,
          width,
        );
        const missing = cells - width(piece.text);
        piece = {
          text: ' '.repeat(missing) + piece.text,
          styles: [...Array<Sgr>(missing).fill(''), ...piece.styles],
        };
      } else {
        piece = truncate(piece, cells, true, width);
      }
      lines.push(truncate(piece, cells, false, width));
    }
  }
  return lines;
}

const RESET = '\u001b[0m';

function joinStyles(...styles: Sgr[]): Sgr {
  return styles.filter(Boolean).join(';');
}

function paint(segment: Segment, styled: boolean): string {
  return styled && segment.style && segment.text
    ? `\u001b[${segment.style}m${segment.text}${RESET}`
    : segment.text;
}

/** A styled text as segments: runs of one style, each combined with the cell's style. */
function segmentsOf(line: StyledText, cellStyle: Sgr): Segment[] {
  if (line.styles.every((style) => style === '')) return [{ text: line.text, style: cellStyle }];
  const segments: Segment[] = [];
  let start = 0;
  for (let index = 1; index <= line.text.length; index++) {
    if (index === line.text.length || line.styles[index] !== line.styles[start]) {
      segments.push({
        text: line.text.slice(start, index),
        style: joinStyles(cellStyle, line.styles[start] ?? ''),
      });
      start = index;
    }
  }
  return segments;
}

/**
 * The table with rich's `box.HORIZONTALS`, as DVC prints it: rules above, below the header and at
 * the end; one space at each edge and between columns. With `maxWidth`, fitted to it as rich and
 * DVC fit it; with `styled`, each cell's padding and text carry the header's or row's style.
 */
export function renderRich(table: RichTableInput, options: RichRenderOptions): string {
  const { width, styled } = options;
  const { widths, kept } = layoutColumns(table, options.maxWidth, width, options.squeezeConstantFirst);
  const columns = kept.map((index) => table.columns[index]!);
  const out: string[] = [];
  const rule = ` ${'─'.repeat(widths.reduce((sum, value) => sum + value, 0) + Math.max(0, widths.length - 1))} `;
  const renderRow = (cells: readonly RichCell[], styleOf: (column: number) => Sgr): void => {
    const rendered = columns.map((column, position) => {
      // A cell with no room inside its padding renders nothing (rich's console does not render
      // into less than one column) and is filled with blanks in its style.
      const inner = widths[position]! - PADDING;
      if (inner < 1) return [] as Segment[][];
      const style = styleOf(kept[position]!);
      return wrapCell(cells[kept[position]!]!, inner, column, width).map((line) => [
        { text: ' ', style },
        ...segmentsOf(line, style),
        { text: ' ', style },
      ]);
    });
    const height = Math.max(1, ...rendered.map((lines) => lines.length));
    for (let lineIndex = 0; lineIndex < height; lineIndex++) {
      const parts = rendered.map((lines, position) => {
        const cellWidth = widths[position]!;
        const line = lines[lineIndex];
        if (!line) return paint({ text: ' '.repeat(cellWidth), style: styleOf(kept[position]!) }, styled);
        return line.map((segment) => paint(segment, styled)).join('');
      });
      out.push(` ${parts.join(' ')} `);
    }
  };
  out.push(rule);
  renderRow(
    table.columns.map((column) => ({ text: column.header })),
    (column) => joinStyles('1', table.columns[column]!.headerStyle),
  );
  out.push(rule);
  table.rows.forEach((row, index) => {
    renderRow(row, () => table.rowStyles[index] ?? '');
  });
  out.push(rule);
  // The console crops what is wider than itself (a terminal too narrow for even the `…` columns).
  const limit = options.maxWidth;
  const cropped =
    limit === undefined || styled
      ? out
      : out.map((line) =>
          width(line) > limit ? cropToCells({ text: line, styles: [] }, limit, width).text : line,
        );
  return `${cropped.join('\n')}\n`;
}
