import { describe, expect, it } from 'vitest';
import { OutputTrie, type ProducedOutput } from './output-trie';
import type { Stage, StageOutput } from './stage';

function produced(stageName: string, absolute: string): ProducedOutput {
  const stage = { name: stageName, addressing: stageName } as Stage;
  const output = { path: absolute, absolute } as StageOutput;
  return { stage, output };
}

describe('OutputTrie', () => {
  it('matches dependencies by path prefix in both directions', () => {
    const trie = new OutputTrie();
    trie.insert(produced('prepare', '/r/data/prepared'));
    trie.insert(produced('train', '/r/model.pkl'));
    const names = (absolute: string) => trie.overlapping(absolute).map((entry) => entry.stage.name);
    expect(names('/r/data/prepared')).toEqual(['prepare']);
    expect(names('/r/data/prepared/train.csv')).toEqual(['prepare']); // inside an output directory
    expect(names('/r/data')).toEqual(['prepare']); // a directory holding an output
    expect(names('/r/data/prepared2')).toEqual([]); // whole segments only
    expect(names('/r/model.pkl')).toEqual(['train']);
    expect(names('/elsewhere')).toEqual([]);
  });

  it('reports duplicates and overlaps on insert', () => {
    const trie = new OutputTrie();
    expect(trie.insert(produced('a', '/r/data'))).toBeUndefined();
    expect(trie.insert(produced('b', '/r/data'))?.kind).toBe('duplicate');
    expect(trie.insert(produced('c', '/r/data/x.csv'))?.kind).toBe('inside');
    const other = new OutputTrie();
    other.insert(produced('a', '/r/data/x.csv'));
    expect(other.insert(produced('b', '/r/data'))).toMatchObject({
      kind: 'contains',
      other: { stage: { name: 'a' } },
    });
  });

  it('lists values depth first in insertion order, like pygtrie', () => {
    const trie = new OutputTrie();
    trie.insert(produced('a', '/r/data/a'));
    trie.insert(produced('b', '/r/model'));
    trie.insert(produced('c', '/r/data/b'));
    expect(trie.values().map((entry) => entry.stage.name)).toEqual(['a', 'c', 'b']);
  });

  it('finds what produces a path (equal or enclosing, not below)', () => {
    const trie = new OutputTrie();
    trie.insert(produced('a', '/r/data'));
    trie.insert(produced('b', '/r/out/x'));
    expect(trie.producing('/r/data/file').map((entry) => entry.stage.name)).toEqual(['a']);
    expect(trie.producing('/r/out')).toEqual([]);
  });
});
