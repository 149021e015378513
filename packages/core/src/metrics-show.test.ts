import { PythonFloat } from '@tvc/params';
import { describe, expect, it } from 'vitest';
import { collectMetricsFiles, extractMetrics, hasBlockTab } from './metrics-show';

describe('extractMetrics', () => {
  it('keeps numbers, booleans and text; drops lists, nulls and empty mappings', () => {
    const data = {
      a: 1,
      b: true,
      s: 'x',
      f: new PythonFloat(2),
      l: [1],
      n: null,
      e: {},
      d: { x: { y: 0.5 }, z: [] },
    };
    expect(extractMetrics(data)).toEqual({
      a: 1,
      b: true,
      s: 'x',
      f: new PythonFloat(2),
      d: { x: { y: 0.5 } },
    });
  });
  it('gives {} for what holds no metric, and a bare value as it is', () => {
    expect(extractMetrics([1, 2])).toEqual({});
    expect(extractMetrics(null)).toEqual({});
    expect(extractMetrics({ l: [1] })).toEqual({});
    expect(extractMetrics('acc,loss 0.9,0.1')).toBe('acc,loss 0.9,0.1');
    expect(extractMetrics(0.5)).toBe(0.5);
    expect(extractMetrics(0)).toEqual({}); // Python's `val or {}`
  });
});

describe('hasBlockTab', () => {
  it('finds the tabs ruamel refuses, not those in quotes, comments or flow collections', () => {
    expect(hasBlockTab('acc\tloss\n0.9\t0.1\n')).toBe(true);
    expect(hasBlockTab('a:\tb\n')).toBe(true);
    expect(hasBlockTab('a: 1\t\n')).toBe(true);
    expect(hasBlockTab('a: "x\ty"\n')).toBe(false);
    expect(hasBlockTab('a: [1,\t2]\n')).toBe(false);
    expect(hasBlockTab('a: 1 # x\ty\n')).toBe(false);
    expect(hasBlockTab('a: 1\n')).toBe(false);
  });
});

describe('collectMetricsFiles', () => {
  it('lists stage metrics, then top-level metrics relative to their dvc.yaml, once each', () => {
    const output = (repoPath: string, kind: 'metrics' | 'outs') => ({ kind, repoPath });
    const pipeline = {
      stages: [
        { outs: [output('m.json', 'metrics'), output('model.pkl', 'outs')] },
        { outs: [output('sub/s.yaml', 'metrics')] },
      ],
      files: [
        { kind: 'pipeline', file: 'dvc.yaml', topLevel: { metrics: ['top.json', 'm.json'] } },
        { kind: 'pipeline', file: 'sub/dvc.yaml', topLevel: { metrics: ['../up.toml', 'x.json'] } },
      ],
    } as never;
    expect(collectMetricsFiles(pipeline)).toEqual([
      'm.json',
      'sub/s.yaml',
      'top.json',
      'up.toml',
      'sub/x.json',
    ]);
  });
});

describe('collectMetricsFiles outside the repository (issue 14 item 10)', () => {
  it('names an absolute top-level metric from the root, as DVC (`../x.json`)', () => {
    const pipeline = {
      root: '/r/repo',
      stages: [],
      files: [{ file: 'dvc.yaml', kind: 'pipeline', topLevel: { metrics: ['/r/x.json', '../../y.json'] } }],
    } as unknown as Parameters<typeof collectMetricsFiles>[0];
    expect(collectMetricsFiles(pipeline)).toEqual(['../x.json', '../../y.json']);
  });
});
