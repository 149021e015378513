/**
 * A port of the part of grandalf (the Python graph layout library DVC draws `dvc dag` with) that
 * `dvc/dagascii.py` uses: `Graph` (to find the vertex order of the component), `SugiyamaLayout` with
 * `init_all(roots, optimize=True)` and `draw()` (ranking, rank optimisation, dummy vertices for long
 * edges, barycenter ordering with one adjacent-swap pass, Brandes-Köpf coordinates) and
 * `route_with_lines`. Every loop, tie and floating-point operation follows grandalf 0.8 in the same
 * order, so that the coordinates (and so the drawing) are the same bit for bit.
 *
 * Hand-written because no npm package reproduces grandalf's layout: dagre, elkjs and d3-dag all use
 * other heuristics, and the drawing depends on grandalf's exact ties.
 *
 * One thing DVC's output depends on that cannot be reproduced: grandalf keeps a component's edges in a
 * Python `set` of objects hashed by memory address, and creates the dummy vertices of long edges in
 * that set's order. Here the edges keep the order they were given in (the order the set usually has).
 */

/** A vertex of the layout: a node's box, or a dummy point of an edge that spans several layers. */
export interface LayoutVertex {
  /** The node's label (`undefined` for a dummy vertex). */
  readonly label: string | undefined;
  /** Box size; a real vertex is `len(" label ") + 2` wide and 3 high, as in DVC's VertexViewer. */
  readonly w: number;
  readonly h: number;
  /** Centre of the box (grandalf's `view.xy`). */
  xy: [number, number];
}

export interface LayoutEdge {
  readonly from: LayoutVertex;
  readonly to: LayoutVertex;
  /** The polyline: the tail's border point, the dummy points, the head's border point. */
  readonly points: readonly (readonly [number, number])[];
}

export interface SugiyamaResult {
  /** The real vertices in grandalf's `sV` order. */
  readonly vertices: readonly LayoutVertex[];
  readonly edges: readonly LayoutEdge[];
}

class Vertex implements LayoutVertex {
  readonly label: string | undefined;
  readonly w: number;
  readonly h: number;
  xy: [number, number] = [0, 0];
  /** Real vertices: their edges in attach order (grandalf's `v.e`). */
  readonly e: Edge[] = [];
  /** Dummy vertices: the vertices of their edge by rank (grandalf's `ctrl`). */
  ctrl: Map<number, Vertex> | undefined;
  /** The component poset this vertex belongs to while the graph is built. */
  poset: Vertex[] = [];
  rank = -1;
  pos = 0;
  bar = 0;
  /** Cached layer neighbours (grandalf's `nvs`): index 0 upwards (-1), 1 downwards (+1). */
  nvs: [Vertex[], Vertex[]] | undefined;
  root: Vertex = this;
  align: Vertex = this;
  sink: Vertex = this;
  shift = Number.POSITIVE_INFINITY;
  X: number | undefined;
  x: number[] = [0, 0, 0, 0];

  constructor(label: string | undefined, w: number, h: number) {
    this.label = label;
    this.w = w;
    this.h = h;
  }

  get dummy(): boolean {
    return this.label === undefined;
  }

  eIn(): Edge[] {
    return this.e.filter((edge) => edge.v[1] === this);
  }

  eOut(): Edge[] {
    return this.e.filter((edge) => edge.v[0] === this);
  }

  /** Graph neighbours (`v.N(dir)`); for a dummy vertex, its neighbour on its edge. */
  N(dir: -1 | 1): Vertex[] {
    if (this.ctrl !== undefined) {
      const next = this.ctrl.get(this.rank + dir);
      return next === undefined ? [] : [next];
    }
    return dir < 0 ? this.eIn().map((edge) => edge.v[0]) : this.eOut().map((edge) => edge.v[1]);
  }

  eWith(other: Vertex): Edge | undefined {
    return this.e.find((edge) => edge.v[0] === other || edge.v[1] === other);
  }

  /** DummyVertex.inner: is the neighbour in that direction a dummy vertex too. */
  inner(dir: -1 | 1): boolean {
    return this.ctrl !== undefined && this.N(dir).some((vertex) => vertex.dummy);
  }
}

interface Edge {
  readonly v: readonly [Vertex, Vertex];
  ctrl: Map<number, Vertex> | undefined;
}

/** A layer: its vertices, its index and grandalf's `__x` (the bar step between neighbours). */
type Layer = Vertex[] & { step: number; index: number };

