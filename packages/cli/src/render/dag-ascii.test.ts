import { describe, expect, it } from 'vitest';
import { type AsciiLayout, layoutAscii, lineRuns, renderAscii, type Segment } from './dag-ascii';
import type { DrawableGraph } from './dag-text';

type Edge = [string, string];

interface ParsedBox {
  label: string;
  row: number;
  left: number;
  width: number;
}

/** The boxes of a drawing, found by their borders (columns count code points). */
function parseBoxes(text: string): ParsedBox[] {
  const grid = text.split('\n').map((line) => Array.from(line));
  const at = (row: number, col: number) => grid[row]?.[col] ?? ' ';
  const boxes: ParsedBox[] = [];
  grid.forEach((cells, row) => {
    for (let left = 0; left + 1 < cells.length; left++) {
      if (cells[left] !== '+' || cells[left + 1] !== '-') continue;
      let right = left + 1;
      while (cells[right] === '-') right++;
      if (cells[right] !== '+') continue;
      const width = right - left + 1;
      const border = cells.slice(left, right + 1).join('');
      const middle = (grid[row + 1] ?? []).slice(left, right + 1).join('');
      if (
        (grid[row + 2] ?? []).slice(left, right + 1).join('') === border &&
        at(row + 1, left) === '|' &&
        at(row + 1, right) === '|' &&
        middle.startsWith('| ') &&
        middle.endsWith(' |')
      ) {
        boxes.push({ label: middle.slice(2, -2), row, left, width });
        left = right;
      }
    }
  });
  return boxes;
}

function chainGraph(labels: readonly string[]): DrawableGraph {
  return { nodes: labels, edges: labels.slice(1).map((label, k): Edge => [labels[k]!, label]) };
}

/** Trailing spaces and the indentation common to all lines removed. */
function dedent(text: string): string {
  const lines = text.split('\n').map((line) => line.trimEnd());
  const indent = Math.min(
    ...lines.filter((line) => line !== '').map((line) => line.length - line.trimStart().length),
  );
  return lines.map((line) => line.slice(indent)).join('\n');
}

const centre = (box: ParsedBox) => box.left + Math.floor(box.width / 2);

const cellsOf = (segment: Segment): [number, number][] =>
  lineRuns(segment).flatMap((run) =>
    Array.from({ length: run.to - run.from + 1 }, (_, k): [number, number] => [run.from + k, run.row]),
  );

