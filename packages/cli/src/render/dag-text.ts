/** A graph to draw: node labels in order, and edges from upstream to downstream. */
export interface DrawableGraph {
  readonly nodes: readonly string[];
  /** `[upstream, downstream]`, in insertion order. */
  readonly edges: readonly (readonly [string, string])[];
}

/** The weakly connected components in the order of their first node (networkx's order). */
export function components(graph: DrawableGraph): DrawableGraph[] {
  const neighbours = new Map<string, string[]>(graph.nodes.map((node) => [node, []]));
  for (const [from, to] of graph.edges) {
    neighbours.get(from)?.push(to);
    neighbours.get(to)?.push(from);
  }
  const seen = new Set<string>();
  const result: DrawableGraph[] = [];
  for (const start of graph.nodes) {
    if (seen.has(start)) continue;
    const members = new Set([start]);
    const stack = [start];
    seen.add(start);
    while (stack.length > 0) {
      for (const next of neighbours.get(stack.pop()!) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          members.add(next);
          stack.push(next);
        }
      }
    }
    result.push({
      nodes: graph.nodes.filter((node) => members.has(node)),
      edges: graph.edges.filter(([from]) => members.has(from)),
    });
  }
  return result;
}

/** Mermaid, exactly as `dvc dag --mermaid` prints it (and wrapped in a Markdown block for `--md`). */
export function renderMermaid(graph: DrawableGraph, markdown = false): string {
  let text = 'flowchart TD';
  let total = 0;
  for (const pipeline of components(graph)) {
    const ids = new Map<string, string>();
    for (const node of [...pipeline.nodes].sort(compareCodePoints)) {
      total += 1;
      ids.set(node, `node${total}`);
      text += `\n\t${`node${total}`}["${node}"]`;
    }
    const edges = [...pipeline.edges].sort(
      (a, b) => compareCodePoints(a[0], b[0]) || compareCodePoints(a[1], b[1]),
    );
    for (const [from, to] of edges) text += `\n\t${ids.get(from)}-->${ids.get(to)}`;
  }
  return markdown ? `\`\`\`mermaid\n${text}\n\`\`\`` : text;
}

function quote(label: string): string {
  return label.startsWith('"') && label.endsWith('"') ? label : `"${label}"`;
}

/**
 * Graphviz dot, exactly as `dvc dag --dot` prints it (networkx through pydot): a strict digraph,
 * the nodes in index order, then each node's edges to its dependents.
 */
export function renderDot(graph: DrawableGraph): string {
  const lines = ['strict digraph {'];
  for (const node of graph.nodes) lines.push(`${quote(node)};`);
  const order = new Map(graph.nodes.map((node, index) => [node, index]));
  const edges = graph.edges
    .map((edge, index) => ({ edge, index }))
    .sort((a, b) => order.get(a.edge[0])! - order.get(b.edge[0])! || a.index - b.index);
  for (const { edge } of edges) lines.push(`${quote(edge[0])} -> ${quote(edge[1])};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Python's default string order (code points), which DVC's sorted() uses. */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