/** Python's round(): to the nearest integer, halves to even. */
export function pyRound(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** bisect.bisect_right */
function bisectRight(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (value < sorted[middle]!) high = middle;
    else low = middle + 1;
  }
  return low;
}

const DIRECTIONS: Record<number, [dirh: 1 | -1, dirv: 1 | -1]> = {
  0: [1, -1],
  1: [-1, -1],
  2: [1, 1],
  3: [-1, 1],
};

class Sugiyama {
  readonly layers: Layer[] = [];
  dirh: 1 | -1 = 1;
  dirv: 1 | -1 = -1;
  dirvh = 0;
  conflicts: [Vertex, Vertex][] = [];

  constructor(
    readonly sV: readonly Vertex[],
    readonly sE: readonly Edge[],
    readonly xspace: number,
    readonly yspace: number,
    readonly dw: number,
    readonly dh: number,
  ) {}

  setDirvh(dirvh: number): void {
    this.dirvh = dirvh;
    [this.dirh, this.dirv] = DIRECTIONS[dirvh]!;
  }

  setDirv(dirv: 1 | -1): void {
    this.setDirvh(dirv + 1 + (1 - this.dirh) / 2);
  }

  upper(layer: Layer): Layer | undefined {
    return layer.index > 0 ? this.layers[layer.index - 1] : undefined;
  }

  lower(layer: Layer): Layer | undefined {
    return layer.index < this.layers.length - 1 ? this.layers[layer.index + 1] : undefined;
  }

  prevLayer(layer: Layer): Layer | undefined {
    return this.dirv === 1 ? this.lower(layer) : this.upper(layer);
  }

  nextLayer(layer: Layer): Layer | undefined {
    return this.dirv === -1 ? this.lower(layer) : this.upper(layer);
  }

  initAll(roots: Vertex[]): void {
    this.rankInit(roots);
    this.rankOptimize();
    for (const edge of this.sE) this.setDummies(edge);
    for (const layer of this.layers) this.setup(layer);
  }

  rankInit(start: Vertex[]): void {
    const scanned = new Set<Edge>();
    let unranked = start;
    while (unranked.length > 0) {
      const next: Vertex[] = [];
      for (const vertex of unranked) {
        this.setRank(vertex);
        for (const edge of vertex.eOut()) scanned.add(edge);
        for (const child of vertex.N(1)) {
          if (child.eIn().every((edge) => scanned.has(edge)) && !next.includes(child)) next.push(child);
        }
      }
      unranked = next;
    }
  }

  setRank(vertex: Vertex): void {
    const rank = Math.max(...vertex.N(-1).map((parent) => parent.rank), -1) + 1;
    vertex.rank = rank;
    const layer = this.layers[rank];
    if (layer !== undefined) layer.push(vertex);
    else this.layers.push(Object.assign([vertex], { step: 1.0, index: this.layers.length }));
  }

  rankOptimize(): void {
    for (let r = this.layers.length - 1; r >= 0; r--) {
      const layer = this.layers[r]!;
      for (let k = 0; k < layer.length; k++) {
        const vertex = layer[k]!;
        for (const parent of vertex.N(-1)) {
          if (parent.N(1).every((child) => child.rank >= vertex.rank)) {
            const old = this.layers[parent.rank]!;
            old.splice(old.indexOf(parent), 1);
            parent.rank = vertex.rank - 1;
            this.layers[vertex.rank - 1]!.push(parent);
          }
        }
      }
    }
  }

  setDummies(edge: Edge): void {
    const [v0, v1] = edge.v;
    const [r0, r1] = [v0.rank, v1.rank];
    if (r1 - r0 > 1) {
      const ctrl = new Map<number, Vertex>([
        [r0, v0],
        [r1, v1],
      ]);
      edge.ctrl = ctrl;
      for (let r = r0 + 1; r < r1; r++) {
        const dummy = new Vertex(undefined, this.dw, this.dh);
        dummy.rank = r;
        dummy.ctrl = ctrl;
        ctrl.set(r, dummy);
        this.layers[r]!.push(dummy);
      }
    }
  }

  setup(layer: Layer): void {
    if (layer.length > 1) layer.step = 1.0 / (layer.length - 1);
    layer.forEach((vertex, i) => {
      vertex.pos = i;
      vertex.bar = i * layer.step;
    });
  }

