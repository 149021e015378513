import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, canonicalTable, comparisonDvc, dvc, type RunResult, TempRepo, tvc } from './harness';

/**
 * `tvc params diff` against `dvc params diff` on a project with params in YAML, JSON, TOML and
 * Python (per key and whole file, nested keys, lists), top-level `params:`, a templated var and a
 * second dvc.yaml below: two commits, then edits in the workspace. The outputs must be the same
 * bytes, except that DVC lists files in an order that changes from run to run (a Python set), so
 * rows are compared as sorted lines under an identical header, and JSON after sorting its keys.
 */
const binary = comparisonDvc('params diff');

function canonical(result: RunResult, args: readonly string[]): string {
  if (result.code !== 0) return '';
  if (args.includes('--json')) return canonicalJson(result.stdout);
  return canonicalTable(result.stdout, args.includes('--md'));
}

async function compare(dir: string, args: readonly string[]): Promise<RunResult> {
  const [theirs, ours] = await Promise.all([dvc(dir, ...args), tvc(dir, ...args)]);
  expect(ours.code, ours.stderr).toBe(theirs.code);
  expect(canonical(ours, args)).toBe(canonical(theirs, args));
  // Where the order is not DVC's random one (one file), the bytes are the same.
  if (ours.code === 0 && !args.includes('--json')) expect(ours.stdout.length).toBe(theirs.stdout.length);
  return ours;
}

async function editWorkspace(repo: TempRepo): Promise<void> {
  await repo.write(
    'params.yaml',
    'train:\n  lr: 0.01\n  epochs: 10\n  layers: [64, 32, 16]\n  optimizer:\n    name: adam\n    beta: 0.95\n    eps: 1e-08\nseed: 43\nratio: 1\nadded: new\nunused: keep\n',
  );
  await repo.write(
    'metrics.json',
    '{"threshold": 0.75, "classes": ["a", "b", "c"], "weights": {"a": 1, "b": 3}, "other": 8}\n',
  );
  await repo.write('config.toml', '[train]\nsmall = 2e-05\nratio = 1.0\n\n[data]\nsplit = 0.25\nseed = 1\n');
  await repo.write(
    'params.py',
    '"""Python params."""\nLR = 0.01\nEPOCHS: int = 10\nNAME = \'changed\'\n\n\nclass Train:\n    batch = 64\n\n    def __init__(self):\n        self.momentum = 0.9\n',
  );
  await repo.write('config/model.yaml', 'model:\n  size: 5\n  unused: 6\n');
  await repo.write('extra.yaml', 'shown: 2\n');
  await repo.write('sub/local.json', '{"depth": 4, "nested": {"k": "w"}}\n');
}

