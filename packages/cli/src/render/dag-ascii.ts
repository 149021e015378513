import type { DrawableGraph } from './dag-text';

/**
 * The ASCII drawing of `dvc dag`: boxes `+---+` / `| name |` / `+---+` in layers, joined by lines of `*`.
 *
 * DVC lays the graph out with grandalf's Sugiyama layout; this is an independent layered layout that
 * draws the same way without trying to reproduce grandalf's coordinates:
 *
 * 1. layers: each node sits one layer below its deepest upstream node (longest path from the sources);
 * 2. an edge that skips layers gets a dummy point in each layer it crosses, so it is routed between the
 *    boxes there instead of through them;
 * 3. order within a layer: barycenter sweeps down and up, keeping the order with the fewest crossings;
 * 4. columns: for a fixed order, the positions that minimise the weighted squared horizontal length of
 *    the edges (long edges weigh more, to keep them straight) under the minimum spacing of each layer,
 *    found layer by layer with an isotonic regression until it settles;
 * 5. drawing: every layer takes 3 rows of boxes and 3 rows of edges; an edge is a line of `*` from the
 *    centre of the bottom border of the upstream box to the centre of the top border of the downstream
 *    box (3 stars straight down when they are aligned), then the boxes are drawn over the lines. A line
 *    that would run along a border row into a third box is drawn within the edge rows instead.
 */

/** Rows of a box (top border, label, bottom border) and rows of edges between two layers, as in DVC. */
const BOX_ROWS = 3;
const GAP_ROWS = 3;
const PITCH = BOX_ROWS + GAP_ROWS;
/** Widest gap between two boxes of a layer (DVC uses the narrowest box's width, at least 5). */
const MAX_BOX_GAP = 8;
/** Gaps next to the dummy point of an edge that skips a layer. */
const DUMMY_BOX_GAP = 4;
const DUMMY_GAP = 2;
/** Crossing reduction: stop after this many sweeps, or this many sweeps without improvement. */
const MAX_ORDER_SWEEPS = 24;
const MAX_STALE_SWEEPS = 4;
/** Column assignment: at most this many sweeps, stopping once no layer moves by more than the tolerance. */
const MAX_PLACE_SWEEPS = 60;
const PLACE_TOLERANCE = 0.01;
/** Pull of an item with no neighbours towards where it is. */
const ANCHOR_WEIGHT = 0.01;

/** A box placed on the canvas: `left`/`top` is its top-left `+`, `width` counts both borders. */
export interface PlacedBox {
  readonly label: string;
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly layer: number;
}

/** One straight piece of an edge's line, from `(x0, y0)` down to `(x1, y1)` (`y1 > y0`). */
export type Segment = readonly [x0: number, y0: number, x1: number, y1: number];

export interface AsciiLayout {
  /** Columns and rows of the canvas. */
  readonly width: number;
  readonly height: number;
  /** One box per node, in the order of `graph.nodes`. */
  readonly boxes: readonly PlacedBox[];
  /** The drawn edges (deduplicated, without self-loops), each as the segments of its line. */
  readonly edges: readonly {
    readonly from: string;
    readonly to: string;
    readonly segments: readonly Segment[];
  }[];
}

/** A horizontal run of `*` on one row of the canvas, from column `from` to column `to` (inclusive). */
export interface Run {
  readonly row: number;
  readonly from: number;
  readonly to: number;
}

/**
 * The cells of the line from `(x0, y0)` down to `(x1, y1)` as DVC's canvas draws it: one cell per step
 * along the longer axis, the other coordinate rounded (half up) from the start. Returned as one run per row.
 */
export function lineRuns(segment: Segment): Run[] {
  const [x0, y0, x1, y1] = segment;
  const dx = Math.abs(x1 - x0);
  const dy = y1 - y0;
  const sx = x1 < x0 ? -1 : 1;
  const run = (row: number, a: number, b: number): Run => {
    const xa = x0 + sx * a;
    const xb = x0 + sx * b;
    return { row, from: Math.min(xa, xb), to: Math.max(xa, xb) };
  };
  const runs: Run[] = [];
  if (dy <= 0) {
    runs.push(run(y0, 0, dx));
  } else if (dx >= dy) {
    // Step t along x is on row y0 + round(t * dy / dx): the steps with (2r - 1)dx <= 2t·dy < (2r + 1)dx.
    for (let r = 0; r <= dy; r++) {
      const first = Math.max(0, Math.ceil(((2 * r - 1) * dx) / (2 * dy)));
      const last = Math.min(dx, Math.ceil(((2 * r + 1) * dx) / (2 * dy)) - 1);
      if (first <= last) runs.push(run(y0 + r, first, last));
    }
  } else {
    for (let t = 0; t <= dy; t++) {
      const step = Math.round((t * dx) / dy);
      runs.push(run(y0 + t, step, step));
    }
  }
  return runs;
}

