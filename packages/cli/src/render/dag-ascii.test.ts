import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderAscii } from './dag-ascii';
import { pyRound, sugiyamaLayout } from './sugiyama';

/**
 * Drawings recorded from DVC 3.67.1's own `dvc.dagascii.draw` (grandalf 0.8), with grandalf's edge set
 * in creation order (test-e2e/src/dag-ascii/dvc_dag.py). `edgeOrderMatters` marks the graphs whose real
 * `dvc dag` output changes from run to run, because it follows that set's memory-address order.
 * To record more: pipe `{"drawings": [{"nodes": [...], "edges": [[up, down], ...]}]}` into dvc_dag.py
 * (with DVC's Python) and keep each `pinned` drawing.
 */
interface Golden {
  readonly name: string;
  readonly nodes: string[];
  readonly edges: [string, string][];
  readonly drawing: string;
  readonly edgeOrderMatters: boolean;
}

const goldens = JSON.parse(
  readFileSync(new URL('./dag-ascii.goldens.json', import.meta.url), 'utf8'),
) as Golden[];

describe('renderAscii', () => {
  it.each(goldens.map((golden) => [golden.name, golden] as const))('draws %s as DVC does', (_, golden) => {
    expect(renderAscii({ nodes: golden.nodes, edges: golden.edges })).toBe(golden.drawing);
  });

  it('keeps the trailing spaces of each row, as DVC prints them', () => {
    expect(renderAscii({ nodes: ['a', 'bb'], edges: [['a', 'bb']] }).split('\n')).toEqual([
      '+---+  ',
      '| a |  ',
      '+---+  ',
      '   *   ',
      '   *   ',
      '   *   ',
      '+----+ ',
      '| bb | ',
      '+----+ ',
    ]);
  });

  it('ignores duplicate edges and orders edges by their downstream node, as networkx lists them', () => {
    const graph = {
      nodes: ['a', 'b', 'c', 'd'],
      edges: [
        ['a', 'd'],
        ['a', 'b'],
        ['b', 'c'],
        ['a', 'c'],
        ['c', 'd'],
      ] as [string, string][],
    };
    const ordered = {
      nodes: graph.nodes,
      edges: [graph.edges[1]!, graph.edges[2]!, graph.edges[3]!, graph.edges[0]!, graph.edges[4]!],
    };
    expect(renderAscii({ ...graph, edges: [...graph.edges, ['a', 'b']] })).toBe(renderAscii(ordered));
  });

  it('draws an empty graph as nothing', () => {
    expect(renderAscii({ nodes: [], edges: [] })).toBe('');
  });

  it('lays out a chain of 300 stages in a column', () => {
    const nodes = Array.from({ length: 300 }, (_, k) => `s${k}`);
    const edges = nodes.slice(1).map((node, k): [string, string] => [nodes[k]!, node]);
    const { vertices } = sugiyamaLayout(nodes, edges);
    expect(new Set(vertices.map((vertex) => vertex.xy[0]))).toEqual(new Set([0]));
    expect(renderAscii({ nodes, edges }).split('\n')).toHaveLength(300 * 6 - 3);
  });
});

describe('pyRound', () => {
  it('rounds halves to even, as Python does', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 2.5001, 3].map(pyRound)).toEqual([0, 2, 2, 0, -2, 2, 3, 3]);
  });
});
