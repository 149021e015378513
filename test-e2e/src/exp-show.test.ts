import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, comparisonDvc, dvc, type RunResult, TempRepo, TVC_BIN, tvc } from './harness';

/**
 * `tvc exp show` and `tvc exp diff` against DVC 3.67.1 on experiments made by the real
 * `dvc exp run`: a stage writing metrics.json and eval/scores.yaml from params.yaml, two commits
 * (the first tagged), three named experiments on the first and one on the second, the workspace
 * left with the last experiment's results. The outputs must be the same bytes, with these
 * normalisations only:
 * - the Created column: DVC prints `HH:MM AM` for a commit made today and `Mon DD, YYYY`
 *   otherwise, deciding "today" from the clock when it runs, so two runs either side of midnight
 *   would differ; both spellings are replaced by a placeholder of the same width;
 * - `exp diff` tables: DVC walks the files of a diff in the order of a Python set, which changes
 *   from run to run, so the rows are compared per file block with the blocks sorted (the rows
 *   inside a block are DVC's sorted keys and compared as they are);
 * - `exp diff --json`: DVC's key order is a set's too, so both are compared with sorted keys.
 */
const binary = comparisonDvc('exp show / exp diff');

/** util-linux `script`, to run a command on a pseudo-terminal. */
const scriptBinary = ['/usr/bin/script', '/bin/script'].find((candidate) => existsSync(candidate));

const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;

/** Runs a command with extra environment (the harness's NO_COLOR etc. removed), stdout piped. */
function runWith(
  command: string,
  args: readonly string[],
  cwd: string,
  env: Record<string, string>,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      { cwd, env: { ...cleanEnv(), ...env }, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (error && code === -1) reject(error);
        else resolve({ stdout, stderr, code });
      },
    );
  });
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DVC_NO_ANALYTICS: '1' };
  for (const name of ['NO_COLOR', 'FORCE_COLOR', 'COLORTERM', 'COLUMNS', 'LINES', 'PAGER', 'DVC_PAGER'])
    delete env[name];
  return env;
}

/** What a command writes on a pseudo-terminal (`script -qec`), with the terminal's CR LF as LF. */
async function onTerminal(command: string, cwd: string, env: Record<string, string>): Promise<string> {
  const result = await runWith(scriptBinary!, ['-qec', command, '/dev/null'], cwd, env);
  if (result.code !== 0)
    throw new Error(`${command} failed on a terminal (${result.code}): ${result.stdout}`);
  return result.stdout.replaceAll('\r\n', '\n');
}

/** Today's `01:22 AM` and an older day's `Nov 24, 2026`, each as a placeholder of its width. */
function normaliseCreated(text: string): string {
  return text
    .replace(/\b\d\d:\d\d [AP]M\b/g, 'HH:MM XM')
    .replace(/\b[A-Z][a-z]{2} \d\d, \d{4}\b/g, 'Mon DD, YYYY');
}

/** Each table of an `exp diff` output with its row blocks (one per file) sorted. */
function canonicalDiff(text: string, markdown: boolean, withPath: boolean): string {
  const head = markdown ? 2 : 1;
  return text
    .split(/\n\n/)
    .map((table) => {
      const lines = table.split('\n');
      const rows = lines.slice(head).filter((line) => line !== '');
      if (!withPath) return [...lines.slice(0, head), ...rows.sort()].join('\n');
      const blocks = new Map<string, string[]>();
      for (const row of rows) {
        const file = (markdown ? row.split('|')[1] : row.split(/\s+/)[0]) ?? '';
        blocks.set(file, [...(blocks.get(file) ?? []), row]);
      }
      const sorted = [...blocks.keys()].sort().flatMap((file) => blocks.get(file)!);
      return [...lines.slice(0, head), ...sorted].join('\n');
    })
    .join('\n\n');
}

async function both(dir: string, args: readonly string[]): Promise<[RunResult, RunResult]> {
  // Not at the same time: DVC's `exp show` takes the repository lock and writes its cache.
  const theirs = await dvc(dir, ...args);
  const ours = await tvc(dir, ...args);
  return [ours, theirs];
}

