import { isPythonFloat } from '@tvc/params';
import { describe, expect, it } from 'vitest';
import { datapointsOf, isImagePath, parsePlotData } from './data';

describe('parsePlotData', () => {
  it('reads CSV and TSV rows with string values, as Python csv.DictReader', () => {
    expect(parsePlotData('m.csv', 'epoch,loss\n0,1.5\n1,"0,5"\n')).toEqual([
      { epoch: '0', loss: '1.5' },
      { epoch: '1', loss: '0,5' },
    ]);
    expect(parsePlotData('m.tsv', 'epoch\tloss\n0\t1\n')).toEqual([{ epoch: '0', loss: '1' }]);
    // A short row gets null for its missing fields; extra cells are dropped.
    expect(parsePlotData('m.csv', 'a,b\n1\n2,3,4\n')).toEqual([
      { a: '1', b: null },
      { a: '2', b: '3' },
    ]);
  });

  it('names columns 0, 1, … without a header', () => {
    expect(parsePlotData('m.csv', '1,2\n3,4\n', { header: false })).toEqual([
      { 0: '1', 1: '2' },
      { 0: '3', 1: '4' },
    ]);
  });

  it('reports a malformed CSV with the file and the reason', () => {
    expect(() => parsePlotData('bad.csv', 'a,b\n1,"2\n3,4\n')).toThrow(
      /^unable to read: 'bad.csv', Quote Not Closed/,
    );
  });

  it('reads JSON as Python does (1.0 stays a float) and YAML', () => {
    const rows = parsePlotData('m.json', '[{"x": 1.0, "y": 2}]') as { x: unknown; y: unknown }[];
    expect(isPythonFloat(rows[0]!.x)).toBe(true);
    expect(rows[0]!.y).toBe(2);
    expect(parsePlotData('m.yaml', '- class: cat\n  count: 3\n')).toEqual([{ class: 'cat', count: 3 }]);
    expect(() => parsePlotData('m.json', '[{')).toThrow(
      "unable to read: 'm.json', JSON file structure is corrupted",
    );
  });

  it("refuses other extensions with DVC's message", () => {
    expect(() => parsePlotData('m.txt', '1')).toThrow(
      "'m.txt' - file type error\nOnly JSON, YAML, CSV and TSV formats are supported.",
    );
  });
});

describe('datapointsOf', () => {
  it('merges every list of uniform mappings row by row, skipping ragged lists', () => {
    expect(
      datapointsOf({
        train: [{ loss: 1 }, { loss: 2 }],
        nested: { test: [{ acc: 3 }, { acc: 4 }] },
        ragged: [{ a: 1 }, { b: 2 }],
        scalar: 5,
      }),
    ).toEqual([
      { loss: 1, acc: 3 },
      { loss: 2, acc: 4 },
    ]);
  });
});

describe('isImagePath', () => {
  it('knows DVC image extensions', () => {
    expect(['a.png', 'b.JPG', 'c.jpeg', 'd.svg', 'e.gif'].map(isImagePath)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(isImagePath('a.csv')).toBe(false);
  });
});