/** Checks everything the drawing promises, and returns the parsed boxes by label. */
function checkDrawing(graph: DrawableGraph): Map<string, ParsedBox> {
  const text = renderAscii(graph);
  const layout: AsciiLayout = layoutAscii(graph);
  const lines = text.split('\n');
  const problems: string[] = [];

  // Trimmed lines, no blank first line, no indentation common to all lines.
  if (lines[0] === '') problems.push('blank first line');
  if (lines.some((line) => line !== line.trimEnd())) problems.push('trailing spaces');
  if (!lines.some((line) => line !== '' && !line.startsWith(' '))) problems.push('common indentation');

  // Every node in exactly one box, where the layout put it.
  const parsed = parseBoxes(text);
  const byLabel = new Map(parsed.map((box) => [box.label, box]));
  expect(parsed.map((box) => box.label).sort()).toEqual([...new Set(graph.nodes)].sort());
  expect(parsed.map(({ label, row, left, width }) => ({ label, row, left, width }))).toEqual(
    expect.arrayContaining(
      layout.boxes.map(({ label, top, left, width }) => ({ label, row: top, left, width })),
    ),
  );

  // No two boxes overlap (with at least one free column between boxes of the same rows).
  const sorted = [...parsed].sort((a, b) => a.row - b.row || a.left - b.left);
  sorted.forEach((first, i) => {
    for (const second of sorted.slice(i + 1)) {
      if (second.row >= first.row + 3) break;
      if (second.left <= first.left + first.width) problems.push(`${first.label} touches ${second.label}`);
    }
  });

  // Which box covers each cell.
  const owner = new Map<string, string>();
  for (const box of parsed) {
    for (let y = box.row; y < box.row + 3; y++) {
      for (let x = box.left; x < box.left + box.width; x++) owner.set(`${x},${y}`, box.label);
    }
  }
  const grid = lines.map((line) => Array.from(line));

  // Every edge goes down; its line joins the two boxes, is connected and crosses no other box.
  for (const [from, to] of graph.edges) {
    if (from === to) continue;
    const up = byLabel.get(from)!;
    const down = byLabel.get(to)!;
    if (up.row + 3 > down.row - 3) problems.push(`${from} -> ${to} does not go down`);
    const edge = layout.edges.find((candidate) => candidate.from === from && candidate.to === to);
    if (edge === undefined) {
      problems.push(`${from} -> ${to} not drawn`);
      continue;
    }
    const cells = edge.segments.flatMap(cellsOf);
    const keys = new Set(cells.map(([x, y]) => `${x},${y}`));
    for (const key of keys) {
      const [x = 0, y = 0] = key.split(',').map(Number);
      const box = owner.get(key);
      if (box === undefined && grid[y]?.[x] !== '*') problems.push(`${from} -> ${to}: no * at ${key}`);
      if (box !== undefined && box !== from && box !== to) problems.push(`${from} -> ${to} crosses ${box}`);
    }
    const [upX, downX] = [centre(up), centre(down)];
    if (!keys.has(`${upX},${up.row + 2}`) && !keys.has(`${upX},${up.row + 3}`)) {
      problems.push(`${from} -> ${to} does not start below the centre of ${from}`);
    }
    if (!keys.has(`${downX},${down.row}`) && !keys.has(`${downX},${down.row - 1}`)) {
      problems.push(`${from} -> ${to} does not end above the centre of ${to}`);
    }
    // 8-connected: a walk from the first cell reaches them all.
    const [first = [0, 0]] = cells;
    const seen = new Set([`${first[0]},${first[1]}`]);
    const stack = [first];
    while (stack.length > 0) {
      const [x, y] = stack.pop()!;
      for (const dx of [-1, 0, 1]) {
        for (const dy of [-1, 0, 1]) {
          const key = `${x + dx},${y + dy}`;
          if (keys.has(key) && !seen.has(key)) {
            seen.add(key);
            stack.push([x + dx, y + dy]);
          }
        }
      }
    }
    if (seen.size !== keys.size) problems.push(`${from} -> ${to} is broken`);
  }

  // Nothing else on the canvas but boxes and lines.
  grid.forEach((cells, y) => {
    cells.forEach((char, x) => {
      if (char !== ' ' && char !== '*' && !owner.has(`${x},${y}`))
        problems.push(`stray ${char} at ${x},${y}`);
    });
  });
  expect(problems).toEqual([]);
  return byLabel;
}

