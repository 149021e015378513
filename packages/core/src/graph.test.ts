import { describe, expect, it } from 'vitest';
import { DependencyGraph } from './graph';

function graphOf(edges: [string, string][], nodes: string[] = []): DependencyGraph<string> {
  const graph = new DependencyGraph<string>();
  for (const node of nodes) graph.addNode(node);
  for (const [node, dependency] of edges) graph.addEdge(node, dependency);
  return graph;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe('DependencyGraph', () => {
  it('orders dependencies before dependents, ties by name', () => {
    const graph = graphOf([
      ['d', 'b'],
      ['d', 'c'],
      ['b', 'a'],
      ['c', 'a'],
    ]);
    expect(graph.topologicalOrder(byName)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('finds ancestors, descendants and components', () => {
    const graph = graphOf(
      [
        ['b', 'a'],
        ['c', 'b'],
        ['y', 'x'],
      ],
      ['lonely'],
    );
    expect([...graph.ancestors(['c'])].sort()).toEqual(['a', 'b']);
    expect([...graph.descendants(['a'])].sort()).toEqual(['b', 'c']);
    expect(graph.components().map((component) => [...component].sort())).toEqual([
      ['lonely'],
      ['a', 'b', 'c'],
      ['x', 'y'],
    ]);
  });

  it('names each cycle in data-flow order, starting from its smallest node', () => {
    const graph = graphOf([
      ['train', 'evaluate'],
      ['evaluate', 'train'],
      ['a', 'c'],
      ['b', 'a'],
      ['c', 'b'],
      ['ok', 'a'],
    ]);
    expect(graph.cycles(byName)).toEqual(
      expect.arrayContaining([
        ['evaluate', 'train', 'evaluate'],
        ['a', 'b', 'c', 'a'],
      ]),
    );
    expect(graph.cycles(byName)).toHaveLength(2);
  });

  it('reports a self-loop and no cycle in a DAG', () => {
    expect(graphOf([['a', 'a']]).cycles(byName)).toEqual([['a', 'a']]);
    expect(
      graphOf([
        ['b', 'a'],
        ['c', 'a'],
      ]).cycles(byName),
    ).toEqual([]);
  });

  it('handles a chain of 100,000 nodes without overflowing the stack', () => {
    const graph = new DependencyGraph<number>();
    for (let index = 1; index < 100_000; index++) graph.addEdge(index, index - 1);
    expect(graph.cycles((a, b) => a - b)).toEqual([]);
    expect(graph.topologicalOrder().length).toBe(100_000);
    expect(graph.ancestors([99_999]).size).toBe(99_999);
  });
});
