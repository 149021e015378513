import { pythonJsonDumps } from '@tvc/params';
import { describe, expect, it } from 'vitest';
import { findTemplate } from './templates';
import { fillTemplate } from './vega';

// Expected specs recorded from DVC 3.67.1's VegaRenderer.get_filled_template (dvc-render 1.0).
describe('fillTemplate', () => {
  it('colours revisions, dashes sources and keeps only the varying filename, as DVC', () => {
    const spec = fillTemplate({
      name: 'id',
      template: findTemplate('simple'),
      datapoints: [
        { e: '0', l: '1', rev: 'r1', filename: 'a.csv', field: 'l' },
        { e: '0', l: '2', rev: 'r2', filename: 'b.csv', field: 'l' },
      ],
      properties: {
        x: 'e',
        y: 'l',
        anchorsYDefinitions: [
          { filename: 'a.csv', field: 'l' },
          { filename: 'b.csv', field: 'l' },
        ],
      },
      revisions: ['r1', 'r2'],
    });
    expect(pythonJsonDumps(spec)).toBe(
      '{"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "data": {"values": [{"e": "0", "l": "1", "rev": "r1", "filename": "a.csv"}, {"e": "0", "l": "2", "rev": "r2", "filename": "b.csv"}]}, "title": {"text": "", "anchor": "middle"}, "params": [{"name": "grid", "select": "interval", "bind": "scales"}], "width": 300, "height": 300, "mark": {"type": "line", "tooltip": {"content": "data"}}, "encoding": {"x": {"field": "e", "type": "quantitative", "title": "e"}, "y": {"field": "l", "type": "quantitative", "title": "l", "scale": {"zero": false}}, "color": {"field": "rev", "scale": {"domain": ["r1", "r2"], "range": ["#945dd6", "#13adc7"]}}, "strokeDash": {"field": "filename", "scale": {"domain": ["a.csv", "b.csv"], "range": [[1, 0], [8, 8]]}, "legend": {"symbolFillColor": "transparent", "symbolStrokeColor": "grey"}}, "tooltip": [{"field": "rev"}, {"field": "e"}, {"field": "l"}, {"field": "filename"}]}}',
    );
  });

  it('escapes dots in field names, fills unused optional anchors with {} and drops filename and field', () => {
    const spec = fillTemplate({
      name: 'id',
      template: findTemplate('scatter'),
      datapoints: [{ 'a.b': '0', l: '1', rev: 'r1', filename: 'a.csv', field: 'l' }],
      properties: { x: 'a.b', y: 'l', title: 'T', anchorsYDefinitions: [{ filename: 'a.csv', field: 'l' }] },
      revisions: [],
    });
    expect(pythonJsonDumps(spec)).toBe(
      '{"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "data": {"values": [{"a.b": "0", "l": "1", "rev": "r1"}]}, "title": {"text": "T", "anchor": "middle"}, "width": 300, "height": 300, "mark": {"type": "point", "tooltip": {"content": "data"}}, "params": [{"name": "grid", "select": "interval", "bind": "scales"}], "encoding": {"x": {"field": "a\\\\.b", "type": "quantitative", "title": "a.b"}, "y": {"field": "l", "type": "quantitative", "title": "l"}, "color": {"field": "rev", "scale": {"domain": ["r1"], "range": ["#945dd6"]}}, "shape": {}, "tooltip": [{"field": "rev"}, {"field": "a.b"}, {"field": "l"}]}}',
    );
  });

  it('is {} without rows, and refuses a template without the data anchor', () => {
    const template = findTemplate('linear');
    expect(fillTemplate({ name: 'id', template, datapoints: [], properties: {}, revisions: [] })).toEqual({});
    expect(() =>
      fillTemplate({
        name: 'id',
        template: { name: 'bare', content: { mark: 'line' } },
        datapoints: [{ x: 1, rev: 'r' }],
        properties: { x: 'x' },
        revisions: ['r'],
      }),
    ).toThrow("Template 'bare' is not using '<DVC_METRIC_DATA>' anchor");
  });

  it('says which field the rows lack', () => {
    expect(() =>
      fillTemplate({
        name: 'id',
        template: findTemplate('linear'),
        datapoints: [{ x: 1, rev: 'r' }],
        properties: { x: 'x', y: 'loss' },
        revisions: ['r'],
      }),
    ).toThrow("Field 'loss' does not exist in provided data.");
  });
});
