import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, canonicalTable, comparisonDvc, dvc, type RunResult, TempRepo, tvc } from './harness';

/**
 * `tvc metrics show` and `tvc metrics diff` against DVC's on a project with metrics in JSON
 * (nested keys), YAML, TOML, a `.csv` and a `.tsv` (DVC reads both as YAML), a file that does not
 * parse, a missing one, a top-level list, top-level `metrics:` (a file and a directory, and in a
 * second dvc.yaml below), and a cached metric (`cache: true`, read from the cache at a revision):
 * two commits, a branch, a tag, then edits in the workspace. `metrics show` is compared byte for
 * byte; `metrics diff` lists files in the order of a Python set, which changes from run to run,
 * so its rows are compared sorted (and byte for byte where one file is diffed).
 */
const binary = comparisonDvc('metrics');

async function compare(dir: string, args: readonly string[], exact: boolean): Promise<RunResult> {
  const [theirs, ours] = await Promise.all([dvc(dir, ...args), tvc(dir, ...args)]);
  expect(ours.code, ours.stderr).toBe(theirs.code);
  const errors = (result: RunResult): string[] =>
    result.stderr
      .split('\n')
      .map((line) => line.replace(/^DVC failed/, 'tvc failed')) // each says its own name
      .filter((line) => line.startsWith('tvc failed') || line.startsWith('ERROR'));
  // A usage error: DVC prints its usage too (to stdout), tvc one line.
  if (theirs.code === 254) return ours;
  expect(errors(ours)).toEqual(errors(theirs));
  if (exact) {
    expect(ours.stdout).toBe(theirs.stdout);
  } else if (args.includes('--json') && theirs.code === 0) {
    expect(canonicalJson(ours.stdout)).toBe(canonicalJson(theirs.stdout));
  } else {
    expect(canonicalTable(ours.stdout, args.includes('--md'))).toBe(
      canonicalTable(theirs.stdout, args.includes('--md')),
    );
    expect(ours.stdout.length).toBe(theirs.stdout.length);
  }
  return ours;
}

const DVC_YAML = `stages:
  train:
    cmd: cp source.json cached.json
    deps:
    - source.json
    metrics:
    - cached.json
  report:
    cmd: echo report
    metrics:
    - m.json:
        cache: false
    - m.yaml:
        cache: false
    - m.toml:
        cache: false
    - m.csv:
        cache: false
    - m.tsv:
        cache: false
    - bad.json:
        cache: false
    - missing.json:
        cache: false
    - list.yaml:
        cache: false
metrics:
- top.json
- mdir
`;

async function writeProject(repo: TempRepo): Promise<void> {
  await repo.write('dvc.yaml', DVC_YAML);
  await repo.write('source.json', '{"acc": 0.91, "loss": 0.3, "epoch": 1, "f": 2.0, "done": false}\n');
  await repo.write(
    'm.json',
    '{"acc": 0.123456789, "n": 3, "b": true, "s": "str", "nested": {"a": {"b": 0.000001234}}, "lst": [1, 2], "nul": null, "e": {}, "big": 123456.789}\n',
  );
  await repo.write('m.yaml', 'auc: 0.9\ndeep:\n  x: 2\n');
  await repo.write('m.toml', 'f1 = 0.5\n[sec]\nk = 1e-10\n');
  await repo.write('m.csv', 'acc,loss\n0.9,0.1\n0.95,0.05\n');
  await repo.write('m.tsv', 'acc\tloss\n0.9\t0.1\n');
  await repo.write('bad.json', '{bad\n');
  await repo.write('list.yaml', '- 1\n- 2\n');
  await repo.write('top.json', '{"top": 7}\n');
  await repo.write('mdir/a.json', '{"d1": 1}\n');
  await repo.write('mdir/b.yaml', 'd2: 2.25\n');
  await repo.write('sub/dvc.yaml', 'metrics:\n- eval.yaml\n- ../shared.toml\n');
  await repo.write('sub/eval.yaml', 'eval:\n  score: 0.5\n');
  await repo.write('shared.toml', 'shared = 1\n');
}

