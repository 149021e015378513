import { extractMetrics } from '@tvc/core';
import { PythonFloat } from '@tvc/params';
import { describe, expect, it } from 'vitest';
import { diffExperiments, diffRows } from './diff';
import type { ExpData, ExpState } from './show-collect';
import { renderCsv, renderRichTable } from './show-render';
import { formatCreated, formatGeneral, shapeTable, tabulateExperiments } from './show-table';

const data = (rev: string, metrics: Record<string, unknown>, params: Record<string, unknown>): ExpData => ({
  rev,
  timestamp: rev === 'workspace' ? null : '2020-01-02T13:05:00',
  params: { 'params.yaml': { data: params } },
  metrics: { 'm.json': { data: metrics } },
  deps: {},
  outs: {},
  meta: {},
});

const states = (): ExpState[] => [
  {
    rev: 'workspace',
    name: null,
    data: data('workspace', { acc: 0.5 }, { lr: 1 }),
    error: null,
    experiments: null,
  },
  {
    rev: 'a'.repeat(40),
    name: 'main',
    data: data('a'.repeat(40), { acc: 0.123456789 }, { lr: 1 }),
    error: null,
    experiments: [
      {
        revs: [
          {
            rev: 'b'.repeat(40),
            name: 'x',
            data: data('b', { acc: 0.9 }, { lr: 2 }),
            error: null,
            experiments: null,
          },
        ],
        executor: null,
        name: 'x',
      },
      {
        revs: [
          { rev: 'c'.repeat(40), name: 'y', data: data('c', {}, { lr: 3 }), error: null, experiments: null },
        ],
        executor: null,
        name: 'y',
      },
    ],
  },
];

describe('formatGeneral', () => {
  it("is Python's .5g", () => {
    expect(formatGeneral(0.123456789, 5)).toBe('0.12346');
    expect(formatGeneral(1.6666666666666667, 5)).toBe('1.6667');
    expect(formatGeneral(123456789, 5)).toBe('1.2346e+08');
    expect(formatGeneral(0.00001234, 5)).toBe('1.234e-05');
    expect(formatGeneral(-1, 5)).toBe('-1');
  });
});

describe('exp show table', () => {
  const now = new Date(2020, 0, 2);
  it('lays out rows, tree marks, fill values and .5g floats', () => {
    const table = tabulateExperiments(states(), { precision: 5, fillValue: '-', now });
    const shown = shapeTable(table, { fillValue: '-' });
    expect(shown.headers).toEqual(['Experiment', 'Created', 'acc', 'lr']);
    expect(shown.rows).toEqual([
      ['workspace', '-', '0.5', '1'],
      ['main', '01:05 PM', '0.12346', '1'],
      ['├── bbbbbbb [x]', '01:05 PM', '0.9', '2'],
      ['└── ccccccc [y]', '01:05 PM', '-', '3'],
    ]);
    const text = renderRichTable(shown);
    expect(text.split('\n')[1]).toBe('  Experiment        Created        acc   lr  ');
  });
  it('sorts experiments, missing values last', () => {
    const table = tabulateExperiments(states(), {
      precision: 5,
      fillValue: '-',
      now,
      sortBy: 'acc',
      sortOrder: 'asc',
    });
    expect(table.rows.map((row) => row.name)).toEqual(['', '', 'x', 'y']);
    const desc = tabulateExperiments(states(), {
      precision: 5,
      fillValue: '-',
      now,
      sortBy: 'lr',
      sortOrder: 'desc',
    });
    expect(desc.rows.map((row) => row.name)).toEqual(['', '', 'y', 'x']);
    expect(() => tabulateExperiments(states(), { fillValue: '-', sortBy: 'nope' })).toThrow(
      "Unknown sort column 'nope'",
    );
  });
  it('drops unchanged columns with --only-changed and honours --keep over --drop', () => {
    const table = tabulateExperiments(states(), { precision: 5, fillValue: '-', now });
    expect(shapeTable(table, { fillValue: '-', onlyChanged: true }).headers).toContain('lr');
    const shown = shapeTable(table, { fillValue: '-', drop: ['acc|lr'], keep: ['lr'] });
    expect(shown.headers).toEqual(['Experiment', 'Created', 'lr']);
  });
  it('writes CSV as Python does', () => {
    expect(renderCsv(['a', 'b'], [['1,2', 'x"y']])).toBe('a,b\r\n"1,2","x""y"\r\n');
  });
  it('formats Created as DVC', () => {
    expect(formatCreated('2020-01-02T00:30:00', '-', false, now)).toBe('12:30 AM');
    expect(formatCreated('2019-03-04T00:30:00', '-', false, now)).toBe('Mar 04, 2019');
  });
});

describe('metrics and diff', () => {
  it('keeps numbers and strings, drops lists', () => {
    expect(extractMetrics({ a: 1, b: [1], c: { d: 'x', e: null } })).toEqual({ a: 1, c: { d: 'x' } });
  });
  it('diffs numbers, marks non-numbers', () => {
    const diff = diffExperiments(
      data('a', { acc: 0.5 }, { lr: 1, n: 'x' }),
      data('b', { acc: 1.5 }, { lr: 1, n: 'y' }),
    );
    expect(diff.params).toEqual({ 'params.yaml': { n: { old: 'x', new: 'y' } } });
    expect(diff.metrics['m.json']?.acc?.diff).toEqual(new PythonFloat(1));
    expect(diffRows(diff.params, undefined)).toEqual([['params.yaml', 'n', 'x', 'y', 'diff not supported']]);
  });
});
