import { describe, expect, it } from 'vitest';
import { applyEditsToTree } from './edit-tree';
import { PythonFloat } from './python-float';
import type { ParamsTree } from './types';

describe('applyEditsToTree', () => {
  it('sets and deletes by key path, in order, on a copy', () => {
    const tree: ParamsTree = { train: { lr: 0.1, layers: [8, 16, 32] }, seed: 1 };
    const edited = applyEditsToTree(tree, [
      { kind: 'set', path: ['train', 'lr'], value: 0.01 },
      { kind: 'set', path: ['train', 'layers', '1'], value: 64 },
      { kind: 'delete', path: ['train', 'layers', '0'] },
      { kind: 'delete', path: ['seed'] },
      { kind: 'set', path: ['seed'], value: 2 },
    ]);
    expect(edited).toEqual({ train: { lr: 0.01, layers: [64, 32] }, seed: 2 });
    expect(tree).toEqual({ train: { lr: 0.1, layers: [8, 16, 32] }, seed: 1 });
  });

  it('creates the mappings a set needs; a delete of what is not there changes nothing', () => {
    expect(applyEditsToTree({}, [{ kind: 'set', path: ['a', 'b', 'c'], value: true }])).toEqual({
      a: { b: { c: true } },
    });
    const tree: ParamsTree = { a: [1], b: 'x' };
    expect(
      applyEditsToTree(tree, [
        { kind: 'delete', path: ['missing', 'key'] },
        { kind: 'delete', path: ['a', '5'] },
        { kind: 'delete', path: ['b', 'c'] },
        { kind: 'set', path: ['b', 'c'], value: 1 },
      ]),
    ).toEqual(tree);
  });

  it('keeps leaves as they are: integral floats, dates, bigints', () => {
    const one = new PythonFloat(1);
    const day = new Date(Date.UTC(2020, 0, 1));
    const edited = applyEditsToTree({ one, day, big: 2n ** 64n }, [
      { kind: 'set', path: ['x'], value: null },
    ]);
    expect(edited.one).toBe(one);
    expect(edited.day).toBe(day);
    expect(edited.big).toBe(2n ** 64n);
    expect(edited.x).toBeNull();
  });
});
