import { describe, expect, it } from 'vitest';
import { flattenParams, getParam, splitKey } from './key-path';

describe('key paths', () => {
  const tree = { train: { lr: 0.01, layers: [{ units: 64 }, { units: 32 }] }, seed: 1 };

  it('splits dotted keys', () => {
    expect(splitKey('a.b.c')).toEqual(['a', 'b', 'c']);
  });

  it('reads nested keys and list indices', () => {
    expect(getParam(tree, 'train.lr')).toBe(0.01);
    expect(getParam(tree, 'train.layers.1.units')).toBe(32);
    expect(getParam(tree, 'seed')).toBe(1);
  });

  it('returns undefined for a missing key instead of throwing', () => {
    expect(getParam(tree, 'train.momentum')).toBeUndefined();
    expect(getParam(tree, 'seed.x')).toBeUndefined();
    expect(getParam(tree, 'train.layers.x')).toBeUndefined();
    expect(getParam(tree, 'toString')).toBeUndefined();
  });

  it('flattens leaves and keeps lists whole', () => {
    expect([...flattenParams(tree).keys()]).toEqual(['train.lr', 'train.layers', 'seed']);
  });
});