describe.skipIf(!binary)('tvc exp show / exp diff print what DVC prints', () => {
  let repo: TempRepo;
  const names: Record<string, string> = {};

  const run = async (...args: string[]): Promise<void> => {
    const result = await repo.dvc(...args);
    if (result.code !== 0) throw new Error(`dvc ${args.join(' ')} failed: ${result.stderr}`);
  };

  beforeAll(async () => {
    repo = await TempRepo.create('exp-show-train', { commit: false });
    await run('repro', '-q');
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'first');
    await repo.git('tag', 'v1');
    await run('exp', 'run', '-q', '-S', 'train.lr=0.05', '-S', 'train.epochs=20', '-n', 'big');
    await run('exp', 'run', '-q', '-S', 'train.lr=0.001', '-n', 'small');
    await run('exp', 'run', '-q', '-S', 'seed=3', '-S', 'model.name=large', '-n', 'seeded');
    // A second commit (the workspace still holds `seeded`'s results), with one experiment.
    await run('exp', 'run', '-q', '-S', 'train.lr=0.02', '-S', 'train.epochs=10', '-S', 'seed=1');
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'second');
    await repo.git('branch', 'old', 'v1');
    await run('exp', 'run', '-q', '-S', 'train.lr=0.3', '-n', 'newer');
    for (const line of (
      await repo.git('for-each-ref', '--format=%(objectname) %(refname)', 'refs/exps')
    ).split('\n')) {
      const [sha, ref] = line.split(' ');
      if (sha && ref) names[ref.slice(ref.lastIndexOf('/') + 1)] = sha;
    }
  }, 180_000);

  afterAll(async () => {
    await repo?.remove();
  });

  const showCases: string[][] = [
    [],
    ['--json'],
    ['--csv'],
    ['--md'],
    ['--sort-by', 'acc', '--sort-order', 'desc'],
    ['--sort-by', 'train.lr'],
    ['--sort-by', 'metrics.json:loss', '--sort-order', 'asc'],
    ['--sort-by', 'params.yaml:seed', '--sort-order', 'desc', '-A'],
    ['--sort-by', 'eval/scores.yaml:auc', '--sort-order', 'desc', '-a'],
    ['--only-changed'],
    ['--only-changed', '-A', '--md'],
    ['--keep', 'loss', '--drop', 'acc|nested.*|loss'],
    ['--drop', 'train\\..*', '--csv'],
    ['--keep', 'acc'],
    ['-n', '2'],
    ['-n', '2', '--json'],
    ['-A'],
    ['-A', '--json'],
    ['-A', '--csv'],
    ['-a'],
    ['-T'],
    ['--rev', 'old'],
    ['--rev', 'v1', '--rev', 'main'],
    ['--sha'],
    ['--hide-workspace'],
    ['--param-deps'],
    ['--param-deps', '--json'],
    ['--precision', '2'],
    ['--csv', '--precision', '3'],
    ['--md', '--precision', '3'],
  ];
  for (const args of showCases) {
    it(`exp show ${args.join(' ')}`, async () => {
      const [ours, theirs] = await both(repo.dir, ['exp', 'show', ...args]);
      expect(ours.code, ours.stderr).toBe(theirs.code);
      expect(theirs.code, theirs.stderr).toBe(0);
      expect(normaliseCreated(ours.stdout)).toBe(normaliseCreated(theirs.stdout));
    });
  }

  // The table on a narrow output: `--no-pager` fits it to COLUMNS (80 when unset), as DVC's
  // rich console does when piped; without it a pipe gets the full table (tested above).
  for (const columns of ['120', '80', '60', '40', undefined]) {
    it(`exp show --no-pager piped, COLUMNS=${columns ?? 'unset'}`, async () => {
      const env = columns ? { COLUMNS: columns } : { COLUMNS: '' };
      const theirs = await runWith(binary!, ['exp', 'show', '--no-pager'], repo.dir, env);
      const ours = await runWith(process.execPath, [TVC_BIN, 'exp', 'show', '--no-pager'], repo.dir, env);
      expect(theirs.code, theirs.stderr).toBe(0);
      expect(ours.code, ours.stderr).toBe(0);
      expect(normaliseCreated(ours.stdout)).toBe(normaliseCreated(theirs.stdout));
    });
  }

  // On a terminal (a pseudo-terminal made by util-linux `script`), with --no-pager: tvc fits the
  // table to the terminal and styles it as DVC's `--no-pager` does there. Header colours by column
  // kind in the colour system TERM/COLORTERM name, bold baselines and names; no colours under
  // NO_COLOR. (Where the two squeezing orders give the same columns: tvc squeezes the constant
  // columns first on a terminal, tested below.)
  const terminals: [string, Record<string, string>][] = [
    ['256 colours, 100 columns', { TERM: 'xterm-256color', COLUMNS: '100' }],
    ['256 colours, 60 columns', { TERM: 'xterm-256color', COLUMNS: '60' }],
    ['truecolor, 45 columns', { TERM: 'xterm', COLORTERM: 'truecolor', COLUMNS: '45' }],
    ['16 colours, 70 columns', { TERM: 'xterm', COLUMNS: '70' }],
    ['NO_COLOR, 60 columns', { TERM: 'xterm-256color', COLUMNS: '60', NO_COLOR: '1' }],
  ];
  for (const [what, env] of terminals) {
    it.skipIf(!scriptBinary)(`exp show on a terminal: ${what}`, async () => {
      const theirs = await onTerminal(`${quote(binary!)} exp show --no-pager`, repo.dir, env);
      const ours = await onTerminal(
        `${quote(process.execPath)} ${quote(TVC_BIN)} exp show --no-pager`,
        repo.dir,
        env,
      );
      expect(ours).toContain('\u001b[');
      // DVC ends every command on a terminal with a reset of its own.
      expect(normaliseCreated(ours)).toBe(normaliseCreated(theirs.replace(/\u001b\[0m$/, '')));
    });
  }

  // Without --no-pager on a terminal, the full-width table goes through $PAGER as DVC sends it
  // (DVC runs `$PAGER <file>`, tvc `$PAGER` on a pipe: the same bytes for a filter).
  it.skipIf(!scriptBinary)(
    'exp show on a terminal pages the full-width table through $PAGER, as DVC',
    async () => {
      const env = { TERM: 'xterm-256color', COLUMNS: '50', PAGER: 'sed s/^/PAGED:/' };
      const theirs = await onTerminal(`${quote(binary!)} exp show`, repo.dir, env);
      const ours = await onTerminal(`${quote(process.execPath)} ${quote(TVC_BIN)} exp show`, repo.dir, env);
      expect(
        ours
          .split('\n')
          .filter(Boolean)
          .every((line) => line.startsWith('PAGED:')),
      ).toBe(true);
      expect(ours).not.toContain('…');
      expect(normaliseCreated(ours)).toBe(normaliseCreated(theirs.replace(/\u001b\[0m$/, '')));
      const unpaged = await onTerminal(
        `${quote(process.execPath)} ${quote(TVC_BIN)} exp show --no-pager`,
        repo.dir,
        env,
      );
      expect(unpaged).not.toContain('PAGED:');
    },
  );

  // Fitted to a terminal, tvc squeezes the columns that hold one value on every row before those
  // that vary (DVC squeezes right to left): the varying metric `loss` keeps its width at 120.
  it.skipIf(!scriptBinary)(
    'exp show --no-pager on a terminal gives the width to the varying columns',
    async () => {
      const env = { TERM: 'dumb', COLUMNS: '120' };
      const ours = await onTerminal(
        `${quote(process.execPath)} ${quote(TVC_BIN)} exp show --no-pager`,
        repo.dir,
        env,
      );
      const header = ours.split('\n')[1] ?? '';
      expect(header).toContain(' loss ');
      expect(header).not.toMatch(/ seed /);
      expect(Math.max(...ours.split('\n').map((line) => line.length))).toBeLessThanOrEqual(120);
    },
  );

  it('exp show: errors as DVC (unknown sort column, unknown revision)', async () => {
    for (const args of [
      ['--sort-by', 'nope'],
      ['--rev', 'nope'],
    ]) {
      const [ours, theirs] = await both(repo.dir, ['exp', 'show', ...args]);
      expect(ours.code, args.join(' ')).toBe(theirs.code);
      expect(ours.stderr).toBe(theirs.stderr);
      expect(ours.stdout).toBe(theirs.stdout);
    }
  });

  const diffCases: string[][] = [
    [],
    ['--all'],
    ['--md'],
    ['--json'],
    ['big', 'small'],
    ['big', 'seeded', '--all'],
    ['small', 'newer'],
    ['big'],
    ['v1', 'main'],
    ['main', 'big', '--all', '--md'],
    ['big', 'small', '--json'],
    ['v1', 'newer', '--all', '--json'],
    ['big', 'small', '--no-path'],
    ['big', 'small', '--no-path', '--precision', '2'],
    ['v1', 'main', '--all', '--no-path', '--md'],
    ['big', 'small', '--precision', '2'],
    ['big', 'small', '--precision', '8', '--all'],
    ['big', 'seeded', '--param-deps', '--all'],
    ['old', 'main', '--param-deps'],
    ['v1', 'v1'],
    ['v1', 'v1', '--md'],
    ['v1', 'v1', '--json'],
    ['v1', 'v1', '--all', '--json'],
  ];
  for (const args of diffCases) {
    it(`exp diff ${args.join(' ')}`, async () => {
      const [ours, theirs] = await both(repo.dir, ['exp', 'diff', ...args]);
      expect(ours.code, ours.stderr).toBe(theirs.code);
      expect(theirs.code, theirs.stderr).toBe(0);
      if (args.includes('--json')) {
        expect(canonicalJson(ours.stdout)).toBe(canonicalJson(theirs.stdout));
        return;
      }
      const markdown = args.includes('--md');
      const withPath = !args.includes('--no-path');
      expect(canonicalDiff(ours.stdout, markdown, withPath)).toBe(
        canonicalDiff(theirs.stdout, markdown, withPath),
      );
      expect(ours.stdout.length).toBe(theirs.stdout.length);
    });
  }

  it('exp diff by experiment sha', async () => {
    const args = ['exp', 'diff', names.big!.slice(0, 7), names.newer!];
    const [ours, theirs] = await both(repo.dir, args);
    expect(ours.code, ours.stderr).toBe(0);
    expect(canonicalDiff(ours.stdout, false, true)).toBe(canonicalDiff(theirs.stdout, false, true));
  });

  it('exp diff v1 v1 --all: the same rows as DVC, with the values DVC misplaces', async () => {
    // DVC's TabularData keeps its columns in a dict keyed by header, so the two columns both named
    // `v1` are one list holding old and new values in turn, and every row shows the wrong ones.
    // tvc prints each row's own value twice; the paths, names and changes are DVC's.
    const [ours, theirs] = await both(repo.dir, ['exp', 'diff', 'v1', 'v1', '--all']);
    expect(ours.code, ours.stderr).toBe(0);
    const columns = (text: string): string[] =>
      canonicalDiff(text, false, true)
        .split('\n')
        .map((line) => line.split(/\s{2,}/))
        .map((cells) => [cells[0], cells[1], cells[4]].join(' '));
    expect(columns(ours.stdout)).toEqual(columns(theirs.stdout));
    const shown = await repo.tvc('exp', 'diff', 'v1', 'main', '--all', '--json');
    const values = JSON.parse(shown.stdout) as Record<
      string,
      Record<string, Record<string, { old: unknown }>>
    >;
    const rows = ours.stdout.split('\n').filter((line) => line.startsWith('metrics.json'));
    expect(rows.length).toBe(4);
    for (const row of rows) {
      const [, key, oldValue, newValue, change] = row.split(/\s{2,}/);
      expect(newValue).toBe(oldValue);
      expect(change).toBe('0');
      expect(Number(oldValue)).toBeCloseTo(Number(values.metrics!['metrics.json']![key!]!.old), 4);
    }
  });

  it('exp diff: an unknown revision is reported as DVC does, exit 1', async () => {
    for (const args of [['nope'], ['big', 'nope']]) {
      const [ours, theirs] = await both(repo.dir, ['exp', 'diff', ...args]);
      expect(theirs.code).toBe(1);
      expect(ours.code).toBe(1);
      expect(ours.stderr).toBe(theirs.stderr);
      expect(ours.stdout).toBe(theirs.stdout);
    }
  });
});