describe('tvc metrics', () => {
  let repo: TempRepo;

  beforeAll(async () => {
    repo = await TempRepo.create();
    await writeProject(repo);
    const first = await repo.tvc('repro', '-q', 'train');
    expect(first.code, first.stderr).toBe(0);
    await repo.git('add', '-A');
    await repo.git('commit', '-qm', 'first');
    await repo.git('tag', 'v1');
    await repo.git('branch', 'old');
    await repo.write(
      'source.json',
      '{"acc": 0.935, "loss": 0.2999999, "epoch": 3, "f": 2.5, "done": true}\n',
    );
    await repo.write('m.yaml', 'auc: 0.95\ndeep:\n  x: 2\n');
    await repo.write('sub/eval.yaml', 'eval:\n  score: 0.75\n');
    const second = await repo.tvc('repro', '-q', 'train');
    expect(second.code, second.stderr).toBe(0);
    await repo.git('add', '-A');
    await repo.git('commit', '-qm', 'second');
    await repo.write('source.json', '{"acc": 0.97, "loss": 0.25, "epoch": 4, "f": 2.5, "new": 5}\n');
    const third = await repo.tvc('repro', '-q', 'train');
    expect(third.code, third.stderr).toBe(0);
    await repo.write('top.json', '{"top": 8}\n');
  });
  afterAll(() => repo.remove());

  it('metrics show (without DVC: recorded from DVC 3.67.1)', async () => {
    const result = await repo.tvc('metrics', 'show');
    expect(result.stderr).toBe("tvc failed to load some metrics for following revisions: ''.\n");
    expect(result.stdout).toBe(
      [
        'Path                                       acc      auc    b     big         d1    d2    deep.x    epoch    eval.score    f    f1    loss    n    nested.a.b    new    s    sec.k    shared    top',
        'cached.json    -                           0.97     -      -     -           -     -     -         4        -             2.5  -     0.25    -    -             5      -    -        -         -',
        'm.json         -                           0.12346  -      True  123456.789  -     -     -         -        -             -    -     -       3    0.0           -      str  -        -         -',
        'm.yaml         -                           -        0.95   -     -           -     -     2         -        -             -    -     -       -    -             -      -    -        -         -',
        'm.toml         -                           -        -      -     -           -     -     -         -        -             -    0.5   -       -    -             -      -    0.0      -         -',
        'm.csv          acc,loss 0.9,0.1 0.95,0.05  -        -      -     -           -     -     -         -        -             -    -     -       -    -             -      -    -        -         -',
        'm.tsv          -                           -        -      -     -           -     -     -         -        -             -    -     -       -    -             -      -    -        -         -',
        'bad.json       -                           -        -      -     -           -     -     -         -        -             -    -     -       -    -             -      -    -        -         -',
        'missing.json   -                           -        -      -     -           -     -     -         -        -             -    -     -       -    -             -      -    -        -         -',
        'list.yaml      -                           -        -      -     -           -     -     -         -        -             -    -     -       -    -             -      -    -        -         -',
        'top.json       -                           -        -      -     -           -     -     -         -        -             -    -     -       -    -             -      -    -        -         8',
        'mdir/a.json    -                           -        -      -     -           1     -     -         -        -             -    -     -       -    -             -      -    -        -         -',
        'mdir/b.yaml    -                           -        -      -     -           -     2.25  -         -        -             -    -     -       -    -             -      -    -        -         -',
        'sub/eval.yaml  -                           -        -      -     -           -     -     -         -        0.75          -    -     -       -    -             -      -    -        -         -',
        'shared.toml    -                           -        -      -     -           -     -     -         -        -             -    -     -       -    -             -      -    -        1         -',
        '',
      ].join('\n'),
    );
  });

  it('metrics diff of a cached metric read from the cache at HEAD (without DVC: recorded)', async () => {
    const result = await repo.tvc('metrics', 'diff', '--targets', 'cached.json');
    expect(result.stdout).toBe(
      [
        'Path         Metric    HEAD    workspace    Change',
        'cached.json  acc       0.935   0.97         0.035',
        'cached.json  done      True    -            -',
        'cached.json  epoch     3       4            1',
        'cached.json  loss      0.3     0.25         -0.05',
        'cached.json  new       -       5            -',
        '',
      ].join('\n'),
    );
    const json = await repo.tvc('metrics', 'diff', 'v1', '--json', '--targets', 'cached.json');
    expect(JSON.parse(json.stdout)).toEqual({
      'cached.json': {
        acc: { old: 0.91, new: 0.97, diff: 0.97 - 0.91 },
        done: { old: false, new: null },
        epoch: { old: 1, new: 4, diff: 3 },
        f: { old: 2, new: 2.5, diff: 0.5 },
        loss: { old: 0.3, new: 0.25, diff: 0.25 - 0.3 },
        new: { old: null, new: 5 },
      },
    });
  });

  it('removes its revision snapshots', async () => {
    await repo.tvc('metrics', 'show', '-A');
    const tmp = repo.path('.dvc/tmp/revisions');
    expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
  });

  const showCases: { cwd?: string; args: string[] }[] = [
    { args: [] },
    { args: ['--json'] },
    { args: ['--md'] },
    { args: ['--precision', '2'] },
    { args: ['--precision', '0'] },
    { args: ['-a'] },
    { args: ['-T'] },
    { args: ['-a', '-T', '--json'] },
    { args: ['-A'] },
    { args: ['-A', '--md', '--precision', '1'] },
    { args: ['m.json', 'mdir', 'cached.json'] },
    { args: ['sub', '--json'] },
    { args: ['nothing.json'] },
    { args: ['--precision', 'abc'] },
    { args: ['--precision', '-1', '-T'] },
    { cwd: 'sub', args: [] },
    { cwd: 'sub', args: ['--json', '-a'] },
  ];
  const diffCases: { cwd?: string; args: string[]; exact?: boolean }[] = [
    { args: [] },
    { args: ['--all'] },
    { args: ['--json'] },
    { args: ['--md'] },
    { args: ['--no-path'] },
    { args: ['--precision', '2', '--all'] },
    { args: ['v1'] },
    { args: ['v1', 'HEAD'] },
    { args: ['old', 'main', '--md', '--all'] },
    { args: ['HEAD', 'v1', '--json'] },
    { args: ['--targets', 'cached.json'], exact: true },
    { args: ['v1', '--targets', 'cached.json', '--md', '--no-path'], exact: true },
    { args: ['v1', '--targets', 'cached.json', '--precision', '1'], exact: true },
    { args: ['v1', '--targets', 'm.yaml', 'sub'] },
    { args: ['nosuch'] },
    { args: ['HEAD', 'HEAD'], exact: true },
    { args: ['v1', 'old', '--json'], exact: true },
    { cwd: 'sub', args: ['v1'] },
  ];
  describe.skipIf(!binary)('matches DVC', () => {
    for (const { cwd, args } of showCases) {
      it(`${cwd ? `(in ${cwd}) ` : ''}metrics show ${args.join(' ')}`, async () => {
        await compare(cwd ? repo.path(cwd) : repo.dir, ['metrics', 'show', ...args], true);
      });
    }
    for (const { cwd, args, exact } of diffCases) {
      it(`${cwd ? `(in ${cwd}) ` : ''}metrics diff ${args.join(' ')}`, async () => {
        await compare(cwd ? repo.path(cwd) : repo.dir, ['metrics', 'diff', ...args], exact === true);
      });
    }
    it('metrics diff after the cached metric is deleted: read from the cache, as DVC', async () => {
      const other = await TempRepo.create();
      try {
        await writeProject(other);
        expect((await other.tvc('repro', '-q', 'train')).code).toBe(0);
        await other.git('add', '-A');
        await other.git('commit', '-qm', 'one');
        execFileSync('rm', [other.path('cached.json')]);
        await compare(other.dir, ['metrics', 'diff', '--all', '--targets', 'cached.json'], true);
        await compare(other.dir, ['metrics', 'show', 'cached.json'], true);
      } finally {
        await other.remove();
      }
    });
  });
});