interface Item {
  /** The node's label, or undefined for the dummy point of an edge that skips this layer. */
  readonly label: string | undefined;
  /** Columns taken: the box width, or 1 for a dummy point. */
  readonly width: number;
  readonly layer: number;
  readonly up: Item[];
  readonly down: Item[];
  /** Index within the layer. */
  position: number;
  /** Centre column. */
  x: number;
  /** Column offset from the first item of the layer when packed as tightly as allowed. */
  offset: number;
}

interface Node {
  readonly label: string;
  readonly next: Node[];
  waiting: number;
  done: boolean;
  layer: number;
}

function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

/** Lays out the graph: the boxes and the lines of the drawing, on a canvas that starts at column 0. */
export function layoutAscii(graph: DrawableGraph): AsciiLayout {
  const byLabel = new Map<string, Node>();
  const nodeOf = (label: string): Node => {
    let node = byLabel.get(label);
    if (node === undefined) {
      node = { label, next: [], waiting: 0, done: false, layer: 0 };
      byLabel.set(label, node);
    }
    return node;
  };
  for (const label of graph.nodes) nodeOf(label);
  const edges: [Node, Node][] = [];
  const seen = new Set<string>();
  for (const [from, to] of graph.edges) {
    const [a, b] = [nodeOf(from), nodeOf(to)];
    const key = JSON.stringify([from, to]);
    if (a !== b && !seen.has(key)) {
      seen.add(key);
      edges.push([a, b]);
      a.next.push(b);
      b.waiting++;
    }
  }
  const nodes = [...byLabel.values()];
  if (nodes.length === 0) return { width: 0, height: 0, boxes: [], edges: [] };
  assignLayers(nodes);
  // A cycle (which DVC rejects before drawing) leaves edges that cannot point down: they are not drawn.
  const drawn = edges.filter(([a, b]) => b.layer > a.layer);

  // Items: the nodes, then one dummy point per layer skipped by an edge.
  const items = new Map<Node, Item>();
  const item = (label: string | undefined, width: number, layer: number): Item => ({
    label,
    width,
    layer,
    up: [],
    down: [],
    position: 0,
    x: 0,
    offset: 0,
  });
  for (const node of nodes) items.set(node, item(node.label, codePointLength(node.label) + 4, node.layer));
  const layerCount = nodes.reduce((most, node) => Math.max(most, node.layer), 0) + 1;
  const layers: Item[][] = Array.from({ length: layerCount }, () => []);
  for (const box of items.values()) layers[box.layer]?.push(box);
  const paths = drawn.map(([a, b]) => {
    const path = [items.get(a)!];
    for (let layer = a.layer + 1; layer < b.layer; layer++) {
      const dummy = item(undefined, 1, layer);
      layers[layer]?.push(dummy);
      path.push(dummy);
    }
    path.push(items.get(b)!);
    path.reduce((upper, lower) => {
      upper.down.push(lower);
      lower.up.push(upper);
      return lower;
    });
    return path;
  });

  orderLayers(layers);
  const boxes = [...items.values()];
  const boxGap = boxes.reduce((least, box) => Math.min(least, box.width), MAX_BOX_GAP);
  placeColumns(layers, (a, b) => {
    const dummies = (a.label === undefined ? 1 : 0) + (b.label === undefined ? 1 : 0);
    const gap = dummies === 0 ? boxGap : dummies === 1 ? DUMMY_BOX_GAP : DUMMY_GAP;
    return Math.ceil(a.width / 2) + Math.floor(b.width / 2) + gap;
  });

  // Shift everything so that the leftmost box or line starts at column 0.
  const leftOf = (box: Item) => box.x - Math.floor(box.width / 2);
  const all = layers.flat();
  const minLeft = all.reduce((least, box) => Math.min(least, leftOf(box)), Number.POSITIVE_INFINITY);
  const maxRight = all.reduce(
    (most, box) => Math.max(most, leftOf(box) + box.width - 1),
    Number.NEGATIVE_INFINITY,
  );
  for (const box of all) box.x -= minLeft;
  const width = maxRight - minLeft + 1;
  const height = layerCount * PITCH - GAP_ROWS;

  // Which box covers each cell, to keep lines from running along a border row into another box.
  const owner = new Int32Array(width * height);
  const ids = new Map<Item, number>();
  for (const box of boxes) {
    ids.set(box, ids.size + 1);
    for (let row = box.layer * PITCH; row < box.layer * PITCH + BOX_ROWS; row++) {
      owner.fill(ids.size, row * width + leftOf(box), row * width + leftOf(box) + box.width);
    }
  }
  const segmentFor = (a: Item, b: Item): Segment => {
    const top = a.layer * PITCH + BOX_ROWS - 1;
    const bottom = b.layer * PITCH;
    const segment: Segment = [a.x, top, b.x, bottom];
    const allowed = [ids.get(a) ?? 0, ids.get(b) ?? 0];
    const blocked = lineRuns(segment).some((run) => {
      if (run.row !== top && run.row !== bottom) return false;
      for (let at = run.row * width + run.from; at <= run.row * width + run.to; at++) {
        const id = owner[at] ?? 0;
        if (id !== 0 && id !== allowed[0] && id !== allowed[1]) return true;
      }
      return false;
    });
    return blocked ? [a.x, top + 1, b.x, bottom - 1] : segment;
  };
  return {
    width,
    height,
    boxes: boxes.map((box) => ({
      label: box.label ?? '',
      left: leftOf(box),
      top: box.layer * PITCH,
      width: box.width,
      layer: box.layer,
    })),
    edges: paths.map((path) => {
      const segments: Segment[] = [];
      path.reduce((upper, lower) => {
        // Straight down through the layer of a dummy point.
        if (upper.label === undefined)
          segments.push([upper.x, upper.layer * PITCH, upper.x, upper.layer * PITCH + 2]);
        segments.push(segmentFor(upper, lower));
        return lower;
      });
      return { from: path[0]?.label ?? '', to: path[path.length - 1]?.label ?? '', segments };
    }),
  };
}

