import { describe, expect, it } from 'vitest';
import { checkpointsBelow } from './show-checkpoints';
import type { ExpData, ExpState } from './show-collect';
import { shapeTable, tabulateExperiments } from './show-table';

const parents: Record<string, string | undefined> = {
  c3: 'c2',
  c2: 'c1',
  c1: 'base',
  base: undefined,
  x: 'base',
};
const parentOf = async (sha: string) => parents[sha];

const data = (rev: string, epoch: number): ExpData => ({
  rev,
  timestamp: '2020-01-02T13:05:00',
  params: {},
  metrics: { 'm.json': { data: { epoch } } },
  deps: {},
  outs: {},
  meta: {},
});
const state = (rev: string, name: string | null, epoch: number): ExpState => ({
  rev,
  name,
  data: data(rev, epoch),
  error: null,
  experiments: null,
});

describe('checkpointsBelow', () => {
  it('walks first parents from the tip down to the baseline, both excluded', async () => {
    expect(await checkpointsBelow('c3', 'base', parentOf)).toEqual(['c2', 'c1']);
    expect(await checkpointsBelow('x', 'base', parentOf)).toEqual([]);
  });

  it('is empty when the chain never reaches the baseline', async () => {
    expect(await checkpointsBelow('c3', 'elsewhere', parentOf)).toEqual([]);
  });
});

describe('exp show rows of a checkpoint experiment', () => {
  it("are DVC 2's: the tip with its name, then each checkpoint, the first one closing the branch", () => {
    const sha = (char: string) => char.repeat(40);
    const states: ExpState[] = [
      {
        ...state(sha('a'), 'main', 0),
        experiments: [
          {
            revs: [state(sha('3'), 'long', 3), state(sha('2'), null, 2), state(sha('1'), null, 1)],
            executor: null,
            name: 'long',
          },
          { revs: [state(sha('b'), 'plain', 9)], executor: null, name: 'plain' },
        ],
      },
    ];
    const table = tabulateExperiments(states, { fillValue: '-', now: new Date(2020, 0, 2) });
    expect(table.rows.map((row) => row.typ)).toEqual([
      'baseline',
      'checkpoint_tip',
      'checkpoint_commit',
      'checkpoint_base',
      'branch_base',
    ]);
    const shown = shapeTable(table, { fillValue: '-' });
    expect(shown.rows.map((row) => `${row[0]} ${row[shown.headers.indexOf('epoch')]}`)).toEqual([
      'main 0',
      '│ ╓ 3333333 [long] 3',
      '│ ╟ 2222222 2',
      '├─╨ 1111111 1',
      '└── bbbbbbb [plain] 9',
    ]);
  });
});