describe.skipIf(!binary)('tvc metrics of a cached directory output, as DVC', () => {
  it('reads its files from the manifest in the cache at a revision, and when deleted', async () => {
    const repo = await TempRepo.create();
    try {
      await repo.write(
        'dvc.yaml',
        'stages:\n  train:\n    cmd: mkdir -p res && cp src.json res/a.json && cp src.json res/b.yaml\n    deps:\n    - src.json\n    metrics:\n    - res\n',
      );
      await repo.write('src.json', '{"acc": 0.5, "n": {"k": 1}}\n');
      expect((await repo.tvc('repro', '-q')).code).toBe(0);
      await repo.git('add', '-A');
      await repo.git('commit', '-qm', 'one');
      await repo.write('src.json', '{"acc": 0.75, "n": {"k": 2}}\n');
      expect((await repo.tvc('repro', '-q')).code).toBe(0);
      await compare(repo.dir, ['metrics', 'show', '-a'], true);
      await compare(repo.dir, ['metrics', 'show', '-a', '--json'], true);
      await compare(repo.dir, ['metrics', 'diff', '--targets', 'res/a.json'], true);
      await compare(repo.dir, ['metrics', 'diff', '--all', '--json'], false);
      await rm(repo.path('res'), { recursive: true });
      await compare(repo.dir, ['metrics', 'show', '--json'], true);
    } finally {
      await repo.remove();
    }
  });
});