/** Layer of each node: 0 for sources, else one more than its deepest upstream node (Kahn's order). */
function assignLayers(nodes: readonly Node[]): void {
  const queue = nodes.filter((node) => node.waiting === 0);
  let head = 0;
  let next = 0;
  while (head < nodes.length) {
    let node = queue[head++];
    if (node === undefined) {
      // A cycle: release its first node in input order.
      while (nodes[next]?.done || nodes[next]?.waiting === 0) next++;
      node = nodes[next]!;
      node.waiting = 0;
      queue.push(node);
    }
    node.done = true;
    for (const successor of node.next) {
      if (successor.done) continue;
      successor.layer = Math.max(successor.layer, node.layer + 1);
      if (--successor.waiting === 0) queue.push(successor);
    }
  }
}

/** Orders each layer in place to reduce crossings: barycenter sweeps, keeping the best order seen. */
function orderLayers(layers: Item[][]): void {
  const index = (layer: readonly Item[]) => {
    layer.forEach((item, position) => {
      item.position = position;
    });
  };
  const sweep = (layer: Item[], side: 'up' | 'down') => {
    // Items without neighbours on that side keep their slot; the others are sorted into the remaining ones.
    const movable = layer
      .filter((item) => item[side].length > 0)
      .map((item) => ({
        item,
        key: item[side].reduce((sum, other) => sum + other.position, 0) / item[side].length,
      }))
      .sort((a, b) => a.key - b.key || a.item.position - b.item.position);
    let next = 0;
    layer.forEach((item, slot) => {
      if (item[side].length > 0) layer[slot] = movable[next++]?.item ?? item;
    });
    index(layer);
  };

  for (const layer of layers) index(layer);
  for (const layer of layers.slice(1)) sweep(layer, 'up');
  let best = layers.map((layer) => [...layer]);
  let bestCrossings = countCrossings(layers);
  let stale = 0;
  for (let round = 0; round < MAX_ORDER_SWEEPS && bestCrossings > 0 && stale < MAX_STALE_SWEEPS; round++) {
    if (round % 2 === 0) for (const layer of layers.slice(0, -1).reverse()) sweep(layer, 'down');
    else for (const layer of layers.slice(1)) sweep(layer, 'up');
    const crossings = countCrossings(layers);
    if (crossings < bestCrossings) {
      best = layers.map((layer) => [...layer]);
      bestCrossings = crossings;
      stale = 0;
    } else stale++;
  }
  best.forEach((layer, k) => {
    layers[k] = layer;
    index(layer);
  });
}

/** Edge crossings between consecutive layers (inversions of the lower ends, with a Fenwick tree). */
function countCrossings(layers: readonly Item[][]): number {
  let total = 0;
  for (const [k, layer] of layers.entries()) {
    const size = layers[k + 1]?.length ?? 0;
    const tree = new Int32Array(size + 1);
    let inserted = 0;
    for (const item of layer) {
      const ends = item.down.map((other) => other.position).sort((a, b) => a - b);
      for (const end of ends) {
        let atMost = 0;
        for (let i = end + 1; i > 0; i -= i & -i) atMost += tree[i] ?? 0;
        total += inserted - atMost;
      }
      for (const end of ends) {
        for (let i = end + 1; i <= size; i += i & -i) tree[i] = (tree[i] ?? 0) + 1;
        inserted++;
      }
    }
  }
  return total;
}

