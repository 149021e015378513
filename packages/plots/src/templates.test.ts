import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fillAnchor, findTemplate, hasAnchor, TEMPLATE_NAMES } from './templates';

describe('templates', () => {
  it("has DVC's nine, in DVC's order", () => {
    expect(TEMPLATE_NAMES).toEqual([
      'simple',
      'linear',
      'confusion',
      'confusion_normalized',
      'scatter',
      'scatter_jitter',
      'smooth',
      'bar_horizontal_sorted',
      'bar_horizontal',
    ]);
    for (const name of TEMPLATE_NAMES) expect(hasAnchor(findTemplate(name).content, 'data'), name).toBe(true);
  });

  it('fills anchors as DVC: whole values anywhere, text inside strings of objects only', () => {
    const template = {
      title: '<DVC_METRIC_TITLE>',
      subtitle: 'by <DVC_METRIC_TITLE>',
      list: ['<DVC_METRIC_TITLE>', 'x <DVC_METRIC_TITLE>', [{ deep: '<DVC_METRIC_TITLE>' }]],
    };
    expect(fillAnchor(template, 'title', 'Loss')).toEqual({
      title: 'Loss',
      subtitle: 'by Loss',
      list: ['Loss', 'x <DVC_METRIC_TITLE>', [{ deep: 'Loss' }]],
    });
    expect(fillAnchor(template, 'title', { a: 1 })).toMatchObject({
      title: { a: 1 },
      subtitle: 'by <DVC_METRIC_TITLE>',
    });
  });

  it('finds custom templates in .dvc/plots (with or without .json), then by path, then built in', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'tvc-templates-'));
    const templatesDir = path.join(root, '.dvc', 'plots');
    mkdirSync(templatesDir, { recursive: true });
    writeFileSync(
      path.join(templatesDir, 'mine.json'),
      '{"mark": "bar", "data": {"values": "<DVC_METRIC_DATA>"}}',
    );
    writeFileSync(path.join(root, 'other.json'), '{"mark": "line"}');
    expect(findTemplate('mine', { templatesDir, cwd: root }).content).toMatchObject({ mark: 'bar' });
    expect(findTemplate('mine.json', { templatesDir, cwd: root }).content).toMatchObject({ mark: 'bar' });
    expect(findTemplate('other.json', { templatesDir, cwd: root }).content).toEqual({ mark: 'line' });
    expect(findTemplate(undefined, { templatesDir, cwd: root }).name).toBe('linear');
    expect(() => findTemplate('nope', { templatesDir, cwd: root })).toThrow("Template 'nope' not found.");
    writeFileSync(path.join(templatesDir, 'broken.json'), '{');
    expect(() => findTemplate('broken', { templatesDir, cwd: root })).toThrow(/is not valid JSON/);
  });
});
