import type { DrawableGraph } from './dag-text';
import { pyRound, sugiyamaLayout } from './sugiyama';

/**
 * The ASCII drawing of `dvc dag`, as `dvc/dagascii.py` makes it: the pipeline laid out by grandalf's
 * Sugiyama layout (ported in ./sugiyama.ts), edges drawn as lines of `*` on a character canvas, then
 * the boxes over them. Rows keep their trailing spaces, as DVC prints them.
 */

/** dagascii.AsciiCanvas: a grid of code points. */
class AsciiCanvas {
  readonly cells: string[][];

  constructor(
    readonly cols: number,
    readonly lines: number,
  ) {
    this.cells = Array.from({ length: lines }, () => new Array<string>(cols).fill(' '));
  }

  point(x: number, y: number, char: string): void {
    const row = this.cells[y];
    if (row === undefined || x < 0 || x >= this.cols) {
      throw new Error(`dag drawing: point (${x}, ${y}) is outside the ${this.cols}x${this.lines} canvas`);
    }
    row[x] = char;
  }

  /** AsciiCanvas.line, step for step (Python's round, the same divisions). */
  line(x0: number, y0: number, x1: number, y1: number, char: string): void {
    if (x0 > x1) {
      [x0, x1] = [x1, x0];
      [y0, y1] = [y1, y0];
    }
    const dx = x1 - x0;
    const dy = y1 - y0;
    if (dx === 0 && dy === 0) this.point(x0, y0, char);
    else if (Math.abs(dx) >= Math.abs(dy)) {
      for (let x = x0; x <= x1; x++) {
        const y = dx === 0 ? y0 : y0 + pyRound(((x - x0) * dy) / dx);
        this.point(x, y, char);
      }
    } else if (y0 < y1) {
      for (let y = y0; y <= y1; y++) {
        const x = dy === 0 ? x0 : x0 + pyRound(((y - y0) * dx) / dy);
        this.point(x, y, char);
      }
    } else {
      for (let y = y1; y <= y0; y++) {
        const x = dy === 0 ? x0 : x1 + pyRound(((y - y1) * dx) / dy);
        this.point(x, y, char);
      }
    }
  }

  text(x: number, y: number, text: string): void {
    let at = x;
    for (const char of text) this.point(at++, y, char);
  }

  box(x0: number, y0: number, width: number, height: number): void {
    const w = width - 1;
    const h = height - 1;
    for (let x = x0; x < x0 + w; x++) {
      this.point(x, y0, '-');
      this.point(x, y0 + h, '-');
    }
    for (let y = y0; y < y0 + h; y++) {
      this.point(x0, y, '|');
      this.point(x0 + w, y, '|');
    }
    this.point(x0, y0, '+');
    this.point(x0 + w, y0, '+');
    this.point(x0, y0 + h, '+');
    this.point(x0 + w, y0 + h, '+');
  }

  draw(): string {
    return this.cells.map((row) => row.join('')).join('\n');
  }
}

/**
 * The edges of a pipeline in the order DVC hands them to grandalf: DVC's graph points from a stage to
 * the stages it depends on, and networkx lists edges by their first node, so by downstream node.
 */
function dvcEdgeOrder(graph: DrawableGraph): [string, string][] {
  const index = new Map<string, number>();
  graph.nodes.forEach((node, k) => {
    if (!index.has(node)) index.set(node, k);
  });
  const seen = new Set<string>();
  const edges: [string, string][] = [];
  for (const [from, to] of graph.edges) {
    const key = JSON.stringify([from, to]);
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push([from, to]);
  }
  return edges
    .map((edge, k) => ({ edge, k }))
    .sort((a, b) => (index.get(a.edge[1]) ?? 0) - (index.get(b.edge[1]) ?? 0) || a.k - b.k)
    .map(({ edge }) => edge);
}

/** Draws one connected pipeline exactly as `dvc dag` does (dagascii.draw). */
export function renderAscii(graph: DrawableGraph): string {
  if (graph.nodes.length === 0) return '';
  const { vertices, edges } = sugiyamaLayout(graph.nodes, dvcEdgeOrder(graph));
  const xs: number[] = [];
  const ys: number[] = [];
  for (const vertex of vertices) {
    xs.push(vertex.xy[0] - vertex.w / 2.0, vertex.xy[0] + vertex.w / 2.0);
    ys.push(vertex.xy[1], vertex.xy[1] + vertex.h);
  }
  for (const edge of edges) {
    for (const [x, y] of edge.points) {
      xs.push(x);
      ys.push(y);
    }
  }
  const minx = Math.min(...xs);
  const miny = Math.min(...ys);
  const maxx = Math.max(...xs);
  const maxy = Math.max(...ys);
  const canvas = new AsciiCanvas(Math.ceil(Math.ceil(maxx) - Math.floor(minx)) + 1, pyRound(maxy - miny));
  for (const edge of edges) {
    for (let k = 1; k < edge.points.length; k++) {
      const start = edge.points[k - 1]!;
      const end = edge.points[k]!;
      canvas.line(
        pyRound(start[0] - minx),
        pyRound(start[1] - miny),
        pyRound(end[0] - minx),
        pyRound(end[1] - miny),
        '*',
      );
    }
  }
  for (const vertex of vertices) {
    const x = vertex.xy[0] - vertex.w / 2.0;
    const y = vertex.xy[1];
    canvas.box(pyRound(x - minx), pyRound(y - miny), vertex.w, vertex.h);
    canvas.text(pyRound(x - minx) + 1, pyRound(y - miny) + 1, ` ${vertex.label ?? ''} `);
  }
  return canvas.draw();
}