/**
 * Sets the centre column of each item: minimises the sum over edges of weight × (horizontal length)² with
 * the items of each layer kept in order and `separation(a, b)` columns apart, one layer at a time.
 */
function placeColumns(layers: readonly Item[][], separation: (a: Item, b: Item) => number): void {
  for (const layer of layers) {
    let offset = 0;
    layer.forEach((item, k) => {
      const previous = layer[k - 1];
      if (previous !== undefined) offset += separation(previous, item);
      item.offset = offset;
    });
    for (const item of layer) item.x = item.offset - offset / 2;
  }
  // Segments of long edges pull harder, so that they run straight.
  const weight = (a: Item, b: Item) => {
    const dummies = (a.label === undefined ? 1 : 0) + (b.label === undefined ? 1 : 0);
    return dummies === 0 ? 1 : dummies === 1 ? 2 : 8;
  };
  const place = (layer: readonly Item[]): number => {
    const targets: number[] = [];
    const weights: number[] = [];
    for (const item of layer) {
      let sum = 0;
      let total = 0;
      for (const other of item.up) {
        const w = weight(item, other);
        sum += w * other.x;
        total += w;
      }
      for (const other of item.down) {
        const w = weight(item, other);
        sum += w * other.x;
        total += w;
      }
      if (total === 0) {
        sum = item.x;
        total = ANCHOR_WEIGHT;
      }
      targets.push(sum / total - item.offset);
      weights.push(total);
    }
    const fitted = isotonic(targets, weights);
    let moved = 0;
    layer.forEach((item, k) => {
      const x = (fitted[k] ?? 0) + item.offset;
      moved = Math.max(moved, Math.abs(x - item.x));
      item.x = x;
    });
    return moved;
  };
  for (let round = 0; round < MAX_PLACE_SWEEPS; round++) {
    let moved = 0;
    for (const layer of round % 2 === 0 ? layers : [...layers].reverse())
      moved = Math.max(moved, place(layer));
    if (moved < PLACE_TOLERANCE) break;
  }
  // Whole columns, still in order and far enough apart (rounding the order-preserving part keeps it so).
  for (const layer of layers) {
    let previous = Number.NEGATIVE_INFINITY;
    for (const item of layer) {
      const free = Math.max(previous, Math.round(item.x - item.offset));
      item.x = free + item.offset;
      previous = free;
    }
  }
}

/** Weighted least-squares fit of a non-decreasing sequence (pool adjacent violators). */
function isotonic(targets: readonly number[], weights: readonly number[]): number[] {
  const blocks: { mean: number; total: number; count: number }[] = [];
  targets.forEach((target, k) => {
    const block = { mean: target, total: weights[k] ?? 0, count: 1 };
    for (let last = blocks.at(-1); last !== undefined && last.mean >= block.mean; last = blocks.at(-1)) {
      blocks.pop();
      block.mean = (last.mean * last.total + block.mean * block.total) / (last.total + block.total);
      block.total += last.total;
      block.count += last.count;
    }
    blocks.push(block);
  });
  return blocks.flatMap((block) => new Array<number>(block.count).fill(block.mean));
}

const SPACE = 0x20;
const STAR = 0x2a;

/** Draws one connected pipeline as boxes joined by lines of `*` (a layered layout). */
export function renderAscii(graph: DrawableGraph): string {
  const layout = layoutAscii(graph);
  const { width, height } = layout;
  const canvas = new Uint32Array(width * height).fill(SPACE);
  for (const edge of layout.edges) {
    for (const segment of edge.segments) {
      for (const run of lineRuns(segment)) {
        canvas.fill(STAR, run.row * width + run.from, run.row * width + run.to + 1);
      }
    }
  }
  const put = (x: number, y: number, text: string) => {
    let at = y * width + x;
    for (const char of text) canvas[at++] = char.codePointAt(0) ?? SPACE;
  };
  for (const box of layout.boxes) {
    const border = `+${'-'.repeat(box.width - 2)}+`;
    put(box.left, box.top, border);
    put(box.left, box.top + 1, `| ${box.label} |`);
    put(box.left, box.top + 2, border);
  }
  const lines: string[] = [];
  for (let row = 0; row < height; row++) {
    const start = row * width;
    let end = start + width;
    while (end > start && canvas[end - 1] === SPACE) end--;
    let line = '';
    for (let at = start; at < end; at += 4096) {
      line += String.fromCodePoint(...canvas.subarray(at, Math.min(end, at + 4096)));
    }
    lines.push(line);
  }
  return lines.join('\n');
}