describe('tvc params diff', () => {
  let repo: TempRepo;

  beforeAll(async () => {
    repo = await TempRepo.create('params-diff-formats');
    await repo.write('params.yaml', (await repo.read('params.yaml')).replace('seed: 42', 'seed: 7'));
    await repo.write('config.toml', (await repo.read('config.toml')).replace('split = 0.2', 'split = 0.3'));
    await repo.git('commit', '-qam', 'second');
    await editWorkspace(repo);
  });
  afterAll(() => repo.remove());

  it('prints the changes of HEAD against the workspace (without DVC: recorded from DVC 3.67.1)', async () => {
    const result = await repo.tvc('params', 'diff');
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      [
        'Path               Param                 HEAD         workspace',
        'config.toml        data.seed             -            1',
        'config.toml        data.split            0.3          0.25',
        'config.toml        title                 toml params  -',
        'config.toml        train.small           1e-05        2e-05',
        'config/model.yaml  model.size            3            5',
        'extra.yaml         shown                 1            2',
        "metrics.json       classes               ['a', 'b']   ['a', 'b', 'c']",
        'metrics.json       threshold             0.5          0.75',
        'params.py          LR                    0.001        0.01',
        'params.py          Train.batch           32           64',
        'params.yaml        added                 -            new',
        'params.yaml        dropped               True         -',
        'params.yaml        seed                  7            43',
        'params.yaml        train.layers          [64, 32]     [64, 32, 16]',
        'params.yaml        train.lr              0.001        0.01',
        'params.yaml        train.optimizer.beta  0.9          0.95',
        'params.yaml        train.optimizer.eps   -            1e-08',
        'sub/local.json     depth                 3            4',
        'sub/local.json     nested.k              v            w',
        '',
      ].join('\n'),
    );
  });

  it('params show: a row per param, a column per revision; JSON by revision and file', async () => {
    const table = await repo.tvc('params', 'show', 'HEAD~1');
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toBe('Path               Param                 workspace        HEAD~1');
    expect(lines).toContain('config.toml        data.split            0.25             0.2');
    expect(lines).toContain("metrics.json       classes               ['a', 'b', 'c']  ['a', 'b']");
    expect(lines).toContain('params.yaml        dropped               -                True');
    const json = await repo.tvc('params', 'show', '--json', '--deps');
    const parsed = JSON.parse(json.stdout) as Record<string, { data: Record<string, { data: unknown }> }>;
    expect(Object.keys(parsed)).toEqual(['workspace']);
    expect(parsed.workspace!.data['params.yaml']!.data).toEqual({
      train: { lr: 0.01, optimizer: { name: 'adam', beta: 0.95, eps: 1e-8 } },
      seed: 43,
      ratio: 1,
    });
  });

  it('removes its revision snapshots', async () => {
    await repo.tvc('params', 'diff', 'HEAD~1', 'HEAD');
    const tmp = repo.path('.dvc/tmp/revisions');
    expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
  });

  const cases: { cwd?: string; args: string[] }[] = [
    { args: [] },
    { args: ['--all'] },
    { args: ['--deps'] },
    { args: ['--json'] },
    { args: ['--md'] },
    { args: ['--no-path'] },
    { args: ['--all', '--deps', '--md'] },
    { args: ['--json', '--all'] },
    { args: ['HEAD~1'] },
    { args: ['HEAD~1', 'HEAD'] },
    { args: ['HEAD~1', 'HEAD', '--all', '--json'] },
    { args: ['HEAD', 'HEAD~1', '--md'] },
    { args: ['HEAD', 'HEAD'] },
    { args: ['HEAD', 'HEAD', '--md'] },
    { args: ['HEAD', 'HEAD', '--json'] },
    { args: ['--targets', 'metrics.json', 'params.py'] },
    { args: ['nosuch'] },
    { args: ['HEAD', 'nosuch'] },
    { cwd: 'sub', args: [] },
    { cwd: 'sub', args: ['--json'] },
    { cwd: 'sub', args: ['HEAD~1', '--deps', '--md'] },
  ];
  describe.skipIf(!binary)('matches DVC', () => {
    for (const { cwd, args } of cases) {
      it(`${cwd ? `(in ${cwd}) ` : ''}params diff ${args.join(' ')}`, async () => {
        await compare(cwd ? repo.path(cwd) : repo.dir, ['params', 'diff', ...args]);
      });
    }
  });
});

describe.skipIf(!binary)('tvc params diff when something does not load, as DVC', () => {
  let repo: TempRepo;

  beforeAll(async () => {
    repo = await TempRepo.create('params-diff-formats');
  });
  afterAll(() => repo.remove());

  it('prints nothing when nothing changed', async () => {
    const result = await compare(repo.dir, ['params', 'diff']);
    expect(result.stdout).toBe('');
  });

  it('shows the keys of a params file that does not parse as missing', async () => {
    await repo.write('metrics.json', '{"threshold": ');
    const result = await compare(repo.dir, ['params', 'diff']);
    expect(result.stdout).toContain('metrics.json');
    expect(result.stderr).toContain("'workspace'");
    await compare(repo.dir, ['params', 'diff', '--json']);
  });

  it('shows a deleted params file as missing', async () => {
    await repo.git('checkout', '--', 'metrics.json');
    await repo.write('sub/local.json', '');
    await compare(repo.dir, ['params', 'diff']);
    execFileSync('rm', [repo.path('sub/local.json')]);
    await compare(repo.dir, ['params', 'diff', '--all']);
  });

  it('fails the whole revision when params.yaml (the templating context) does not parse', async () => {
    await repo.git('checkout', '--', 'sub/local.json');
    await repo.write('params.yaml', 'train: [1, 2\n');
    const result = await compare(repo.dir, ['params', 'diff']);
    expect(result.stderr).toContain("failed to load params in revision 'workspace'");
  });

  it('compares a revision without dvc.yaml: only params.yaml is read', async () => {
    await repo.git('checkout', '--', 'params.yaml');
    await repo.git('rm', '-q', 'dvc.yaml', 'sub/dvc.yaml');
    await repo.git('commit', '-qm', 'no pipeline');
    await compare(repo.dir, ['params', 'diff', 'HEAD~1', 'HEAD']);
    await compare(repo.dir, ['params', 'diff', 'HEAD~1', 'HEAD', '--all', '--md']);
  });
});

describe('tvc params diff outside a git repository', () => {
  it("is refused with DVC's message", async () => {
    const repo = await TempRepo.create(undefined, { init: false, commit: false });
    try {
      await repo.git('init', '-q');
      await repo.write('.dvc/config', '');
      execFileSync('rm', ['-rf', repo.path('.git')]);
      const result = await repo.tvc('params', 'diff');
      expect(result.code).toBe(255);
      expect(result.stderr).toContain('Only supported for Git repositories');
    } finally {
      await repo.remove();
    }
  });
});
