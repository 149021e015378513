import { type RichColumn, renderRich, type WidthOf } from './rich-table';
import type { ColumnKind, ShownTable } from './show-table';

/** Columns a string takes on a terminal (wide East Asian characters count two). */
export type { WidthOf };

const defaultWidth: WidthOf = (text) => [...text].length;

/** How a terminal shows colours: rich's colour systems (`none`: bold only, as under NO_COLOR). */
export type ColorSystem = 'none' | 'standard' | '256';

/** DVC's header backgrounds (`black on grey93` etc.) as rich writes them in each colour system. */
const HEADER_STYLES: Record<ColorSystem, Record<ColumnKind, string>> = {
  none: { fixed: '', metrics: '', params: '', deps: '' },
  standard: { fixed: '30;107', metrics: '30;107', params: '30;107', deps: '30;47' },
  '256': { fixed: '30;48;5;255', metrics: '30;48;5;230', params: '30;48;5;195', deps: '30;48;5;183' },
};

export interface RichTableOptions {
  readonly width?: WidthOf;
  /** The terminal's width: the table is fitted to it as DVC's `--no-pager` fits it. Default: as wide as its content. */
  readonly maxWidth?: number;
  /**
   * Styles for a terminal: bold headers, baseline rows and experiment names, and header colours
   * by column kind (Experiment and Created grey, metrics cornsilk, params light cyan, deps plum).
   * Default: none.
   */
  readonly color?: ColorSystem;
  /**
   * With `maxWidth`: squeeze the columns whose value is the same on every row before those that
   * vary (DVC squeezes right to left, whatever they hold). Default: DVC's order.
   */
  readonly squeezeConstantFirst?: boolean;
}

/**
 * The table `dvc exp show` prints through rich with `box.HORIZONTALS`: a rule above, below the
 * header and at the end; cells padded by one space, columns one space apart, one space at each
 * edge; metrics right-aligned, everything else left. Without `maxWidth` the table is as wide as
 * its content, as DVC prints it through its pager or a pipe; with it, columns are squeezed,
 * wrapped and ellipsised as DVC's `--no-pager` does on a terminal of that width.
 */
export function renderRichTable(table: ShownTable, options: RichTableOptions = {}): string {
  const headerStyles = HEADER_STYLES[options.color ?? 'none'];
  const columns: RichColumn[] = table.headers.map((header, index) => {
    const kind = table.kinds[index]!;
    return {
      header,
      justify: kind === 'metrics' ? 'right' : 'left',
      noWrap: kind === 'metrics' || header === 'Experiment',
      collapse: table.collapsible[index] === true,
      headerStyle: headerStyles[kind],
    };
  });
  const experimentColumn = table.headers.indexOf('Experiment');
  const rows = table.rows.map((row, rowIndex) =>
    row.map((text, column) => {
      const span = column === experimentColumn ? table.nameSpans[rowIndex] : undefined;
      return span ? { text, spans: [{ ...span, style: '1' }] } : { text };
    }),
  );
  return renderRich(
    { columns, rows, rowStyles: table.baselines.map((baseline) => (baseline ? '1' : '')) },
    {
      width: options.width ?? defaultWidth,
      styled: options.color !== undefined,
      ...(options.maxWidth === undefined ? {} : { maxWidth: options.maxWidth }),
      squeezeConstantFirst: options.squeezeConstantFirst === true,
    },
  );
}

/** Python's `csv.writer` with its defaults: minimal quoting, `\r\n` line ends. */
export function renderCsv(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const field = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
  return [headers, ...rows].map((row) => `${row.map(field).join(',')}\r\n`).join('');
}