describe.skipIf(!binary)('tvc metrics when the pipeline does not load, or without git, as DVC', () => {
  it('a dvc.yaml that is not YAML fails the revision (JSON error relative to the cwd)', async () => {
    const repo = await TempRepo.create();
    try {
      await writeProject(repo);
      await repo.git('add', '-A');
      await repo.git('commit', '-qm', 'one');
      await repo.write('dvc.yaml', 'stages: [\n');
      for (const args of [['show'], ['show', '--json'], ['show', '-a', '--json']]) {
        await compare(repo.dir, ['metrics', ...args], true);
      }
      await compare(repo.path('sub'), ['metrics', 'show', '--json'], true);
      await compare(repo.dir, ['metrics', 'diff'], false);
    } finally {
      await repo.remove();
    }
  });

  it('metrics show works without git (core.no_scm); the diffs refuse', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tvc-e2e-'));
    try {
      expect((await dvc(dir, 'init', '-q', '--no-scm')).code).toBe(0);
      await writeFile(path.join(dir, 'dvc.yaml'), 'metrics:\n- m.json\n');
      await writeFile(path.join(dir, 'm.json'), '{"a": 1, "b": {"c": 0.333333333}}\n');
      for (const args of [['show'], ['show', '-a'], ['show', '--json']]) {
        await compare(dir, ['metrics', ...args], true);
      }
      const [theirs, ours] = await Promise.all([dvc(dir, 'metrics', 'diff'), tvc(dir, 'metrics', 'diff')]);
      expect(ours.code).toBe(theirs.code);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!binary)('tvc metrics in a repository without commits or metrics, as DVC', () => {
  let repo: TempRepo;
  beforeAll(async () => {
    repo = await TempRepo.create(undefined, { commit: false });
  });
  afterAll(() => repo.remove());

  for (const args of [
    ['show'],
    ['show', '--md'],
    ['show', '--json'],
    ['diff'],
    ['diff', '--md'],
    ['diff', '--json'],
  ]) {
    it(`metrics ${args.join(' ')}`, async () => {
      await compare(repo.dir, ['metrics', ...args], true);
    });
  }
});
