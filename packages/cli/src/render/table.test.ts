import { describe, expect, it } from 'vitest';
import { displayWidth, renderTable } from './table';

describe('renderTable (tabulate as DVC calls it)', () => {
  const headers = ['Path', 'Param', 'HEAD', 'workspace'];

  it('pads each column to its widest cell, at least two past its header, and strips line ends', () => {
    expect(renderTable(headers, [['params.yaml', 'lr', '0.1', '0.2']])).toBe(
      ['Path         Param    HEAD    workspace', 'params.yaml  lr       0.1     0.2'].join('\n'),
    );
  });

  it('draws a GitHub pipe table, headers only when there are no rows', () => {
    expect(renderTable(headers, [], { markdown: true })).toBe(
      ['| Path   | Param   | HEAD   | workspace   |', '|--------|---------|--------|-------------|'].join(
        '\n',
      ),
    );
  });

  it('strips cells, counts wide characters twice and splits cells with line breaks', () => {
    expect(
      renderTable(
        ['A', 'B'],
        [
          ['日本', ' x '],
          ['a\nbb', 'y'],
        ],
      ),
    ).toBe(['A     B', '日本  x', 'a     y', 'bb'].join('\n'));
    expect(displayWidth('日本語')).toBe(6);
    expect(displayWidth('e\u0301')).toBe(1);
  });
});