/** A small deterministic pseudo-random generator, for reproducible random graphs. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe('renderAscii', () => {
  it('draws a single node as just its box', () => {
    expect(renderAscii({ nodes: ['data/data.xml.dvc'], edges: [] })).toBe(
      ['+-------------------+', '| data/data.xml.dvc |', '+-------------------+'].join('\n'),
    );
  });

  it('draws a chain as the vertical stack DVC prints', () => {
    // `dvc dag -o train` in the get-started project (DVC 3.67.1), trailing spaces removed.
    const expected = [
      '+---------------+',
      '| data/data.xml |',
      '+---------------+',
      '        *',
      '        *',
      '        *',
      '+---------------+',
      '| data/prepared |',
      '+---------------+',
      '        *',
      '        *',
      '        *',
      '+---------------+',
      '| data/features |',
      '+---------------+',
      '        *',
      '        *',
      '        *',
      '  +-----------+',
      '  | model.pkl |',
      '  +-----------+',
    ].join('\n');
    const graph = chainGraph(['data/data.xml', 'data/prepared', 'data/features', 'model.pkl']);
    expect(dedent(renderAscii(graph))).toBe(expected);
    expect(renderAscii(graph)).toBe(expected);
    checkDrawing(graph);
  });

  it('draws chains of stages like DVC', () => {
    // `dvc dag train` in the get-started project.
    const expected = [
      '+-------------------+',
      '| data/data.xml.dvc |',
      '+-------------------+',
      '          *',
      '          *',
      '          *',
      '     +---------+',
      '     | prepare |',
      '     +---------+',
      '          *',
      '          *',
      '          *',
      '    +-----------+',
      '    | featurize |',
      '    +-----------+',
      '          *',
      '          *',
      '          *',
      '      +-------+',
      '      | train |',
      '      +-------+',
    ].join('\n');
    expect(renderAscii(chainGraph(['data/data.xml.dvc', 'prepare', 'featurize', 'train']))).toBe(expected);
    // Input order does not matter for a chain.
    expect(
      renderAscii({
        nodes: ['train', 'featurize', 'prepare', 'data/data.xml.dvc'],
        edges: [
          ['featurize', 'train'],
          ['prepare', 'featurize'],
          ['data/data.xml.dvc', 'prepare'],
        ],
      }),
    ).toBe(expected);
  });

  it('draws a diamond with the sides apart and the join centred', () => {
    const graph: DrawableGraph = {
      nodes: ['a', 'b', 'c', 'd'],
      edges: [
        ['a', 'b'],
        ['a', 'c'],
        ['b', 'd'],
        ['c', 'd'],
      ],
    };
    const boxes = checkDrawing(graph);
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((label) => boxes.get(label)!) as [
      ParsedBox,
      ParsedBox,
      ParsedBox,
      ParsedBox,
    ];
    expect(b.row).toBe(c.row);
    expect(centre(b)).toBeLessThan(centre(a));
    expect(centre(c)).toBeGreaterThan(centre(a));
    expect(centre(d)).toBe(centre(a));
    expect(renderAscii(graph)).toBe(
      [
        '     +---+',
        '     | a |',
        '     +---+',
        '      * *',
        '    **   **',
        '   *       *',
        '+---+     +---+',
        '| b |     | c |',
        '+---+     +---+',
        '   *       *',
        '    **   **',
        '      * *',
        '     +---+',
        '     | d |',
        '     +---+',
      ].join('\n'),
    );
  });

  it('routes an edge that skips a layer around the box in between', () => {
    const graph: DrawableGraph = {
      nodes: ['a', 'b', 'c'],
      edges: [
        ['a', 'b'],
        ['b', 'c'],
        ['a', 'c'],
      ],
    };
    const boxes = checkDrawing(graph);
    const [a, b, c] = ['a', 'b', 'c'].map((label) => boxes.get(label)!) as [ParsedBox, ParsedBox, ParsedBox];
    expect([a.row, b.row, c.row]).toEqual([0, 6, 12]);
    // The long edge passes beside b, in b's rows, outside its box.
    const skip = layoutAscii(graph).edges.find((edge) => edge.from === 'a' && edge.to === 'c')!;
    const beside = skip.segments.flatMap(cellsOf).filter(([, y]) => y >= b.row && y < b.row + 3);
    expect(new Set(beside.map(([, y]) => y)).size).toBe(3);
    for (const [x] of beside) expect(x >= b.left + b.width).toBe(true);
    const text = renderAscii(graph).split('\n');
    for (let row = b.row; row < b.row + 3; row++) expect(text[row]).toMatch(/^[+|].*[+|] +\*$/);
  });

  it('draws the get-started pipeline with the skip edge beside train', () => {
    const graph: DrawableGraph = {
      nodes: ['prepare', 'featurize', 'train', 'evaluate', 'data/data.xml.dvc'],
      edges: [
        ['prepare', 'featurize'],
        ['featurize', 'train'],
        ['featurize', 'evaluate'],
        ['train', 'evaluate'],
        ['data/data.xml.dvc', 'prepare'],
      ],
    };
    const boxes = checkDrawing(graph);
    expect(
      ['data/data.xml.dvc', 'prepare', 'featurize', 'train', 'evaluate'].map(
        (label) => boxes.get(label)!.row,
      ),
    ).toEqual([0, 6, 12, 18, 24]);
  });

  it('draws the outputs graph of get-started', () => {
    checkDrawing({
      nodes: [
        'data/prepared',
        'data/features',
        'data/data.xml',
        'model.pkl',
        'eval/metrics.json',
        'eval/plots/metrics',
      ],
      edges: [
        ['data/prepared', 'data/features'],
        ['data/features', 'model.pkl'],
        ['data/features', 'eval/metrics.json'],
        ['data/features', 'eval/plots/metrics'],
        ['data/data.xml', 'data/prepared'],
        ['model.pkl', 'eval/metrics.json'],
        ['model.pkl', 'eval/plots/metrics'],
      ],
    });
  });

  it('lays out the skip-edge project (two sources, a shared node)', () => {
    const boxes = checkDrawing({
      nodes: ['p', 'q', 'r', 'long_stage_name_number_one', 'z'],
      edges: [
        ['p', 'q'],
        ['p', 'r'],
        ['q', 'r'],
        ['long_stage_name_number_one', 'z'],
        ['p', 'z'],
      ],
    });
    expect(boxes.get('long_stage_name_number_one')!.row).toBe(0);
    expect(boxes.get('z')!.row).toBe(6);
    expect(boxes.get('r')!.row).toBe(12);
  });

  it('draws a fan-out and fan-in symmetrically', () => {
    const fans = ['f1', 'f2', 'f3', 'f4'];
    const graph: DrawableGraph = {
      nodes: ['s1', 's2', 's3', ...fans, 'join'],
      edges: [
        ['s1', 's2'],
        ['s2', 's3'],
        ...fans.map((fan): Edge => ['s3', fan]),
        ...fans.map((fan): Edge => [fan, 'join']),
      ],
    };
    const boxes = checkDrawing(graph);
    const lefts = fans.map((fan) => boxes.get(fan)!.left);
    expect([...lefts].sort((x, y) => x - y)).toEqual(lefts);
    const middle = (centre(boxes.get('f1')!) + centre(boxes.get('f4')!)) / 2;
    expect(Math.abs(centre(boxes.get('s3')!) - middle)).toBeLessThanOrEqual(1);
    expect(centre(boxes.get('join')!)).toBe(centre(boxes.get('s3')!));
  });

  it('orders layers to avoid crossings in a tree given in a scrambled order', () => {
    const edges: Edge[] = [
      ['root', 'b'],
      ['root', 'a'],
      ['a', 'a2'],
      ['b', 'b1'],
      ['a', 'a1'],
      ['b', 'b2'],
      ['root', 'c'],
      ['c', 'c1'],
    ];
    const graph: DrawableGraph = { nodes: ['b1', 'a2', 'c1', 'root', 'b2', 'a1', 'c', 'a', 'b'], edges };
    const boxes = checkDrawing(graph);
    for (const [u1, v1] of edges) {
      for (const [u2, v2] of edges) {
        const [a, b] = [boxes.get(u1)!, boxes.get(u2)!];
        if (a.row === b.row && centre(a) < centre(b)) {
          expect(centre(boxes.get(v1)!)).toBeLessThan(centre(boxes.get(v2)!));
        }
      }
    }
  });

  it('keeps long and unicode labels whole', () => {
    const long = `stage_${'x'.repeat(120)}`;
    const graph: DrawableGraph = {
      nodes: ['a', long, 'données', '模型', '🚀 deploy'],
      edges: [
        ['a', long],
        ['a', 'données'],
        [long, '模型'],
        ['données', '模型'],
        ['模型', '🚀 deploy'],
        ['a', '🚀 deploy'],
      ],
    };
    const boxes = checkDrawing(graph);
    expect(boxes.get('🚀 deploy')!.width).toBe(Array.from('🚀 deploy').length + 4);
    expect(renderAscii(graph)).toContain(`| ${long} |`);
  });

  it('is deterministic and ignores duplicate edges and self-loops', () => {
    const graph: DrawableGraph = {
      nodes: ['a', 'b', 'c'],
      edges: [
        ['a', 'b'],
        ['a', 'b'],
        ['b', 'b'],
        ['b', 'c'],
      ],
    };
    expect(renderAscii(graph)).toBe(renderAscii(chainGraph(['a', 'b', 'c'])));
    expect(renderAscii(graph)).toBe(renderAscii(graph));
  });

  it('still draws every box of a cyclic graph (DVC rejects those before drawing)', () => {
    const text = renderAscii({
      nodes: ['a', 'b', 'c'],
      edges: [
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'a'],
      ],
    });
    expect(parseBoxes(text).map((box) => box.label)).toEqual(['a', 'b', 'c']);
  });

  it('draws random DAGs without overlaps or lines through boxes', () => {
    const next = random(42);
    for (let round = 0; round < 25; round++) {
      const count = 3 + Math.floor(next() * 25);
      const names = Array.from(
        { length: count },
        (_, k) => `${['prep', 'train_model', 'x', 'evaluate'][k % 4]}_${k}`,
      );
      const edges: Edge[] = [];
      for (let k = 1; k < count; k++) {
        const parents = 1 + Math.floor(next() * 3);
        for (let p = 0; p < parents; p++) edges.push([names[Math.floor(next() * k)]!, names[k]!]);
      }
      // Shuffle the node order: the layout must not depend on it being topological.
      const nodes = [...names];
      for (let k = nodes.length - 1; k > 0; k--) {
        const other = Math.floor(next() * (k + 1));
        [nodes[k], nodes[other]] = [nodes[other]!, nodes[k]!];
      }
      checkDrawing({ nodes, edges });
    }
  });

  it('draws 2,000 stages in a chain', () => {
    const names = Array.from({ length: 2000 }, (_, k) => `stage_${k}`);
    const text = renderAscii(chainGraph(names));
    const lines = text.split('\n');
    expect(lines).toHaveLength(2000 * 6 - 3);
    const boxes = parseBoxes(text);
    expect(boxes.map((box) => box.label)).toEqual(names);
    boxes.forEach((box, k) => {
      expect(box.row).toBe(k * 6);
      expect(centre(box)).toBe(centre(boxes[0]!));
    });
    for (let k = 0; k + 1 < boxes.length; k++) {
      for (let row = k * 6 + 3; row < k * 6 + 6; row++)
        expect(lines[row]).toBe(`${' '.repeat(centre(boxes[0]!))}*`);
    }
  });

  it('draws a fan-out and fan-in of 2,000 stages side by side', () => {
    const leaves = Array.from({ length: 2000 }, (_, k) => `leaf_${k}`);
    const graph: DrawableGraph = {
      nodes: ['root', ...leaves, 'sink'],
      edges: [...leaves.map((leaf): Edge => ['root', leaf]), ...leaves.map((leaf): Edge => [leaf, 'sink'])],
    };
    const text = renderAscii(graph);
    const boxes = parseBoxes(text);
    expect(boxes).toHaveLength(2002);
    const row = new Map(boxes.map((box) => [box.label, box]));
    expect(row.get('root')!.row).toBe(0);
    expect(row.get('sink')!.row).toBe(12);
    const layer = boxes.filter((box) => box.row === 6);
    expect(layer.map((box) => box.label)).toEqual(leaves);
    for (let k = 1; k < layer.length; k++)
      expect(layer[k]!.left).toBeGreaterThan(layer[k - 1]!.left + layer[k - 1]!.width);
    expect(text.split('\n')).toHaveLength(15);
    // A line arrives above every leaf and leaves below it.
    const lines = text.split('\n');
    for (const leaf of layer) {
      expect(lines[5]!.slice(Math.max(0, leaf.left - 1), leaf.left + leaf.width + 1)).toContain('*');
      expect(lines[9]!.slice(Math.max(0, leaf.left - 1), leaf.left + leaf.width + 1)).toContain('*');
    }
  });
});
