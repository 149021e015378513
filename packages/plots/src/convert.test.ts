import { describe, expect, it } from 'vitest';
import { flatDatapoints, inferDataSources } from './convert';

// Expected rows and properties recorded from DVC 3.67.1's VegaConverter.flat_datapoints.
describe('flatDatapoints', () => {
  it('numbers rows by step without x, and several y fields of one file share dvc_inferred_y_value', () => {
    const data = new Map([
      [
        'loss.json',
        {
          train: [
            { loss: 1, acc: 2 },
            { loss: 0.5, acc: 3 },
          ],
        },
      ],
    ]);
    const { datapoints, properties } = flatDatapoints('loss.json', { y: ['loss', 'acc'] }, data, 'r1');
    expect(datapoints).toEqual([
      { loss: 1, acc: 2, dvc_inferred_y_value: 1, step: 0, rev: 'r1', filename: 'loss.json', field: 'loss' },
      {
        loss: 0.5,
        acc: 3,
        dvc_inferred_y_value: 0.5,
        step: 1,
        rev: 'r1',
        filename: 'loss.json',
        field: 'loss',
      },
      { loss: 1, acc: 2, dvc_inferred_y_value: 2, step: 0, rev: 'r1', filename: 'loss.json', field: 'acc' },
      { loss: 0.5, acc: 3, dvc_inferred_y_value: 3, step: 1, rev: 'r1', filename: 'loss.json', field: 'acc' },
    ]);
    expect(properties).toMatchObject({
      x: 'step',
      y: 'dvc_inferred_y_value',
      x_label: 'step',
      y_label: 'y',
      anchorsYDefinitions: [
        { filename: 'loss.json', field: 'loss' },
        { filename: 'loss.json', field: 'acc' },
      ],
    });
  });

  it('drops the common directory of several y files from filename', () => {
    const data = new Map<string, unknown>([
      ['logs/a/m.csv', [{ e: '0', l: '1' }]],
      ['logs/b/m.csv', [{ e: '0', l: '2' }]],
    ]);
    const { datapoints, properties } = flatDatapoints(
      'id',
      { x: 'e', y: { 'logs/a/m.csv': 'l', 'logs/b/m.csv': 'l' } },
      data,
      'r1',
    );
    expect(datapoints).toEqual([
      { e: '0', l: '1', rev: 'r1', filename: 'a/m.csv', field: 'l' },
      { e: '0', l: '2', rev: 'r1', filename: 'b/m.csv', field: 'l' },
    ]);
    expect(properties).toMatchObject({ x: 'e', y: 'l', x_label: 'e', y_label: 'l' });
  });

  it('joins x per file, as dvc_inferred_x_value when the x fields differ', () => {
    const data = new Map<string, unknown>([
      ['a.json', [{ t: 1, v: 2 }]],
      ['b.json', [{ s: 3, w: 4 }]],
    ]);
    const { datapoints, properties } = flatDatapoints(
      'id',
      { x: { 'a.json': 't', 'b.json': 's' }, y: { 'a.json': 'v', 'b.json': 'w' } },
      data,
      'r1',
    );
    expect(datapoints).toEqual([
      {
        t: 1,
        v: 2,
        dvc_inferred_y_value: 2,
        dvc_inferred_x_value: 1,
        rev: 'r1',
        filename: 'a.json',
        field: 'v',
      },
      {
        s: 3,
        w: 4,
        dvc_inferred_y_value: 4,
        dvc_inferred_x_value: 3,
        rev: 'r1',
        filename: 'b.json',
        field: 'w',
      },
    ]);
    expect(properties).toMatchObject({
      x: 'dvc_inferred_x_value',
      y: 'dvc_inferred_y_value',
      x_label: 'x',
      y_label: 'y',
    });
  });

  it('takes the last field of the first row as y when none is given', () => {
    const data = new Map<string, unknown>([['m.csv', [{ epoch: '0', loss: '1' }]]]);
    const { properties } = flatDatapoints('m.csv', {}, data, 'workspace');
    expect(properties?.y).toBe('loss');
  });

  it("names a missing field as DVC's FieldNotFoundError does", () => {
    const data = new Map<string, unknown>([['m.csv', [{ epoch: '0', loss: '1' }]]]);
    expect(() => flatDatapoints('m.csv', { x: 'epoch', y: 'nope' }, data, 'workspace')).toThrow(
      "Could not find provided field ('nope') in data fields ('epoch, loss').",
    );
  });

  it('refuses to join x and y files of different lengths', () => {
    const data = new Map<string, unknown>([
      ['x.csv', [{ t: '0' }, { t: '1' }]],
      ['y.csv', [{ v: '0' }]],
    ]);
    expect(() => flatDatapoints('id', { x: { 'x.csv': 't' }, y: { 'y.csv': 'v' } }, data, 'r')).toThrow(
      "Cannot join 't' from 'x.csv' and 'v' from 'y.csv'. They have to have same length.",
    );
  });

  it('gives no rows (and no properties) without data', () => {
    expect(flatDatapoints('m.csv', { y: 'loss' }, new Map(), 'r')).toEqual({
      datapoints: [],
      properties: undefined,
    });
  });
});

describe('inferDataSources', () => {
  it('is the plot id, or the y files then the first x file', () => {
    expect(inferDataSources('loss.csv', undefined)).toEqual(['loss.csv']);
    expect(inferDataSources('id', { x: { 'x.csv': 't' }, y: { 'a.csv': 'v', 'x.csv': 'w' } })).toEqual([
      'a.csv',
      'x.csv',
    ]);
  });
});