/**
 * Revisions whose pipelines differ: tvc loads a pipeline once per distinct set of pipeline files
 * and reuses the workspace's for revisions that have its files, so a revision without
 * params.yaml, one with another dvc.yaml and an edited, uncommitted workspace must each still be
 * shown with their own columns, as DVC shows them.
 */
describe.skipIf(!binary)('tvc exp show: revisions with different pipelines, as DVC', () => {
  let repo: TempRepo;
  const run = async (...args: string[]): Promise<void> => {
    const result = await repo.dvc(...args);
    if (result.code !== 0) throw new Error(`dvc ${args.join(' ')} failed: ${result.stderr}`);
  };
  const stage = (params: string, extraMetric: boolean): string =>
    'stages:\n  make:\n    cmd: python3 make.py\n    deps:\n    - make.py\n' +
    (params ? `    params:\n${params}` : '') +
    '    metrics:\n    - m.json:\n        cache: false\n' +
    (extraMetric ? '    - extra.json:\n        cache: false\n' : '');
  const script =
    'import json, os\n' +
    "p = {}\nif os.path.exists('params.yaml'):\n    import yaml\n    p = yaml.safe_load(open('params.yaml'))\n" +
    "json.dump({'x': p.get('p', 0) * 2}, open('m.json', 'w'))\n" +
    "json.dump({'y': p.get('q', 0) + 1}, open('extra.json', 'w'))\n";

  beforeAll(async () => {
    repo = await TempRepo.create(undefined, { commit: false });
    // The first commit: no params at all.
    await repo.write('make.py', script);
    await repo.write('dvc.yaml', stage('', false));
    await run('repro', '-q');
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'no params');
    // The same dvc.yaml with a params.yaml (shown whole though nothing depends on it).
    await repo.write('params.yaml', 'p: 1\nq: 2\n');
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'params file');
    // Then one param dependency; an experiment on it.
    await repo.write('dvc.yaml', stage('    - p\n', false));
    await run('repro', '-q');
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'params');
    await run('exp', 'run', '-q', '-S', 'p=5', '-n', 'five');
    // The third: another metric; an experiment on it.
    await repo.write('dvc.yaml', stage('    - p\n    - q\n', true));
    await run('repro', '-q');
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'extra metric');
    await run('exp', 'run', '-q', '-S', 'q=7', '-n', 'seven');
    // The workspace: dvc.yaml edited and not committed.
    await repo.write('dvc.yaml', stage('    - q\n', false));
  }, 180_000);

  afterAll(async () => {
    await repo?.remove();
  });

  for (const args of [['-A'], ['-A', '--json'], ['-A', '--param-deps'], ['-n', '3', '--csv']]) {
    it(`exp show ${args.join(' ')}`, async () => {
      const [ours, theirs] = await both(repo.dir, ['exp', 'show', ...args]);
      expect(theirs.code, theirs.stderr).toBe(0);
      expect(ours.code, ours.stderr).toBe(0);
      expect(normaliseCreated(ours.stdout)).toBe(normaliseCreated(theirs.stdout));
    });
  }
});