  neighbors(vertex: Vertex): Vertex[] {
    const side = this.dirv === -1 ? 0 : 1;
    if (vertex.nvs === undefined) {
      vertex.nvs = [vertex.N(-1), vertex.N(1)];
      if (!vertex.dummy) {
        for (const [side, d] of [
          [0, -1],
          [1, 1],
        ] as const) {
          const tr = vertex.rank + d;
          vertex.N(d).forEach((other, i) => {
            if (other.rank === tr) return;
            const edge = vertex.eWith(other)!;
            vertex.nvs![side][i] = edge.ctrl!.get(tr)!;
          });
        }
      }
    }
    return vertex.nvs[side];
  }

  order(layer: Layer): number {
    let crossings = this.countCrossings(layer);
    if (crossings > 0) {
      for (const vertex of layer) vertex.bar = this.meanValue(layer, vertex);
      const sorted = [...layer].sort((a, b) => a.bar - b.bar);
      sorted.forEach((vertex, i) => {
        layer[i] = vertex;
      });
      crossings = this.reduceCrossings(layer);
      layer.forEach((vertex, i) => {
        vertex.pos = i;
        vertex.bar = i * layer.step;
      });
    }
    return crossings;
  }

  meanValue(layer: Layer, vertex: Vertex): number {
    if (this.prevLayer(layer) === undefined) return vertex.bar;
    const bars = this.neighbors(vertex).map((other) => other.bar);
    if (bars.length === 0) return vertex.bar;
    let sum = 0;
    for (const bar of bars) sum += bar;
    return sum / bars.length;
  }

  countCrossings(layer: Layer): number {
    const P: number[] = [];
    for (const vertex of layer)
      P.push(
        ...this.neighbors(vertex)
          .map((other) => other.pos)
          .sort((a, b) => a - b),
      );
    const seen: number[] = [];
    let count = 0;
    P.forEach((p, i) => {
      const j = bisectRight(seen, p);
      if (j < i) count += i - j;
      seen.splice(j, 0, p);
    });
    return count;
  }

  reduceCrossings(layer: Layer): number {
    let X = 0;
    for (let i = 0; i + 1 < layer.length; i++) {
      const j = i + 1;
      const vi = layer[i]!;
      const vj = layer[j]!;
      const ni = this.neighbors(vi).map((other) => other.bar);
      let Xij = 0;
      let Xji = 0;
      for (const nj of this.neighbors(vj).map((other) => other.bar)) {
        const x = ni.filter((bar) => bar > nj).length;
        Xij += x;
        Xji += ni.length - x;
      }
      if (Xji < Xij) {
        layer[i] = vj;
        layer[j] = vi;
        X += Xji;
      } else X += Xij;
    }
    return X;
  }

  orderingStep(oneway: boolean): void {
    this.setDirv(-1);
    let crossings = 0;
    let layer: Layer | undefined;
    for (layer of this.layers) crossings += this.order(layer);
    if (oneway || crossings === 0) return;
    this.setDirv(1);
    while (layer !== undefined && layer.length > 0) {
      this.order(layer);
      layer = this.nextLayer(layer);
    }
  }

  draw(): void {
    let N = 1.5;
    while (N > 0.5) {
      this.orderingStep(false);
      N -= 1;
    }
    if (N > 0) this.orderingStep(true);
    this.setxy();
  }

  setxy(): void {
    this.detectAlignmentConflicts();
    this.resetBlocks();
    for (const layer of this.layers) for (const vertex of layer) vertex.x = [0, 0, 0, 0];
    const saved = this.dirvh;
    for (let dirvh = 0; dirvh < 4; dirvh++) {
      this.setDirvh(dirvh);
      this.verticalAlignment();
      this.horizontalCompact();
    }
    this.setDirvh(saved);
    let Y = 0;
    for (const layer of this.layers) {
      const dY = Math.max(...layer.map((vertex) => vertex.h / 2.0));
      for (const vertex of layer) {
        const vx = [...vertex.x].sort((a, b) => a - b);
        const avgm = (vx[1]! + vx[2]!) / 2.0;
        vertex.xy = [avgm, Y + dY];
      }
      Y += 2 * dY + this.yspace;
    }
  }

