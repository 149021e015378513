import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { layoutColumns, type RichColumn, type RichTableInput, renderRich } from './rich-table';
import { renderRichTable } from './show-render';
import type { ColumnKind, ShownTable } from './show-table';

const width = (text: string): number => [...text].length;
const strip = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');

/** A table shaped like DVC's exp show: fixed columns, then metrics, params and deps. */
function shown(): ShownTable {
  const headers = [
    'Experiment',
    'Created',
    'acc',
    'loss',
    'auc',
    'train.lr',
    'seed',
    'model.name',
    'train.py',
  ];
  const kinds: ColumnKind[] = [
    'fixed',
    'fixed',
    'metrics',
    'metrics',
    'metrics',
    'params',
    'params',
    'params',
    'deps',
  ];
  const hash = '392f110dfa192e5e0e3f680d7a83cdfc';
  return {
    headers,
    kinds,
    rows: [
      ['workspace', '-', '0.84444', '0.28571', '0.802', '0.05', '3', 'small', hash],
      ['main', '02:32 AM', '0.53333', '0.90909', '0.507', '0.01', '1', 'small', hash],
      ['├── 673df43 [seeded]', '02:32 AM', '0.84444', '0.28571', '0.802', '0.05', '3', 'small', hash],
    ],
    baselines: [true, true, false],
    collapsible: [false, false, false, true, true, false, true, true, false],
    nameSpans: [undefined, undefined, { start: 13, end: 19 }],
  };
}

const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