  detectAlignmentConflicts(): void {
    const saved = this.dirvh;
    this.setDirvh(0);
    this.conflicts = [];
    for (const L of this.layers) {
      const last = L.length - 1;
      const prev = this.prevLayer(L);
      if (prev === undefined || prev.length === 0) continue;
      let k0 = 0;
      const k1Init = prev.length - 1;
      let l = 0;
      L.forEach((v, l1) => {
        if (!v.dummy) return;
        if (l1 === last || v.inner(-1)) {
          let k1 = k1Init;
          if (v.inner(-1)) k1 = v.N(-1).at(-1)!.pos;
          for (const vl of L.slice(l, l1 + 1)) {
            for (const vk of this.neighbors(vl)) {
              const k = vk.pos;
              if (k < k0 || k > k1) this.conflicts.push([vk, vl]);
            }
          }
          l = l1 + 1;
          k0 = k1;
        }
      });
    }
    this.setDirvh(saved);
  }

  isConflict(a: Vertex, b: Vertex): boolean {
    return this.conflicts.some(([x, y]) => x === a && y === b);
  }

  verticalAlignment(): void {
    const { dirh, dirv } = this;
    const layers = dirv === -1 ? this.layers : [...this.layers].reverse();
    for (const l of layers) {
      const prev = this.prevLayer(l);
      if (prev === undefined || prev.length === 0) continue;
      let r: number | undefined;
      for (const vk of dirh === 1 ? l : [...l].reverse()) {
        for (const m of this.medianIndex(vk)) {
          const um = prev[m]!;
          if (vk.align === vk) {
            const conflict = dirv === 1 ? this.isConflict(vk, um) : this.isConflict(um, vk);
            if (!conflict && (r === undefined || dirh * r < dirh * m)) {
              um.align = vk;
              vk.root = um.root;
              vk.align = vk.root;
              r = m;
            }
          }
        }
      }
    }
  }

  medianIndex(vertex: Vertex): number[] {
    let pos = this.neighbors(vertex)
      .map((other) => other.pos)
      .sort((a, b) => a - b);
    const lp = pos.length;
    if (lp === 0) return [];
    if (this.dirh === -1) pos = pos.reverse();
    const i = Math.floor((lp - 1) / 2);
    const j = (lp - 1) % 2;
    return j === 0 ? [pos[i]!] : [pos[i]!, pos[i + j]!];
  }

  horizontalCompact(): void {
    const { dirh, dirv } = this;
    const L = dirv === -1 ? this.layers : [...this.layers].reverse();
    const inOrder = (layer: Layer) => (dirh === 1 ? layer : [...layer].reverse());
    for (const l of L) for (const v of inOrder(l)) if (v.root === v) this.placeBlock(v);
    if (dirh === -1) {
      for (const l of L) {
        for (const v of l) {
          const x = v.X;
          if (x !== undefined && x !== 0 && !Number.isNaN(x)) v.X = -x;
        }
      }
    }
    for (const l of L) {
      for (const v of inOrder(l)) {
        v.x[this.dirvh] = v.root.X!;
        const s = v.root.sink.shift;
        if (s < Number.POSITIVE_INFINITY) v.x[this.dirvh]! += dirh * s;
      }
    }
    this.resetBlocks();
  }

  /** Every vertex its own block again (root, align, sink), unplaced, with no shift. */
  resetBlocks(): void {
    for (const layer of this.layers) {
      for (const vertex of layer) {
        vertex.root = vertex;
        vertex.align = vertex;
        vertex.sink = vertex;
        vertex.shift = Number.POSITIVE_INFINITY;
        vertex.X = undefined;
      }
    }
  }

  placeBlock(v: Vertex): void {
    if (v.X !== undefined) return;
    v.X = 0.0;
    let w = v;
    for (;;) {
      const j = w.pos - this.dirh;
      const layer = this.layers[w.rank]!;
      if (j >= 0 && j < layer.length) {
        const wprec = layer[j]!;
        const delta = this.xspace + (wprec.w + w.w) / 2.0;
        const u = wprec.root;
        this.placeBlock(u);
        if (v.sink === v) v.sink = u.sink;
        if (v.sink !== u.sink) {
          const s = u.sink;
          const newshift = v.X - (u.X! + delta);
          s.shift = Math.min(s.shift, newshift);
        } else v.X = Math.max(v.X, u.X! + delta);
      }
      w = w.align;
      if (w === v) break;
    }
  }
}

type Point = readonly [number, number];