describe('renderRichTable fitted to a width', () => {
  it('is unchanged when the table fits, and as wide as its content without a width', () => {
    const full = renderRichTable(shown());
    const tableWidth = width(lines(full)[0]!);
    expect(renderRichTable(shown(), { maxWidth: tableWidth })).toBe(full);
    expect(renderRichTable(shown(), { maxWidth: tableWidth + 40 })).toBe(full);
    expect(renderRichTable(shown(), { maxWidth: tableWidth - 1 })).not.toBe(full);
  });

  it('never prints a line wider than the terminal', () => {
    for (let maxWidth = 20; maxWidth <= 140; maxWidth += 7) {
      for (const line of lines(renderRichTable(shown(), { maxWidth }))) {
        expect(width(line), `${maxWidth}: ${line}`).toBeLessThanOrEqual(maxWidth);
      }
    }
  });

  it('squeezes collapsible columns right to left into one `…` column per run, keeping the first of each kind', () => {
    const text = renderRichTable(shown(), { maxWidth: 90 });
    const header = lines(text)[1]!;
    // seed and model.name (params after the first) are gone into one ellipsis; train.lr stays.
    expect(header).toContain('train.lr');
    expect(header).not.toContain('seed');
    expect(header).not.toContain('model.name');
    expect(header).toContain('acc');
    expect(header.match(/…/g)?.length).toBe(1);
    // Narrower still: the metrics after acc go too, into their own `…` column.
    const narrow = lines(renderRichTable(shown(), { maxWidth: 70 }))[1]!;
    expect(narrow).not.toContain('loss');
    expect(narrow.match(/…/g)?.length).toBe(2);
  });

  it('wraps a wrappable cell at spaces and ellipsises what cannot fit', () => {
    // Created wraps to `02:…` / `AM`, the hash is cut with `…`.
    const text = lines(renderRichTable(shown(), { maxWidth: 60 }));
    const mainRow = text.findIndex((line) => line.includes('main'));
    expect(text[mainRow]).toMatch(/ 02:… /);
    expect(text[mainRow + 1]!.trim()).toBe('AM');
    expect(text.some((line) => line.includes('392f110dfa192e5e0e3f680d7a83cdfc'))).toBe(false);
  });

  it('keeps no-wrap columns (Experiment, metrics) on one line, cut with an ellipsis', () => {
    const text = lines(renderRichTable(shown(), { maxWidth: 30 }));
    expect(text.some((line) => line.includes('├── 673df43 [seeded]'))).toBe(false);
    expect(text.some((line) => /├── 673df43 \[s*…/.test(line) || line.includes('├──'))).toBe(true);
  });
});

describe('renderRichTable against rich', () => {
  // Recorded from DVC's own rich_table (rich 15) by scripts/record-rich-table.py: the same table,
  // header and row styles as `dvc exp show`, at widths from roomy to absurdly narrow.
  const recorded = JSON.parse(
    readFileSync(fileURLToPath(new URL('./__fixtures__/rich-table.json', import.meta.url)), 'utf8'),
  ) as {
    headers: string[];
    kinds: ColumnKind[];
    rows: string[][];
    baselines: boolean[];
    cases: { width: number; color: '256' | 'standard' | null; text: string }[];
  };
  const table = shown();
  it('is the table of the recording', () => {
    expect(recorded.headers).toEqual(table.headers);
    expect(recorded.kinds).toEqual(table.kinds);
    expect(recorded.rows).toEqual(table.rows);
    expect(recorded.baselines).toEqual(table.baselines);
  });
  for (const { width: maxWidth, color, text } of recorded.cases) {
    it(`prints rich's bytes at ${maxWidth} columns${color ? ` in ${color} colours` : ''}`, () => {
      expect(renderRichTable(table, { maxWidth, ...(color ? { color } : {}) })).toBe(text);
    });
  }
});

describe('renderRichTable styles', () => {
  it('has no escape sequences without a colour system', () => {
    expect(renderRichTable(shown())).not.toContain('\u001b');
    expect(renderRichTable(shown(), { maxWidth: 50 })).not.toContain('\u001b');
  });

  it('colours headers by kind in 256 colours, bold baselines and experiment names', () => {
    const text = renderRichTable(shown(), { color: '256' });
    const header = lines(text)[1]!;
    expect(header).toContain('\u001b[1;30;48;5;255mExperiment');
    expect(header).toContain('\u001b[1;30;48;5;230m');
    expect(header).toContain('\u001b[1;30;48;5;195mtrain.lr');
    expect(header).toContain('\u001b[1;30;48;5;183mtrain.py');
    expect(lines(text)[3]).toContain('\u001b[1mworkspace');
    expect(lines(text)[5]).toContain('[\u001b[1mseeded\u001b[0m]');
    // The same table once the codes are removed.
    expect(strip(text)).toBe(renderRichTable(shown()));
  });

  it('downgrades to the 16 standard colours, and keeps only bold for NO_COLOR', () => {
    const standard = renderRichTable(shown(), { color: 'standard' });
    expect(standard).toContain('\u001b[1;30;107mExperiment');
    expect(standard).toContain('\u001b[1;30;47mtrain.py');
    expect(standard).not.toContain('48;5');
    const none = renderRichTable(shown(), { color: 'none' });
    expect(none).toContain('\u001b[1mExperiment');
    expect(
      none.match(/\u001b\[([0-9;]*)m/g)?.every((code) => code === '\u001b[1m' || code === '\u001b[0m'),
    ).toBe(true);
  });

  it('styles the blank lines of a wrapped row in the row style', () => {
    const text = lines(renderRichTable(shown(), { maxWidth: 60, color: 'none' }));
    const mainRow = text.findIndex((line) => line.includes('main'));
    expect(text[mainRow + 1]).toMatch(/^ \u001b\[1m +\u001b\[0m /);
  });
});

describe('layoutColumns', () => {
  const column = (header: string, collapse = false, noWrap = false): RichColumn => ({
    header,
    justify: 'left',
    noWrap,
    collapse,
    headerStyle: '',
  });

  it('shares a reduction between equally wide columns with Python rounding (halves to even)', () => {
    // Three wrappable columns of 10, 28 columns too many: rich's ratio_reduce takes
    // round(28/3)=9, round(19/2)=10 (9.5 to even), 9 → widths 1, 0, 1.
    const table: RichTableInput = {
      columns: [column('aaaaaaaa'), column('bbbbbbbb'), column('cccccccc')],
      rows: [],
      rowStyles: [],
    };
    const { widths } = layoutColumns(table, 30 - 28 + 4, width);
    expect(widths).toEqual([1, 0, 1]);
  });

  it('keeps all columns when they fit', () => {
    const table: RichTableInput = { columns: [column('a'), column('b', true)], rows: [], rowStyles: [] };
    expect(layoutColumns(table, 80, width)).toEqual({ widths: [3, 3], kept: [0, 1] });
  });

  it('merges adjacent squeezed collapsible columns into the leftmost of the run', () => {
    const table: RichTableInput = {
      columns: [column('first'), column('second', true), column('third', true), column('fourth', true)],
      rows: [],
      rowStyles: [],
    };
    const { widths, kept } = layoutColumns(table, 16, width);
    expect(kept).toEqual([0, 1]);
    expect(widths).toEqual([7, 3]);
    expect(strip(renderRich(table, { maxWidth: 16, styled: false, width }))).toContain(' first   … ');
  });
});