/** grandalf.utils.geometry.intersect2lines */
function intersect2lines(b: Point, p3: Point, p4: Point): Point | undefined {
  const [x3, y3] = p3;
  const [x4, y4] = p4;
  const d = [x4 - x3, y4 - y3] as const;
  const det = b[0] * d[1] - b[1] * d[0];
  if (det === 0) return undefined;
  const c = [x3, y3] as const;
  let t = (c[0] * b[1] - c[1] * b[0]) / det;
  if (t < 0.0 || t > 1.0) return undefined;
  t = (c[0] * d[1] - c[1] * d[0]) / det;
  if (t < 0.0 || t > 1.0) return undefined;
  return [t * b[0], t * b[1]];
}

/** grandalf.utils.geometry.intersectR: where the line from the box centre to `to` leaves the box. */
function intersectR(view: LayoutVertex, to: Point): Point {
  const b: Point = [to[0] - view.xy[0], to[1] - view.xy[1]];
  const bbx2 = Math.floor(view.w / 2);
  const bbx1 = -bbx2;
  const bby2 = Math.floor(view.h / 2);
  const bby1 = -bby2;
  const sides: [Point, Point][] = [
    [
      [bbx1, bby1],
      [bbx2, bby1],
    ],
    [
      [bbx2, bby1],
      [bbx2, bby2],
    ],
    [
      [bbx1, bby2],
      [bbx2, bby2],
    ],
    [
      [bbx1, bby2],
      [bbx1, bby1],
    ],
  ];
  for (const [p3, p4] of sides) {
    const xy = intersect2lines(b, p3, p4);
    if (xy !== undefined) return [xy[0] + view.xy[0], xy[1] + view.xy[1]];
  }
  throw new Error(`no intersection found (point inside ?!) for ${view.label ?? 'a dummy vertex'}`);
}

function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

/**
 * DVC's `_build_sugiyama_layout` and grandalf's layout of one connected pipeline: `nodes` in the
 * pipeline's order, `edges` as `[upstream, downstream]` in DVC's edge order (by downstream node).
 */
export function sugiyamaLayout(
  nodes: readonly string[],
  edges: readonly (readonly [string, string])[],
): SugiyamaResult {
  // DVC's VertexViewer: the vertex data is " label ", its box 2 wider, 3 high.
  const byLabel = new Map<string, Vertex>();
  for (const label of nodes) {
    if (byLabel.has(label)) continue;
    const vertex = new Vertex(label, codePointLength(label) + 4, 3);
    vertex.poset = [vertex];
    byLabel.set(label, vertex);
  }
  const vertices = [...byLabel.values()];
  // grandalf's Graph(V, E): attach each edge, merging the component posets (upstream's keeps its place).
  const components: Vertex[][] = vertices.map((vertex) => vertex.poset);
  const sE: Edge[] = [];
  for (const [from, to] of edges) {
    const x = byLabel.get(from);
    const y = byLabel.get(to);
    if (x === undefined || y === undefined || x === y) continue;
    const edge: Edge = { v: [x, y], ctrl: undefined };
    sE.push(edge);
    x.e.push(edge);
    y.e.push(edge);
    if (x.poset !== y.poset) {
      const merged = x.poset;
      const absorbed = y.poset;
      merged.push(...absorbed);
      components.splice(components.indexOf(absorbed), 1);
      for (const z of absorbed) z.poset = merged;
    }
  }
  // DVC draws one connected pipeline at a time; like grandalf's `graph.C[0]`, keep the first component.
  const sV = components[0] ?? [];
  const inComponent = new Set(sV);
  const componentEdges = sE.filter((edge) => inComponent.has(edge.v[0]));
  const widths = sV.map((vertex) => vertex.w).sort((a, b) => a - b);
  const dw = widths[Math.floor(widths.length / 2)] ?? 0;
  const minw = Math.min(...sV.map((vertex) => vertex.w));
  const layout = new Sugiyama(sV, componentEdges, minw, 3, dw, 3);
  const roots = sV.filter((vertex) => vertex.eIn().length === 0);
  layout.initAll(roots);
  layout.draw();

  const routed: LayoutEdge[] = componentEdges.map((edge) => {
    const [from, to] = edge.v;
    const points: Point[] = [from.xy];
    if (edge.ctrl !== undefined) {
      for (let r = from.rank + 1; r < to.rank; r++) points.push(edge.ctrl.get(r)!.xy);
    }
    points.push(to.xy);
    // route_with_lines: the head is aimed at the (already moved) point before it.
    points[0] = intersectR(from, points[1]!);
    points[points.length - 1] = intersectR(to, points[points.length - 2]!);
    return { from, to, points };
  });
  return { vertices: sV, edges: routed };
}
