import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertNoUnexpectedError,
  REPO_ROOT,
  type RunResult,
  spawnCollect,
  TempRepo,
  TVC_BIN,
} from './harness';

// `tvc lint`, `--fix`, `tvc install --hooks`, the pre-commit hook and `repro --trace`, end to end.
// The stages run Python scripts that import yaml: .ci/run installs pre-commit into .venv, which
// brings PyYAML, so .venv/bin goes first on PATH.

const VENV_BIN = path.join(REPO_ROOT, '.venv', 'bin');
const PATH_WITH_VENV = existsSync(VENV_BIN) ? `${VENV_BIN}:${process.env.PATH}` : (process.env.PATH ?? '');

function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<RunResult> {
  return spawnCollect(command, args, cwd, { PATH: PATH_WITH_VENV, ...env });
}

async function tvc(repo: TempRepo, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const result = await run(process.execPath, [TVC_BIN, ...args], repo.dir, env);
  return assertNoUnexpectedError(`tvc ${args.join(' ')}`, result);
}

async function setEpochs(repo: TempRepo, epochs: number): Promise<void> {
  const text = await repo.read('params.yaml');
  await repo.write('params.yaml', text.replace(/epochs: \d+/, `epochs: ${epochs}`));
}

describe("the seed's example: train reads train.epochs but declares only learning_rate and batch_size", () => {
  let repo: TempRepo;
  beforeAll(async () => {
    repo = await TempRepo.create('lint-seed');
  });
  afterAll(() => repo.remove());

  it('without the declaration, changing epochs reruns nothing (the gotcha)', async () => {
    expect((await tvc(repo, ['repro', '-q'])).code).toBe(0);
    await setEpochs(repo, 11);
    const status = await tvc(repo, ['status']);
    expect(status.stdout).toContain('Data and pipelines are up to date.');
  });

  it("tvc lint reports train.epochs at the stage's params: line, exit 1", async () => {
    const result = await tvc(repo, ['lint']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toContain(
      "dvc.yaml:7:5: warning [undeclared-param] stage 'train' reads 'train.epochs' (src/train.py:9)",
    );
    expect(result.stdout).toContain("fix: add 'train.epochs' under the stage's params");
    expect(result.stdout).toContain('0 errors, 1 warning.');
  });

  it('--json and --format sarif carry the same finding', async () => {
    const json = JSON.parse((await tvc(repo, ['lint', '--json'])).stdout) as {
      findings: { rule: string; subject: string; location: { line: number; column: number } }[];
    };
    expect(json.findings).toHaveLength(1);
    expect(json.findings[0]).toMatchObject({
      rule: 'undeclared-param',
      subject: 'train.epochs',
      location: { file: 'dvc.yaml', line: 7, column: 5 },
    });
    const sarif = JSON.parse((await tvc(repo, ['lint', '--format', 'sarif'])).stdout) as {
      version: string;
      runs: {
        results: { ruleId: string; locations: { physicalLocation: { region: { startLine: number } } }[] }[];
      }[];
    };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.results[0]!.ruleId).toBe('undeclared-param');
    expect(sarif.runs[0]!.results[0]!.locations[0]!.physicalLocation.region.startLine).toBe(7);
  });

  it('--fix adds it (comments kept), prints the diff, and lint is then clean', async () => {
    const before = await repo.read('dvc.yaml');
    const result = await tvc(repo, ['lint', '--fix']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stderr).toContain('+    - train.epochs');
    expect(result.stdout).toContain('No problems found.');
    const after = await repo.read('dvc.yaml');
    expect(after).toBe(
      before.replace('    - train.batch_size\n', '    - train.batch_size\n    - train.epochs\n'),
    );
  });

  it('tvc repro then reruns train when epochs change', async () => {
    let result = await tvc(repo, ['repro']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Running stage 'train'");
    expect(await repo.read('model.txt')).toContain('epochs=11');
    await setEpochs(repo, 12);
    const status = await tvc(repo, ['status']);
    expect(status.stdout).toContain('train.epochs');
    result = await tvc(repo, ['repro']);
    expect(result.stdout).toContain("Running stage 'train'");
    expect(await repo.read('model.txt')).toContain('epochs=12');
    expect((await tvc(repo, ['status'])).stdout).toContain('Data and pipelines are up to date.');
  });
});

describe('tvc install --hooks and the pre-commit hook', () => {
  let repo: TempRepo;
  let hookRepo: string;
  let bin: string;
  beforeAll(async () => {
    repo = await TempRepo.create('lint-seed');
    hookRepo = await mkdtemp(path.join(tmpdir(), 'tvc-hook-repo-'));
    bin = await mkdtemp(path.join(tmpdir(), 'tvc-bin-'));
    await writeFile(path.join(bin, 'tvc'), `#!/bin/sh\nexec "${process.execPath}" "${TVC_BIN}" "$@"\n`);
    await chmod(path.join(bin, 'tvc'), 0o755);
  });
  afterAll(async () => {
    await repo.remove();
    await rm(hookRepo, { recursive: true, force: true });
    await rm(bin, { recursive: true, force: true });
  });

  it('tvc install --hooks writes a git pre-commit hook that refuses a commit lint fails', async () => {
    const result = await tvc(repo, ['install', '--hooks']);
    expect(result.code, result.stderr).toBe(0);
    const hook = await readFile(repo.path('.git', 'hooks', 'pre-commit'), 'utf8');
    expect(hook).toContain('tvc lint');
    await repo.write('src/note.txt', 'x\n');
    await repo.git('add', '-A');
    const env = { PATH: `${bin}:${PATH_WITH_VENV}` };
    const refused = await run('git', ['commit', '-q', '-m', 'try'], repo.dir, env);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain('train.epochs');
    expect((await tvc(repo, ['install', '--hooks'])).code).toBe(0); // ours: replaced without --force
    await rm(repo.path('.git', 'hooks', 'pre-commit'));
  });

  it('pre-commit (from PyPI) runs the tvc-lint hook of .pre-commit-hooks.yaml', async () => {
    const preCommit = process.env.TVC_PRE_COMMIT ?? path.join(VENV_BIN, 'pre-commit');
    if (!existsSync(preCommit)) {
      if (process.env.CI)
        throw new Error(`pre-commit is missing (${preCommit}); .ci/run installs it into .venv`);
      console.warn(`skipped: pre-commit not found at ${preCommit} (pip install pre-commit into .venv)`);
      return;
    }
    // A hook repository holding this repository's .pre-commit-hooks.yaml, as pre-commit clones it.
    await cp(path.join(REPO_ROOT, '.pre-commit-hooks.yaml'), path.join(hookRepo, '.pre-commit-hooks.yaml'));
    const git = (...args: string[]) => run('git', args, hookRepo);
    await git('init', '-q', '-b', 'main');
    await git('add', '-A');
    await git('-c', 'user.email=e2e@tvc.test', '-c', 'user.name=e2e', 'commit', '-q', '-m', 'hooks');
    const rev = (await git('rev-parse', 'HEAD')).stdout.trim();
    await repo.write(
      '.pre-commit-config.yaml',
      `repos:\n- repo: ${hookRepo}\n  rev: ${rev}\n  hooks:\n  - id: tvc-lint\n`,
    );
    await repo.git('add', '-A');
    const env = { PATH: `${bin}:${PATH_WITH_VENV}`, PRE_COMMIT_HOME: path.join(hookRepo, '.cache') };
    await mkdir(env.PRE_COMMIT_HOME, { recursive: true });
    const failing = await run(preCommit, ['run', '--all-files'], repo.dir, env);
    expect(failing.code, failing.stdout + failing.stderr).toBe(1);
    expect(failing.stdout).toContain('tvc lint');
    expect(failing.stdout).toContain("reads 'train.epochs'");
    expect((await tvc(repo, ['lint', '--fix', '-q'])).code).toBe(0);
    await repo.git('add', '-A');
    const passing = await run(preCommit, ['run', '--all-files'], repo.dir, env);
    expect(passing.code, passing.stdout + passing.stderr).toBe(0);
    expect(passing.stdout).toMatch(/tvc lint\.+Passed/);
  }, 120_000);
});

describe('tvc repro --trace', () => {
  let repo: TempRepo;
  const strace = ['/usr/bin/strace', '/bin/strace'].find((file) => existsSync(file));
  beforeAll(async () => {
    repo = await TempRepo.create();
    await repo.write('extra.txt', 'side input\n');
    await repo.write(
      'dvc.yaml',
      'stages:\n  build:\n    cmd: python3 build.py\n    deps:\n    - build.py\n    outs:\n    - result.txt\n',
    );
    // Names built at run time: static reading cannot see them; strace does.
    await repo.write(
      'build.py',
      [
        'import sys',
        'name = "extra" + ".txt"',
        'side = open(name).read()',
        'open("result.txt", "w").write(side.upper())',
        'open("log" + ".txt", "w").write("built\\n")',
        '',
      ].join('\n'),
    );
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'pipeline');
  });
  afterAll(() => repo.remove());

  it('says clearly that it needs strace where there is none, and runs nothing', async () => {
    const result = await tvc(repo, ['repro', '--trace'], { TVC_STRACE: '/nonexistent/strace' });
    expect(result.code).toBe(255);
    expect(result.stderr).toContain('repro --trace needs strace');
    expect(result.stderr).toContain('apt-get install strace');
    expect(existsSync(repo.path('result.txt'))).toBe(false);
  });

  it('reports the undeclared input and the undeclared output the stage opened', async (context) => {
    if (!strace) {
      if (process.env.CI) throw new Error('strace is missing; .ci/run installs it (apt-get install strace)');
      console.warn('skipped: strace is not installed (apt-get install strace)');
      context.skip();
    }
    expect((await tvc(repo, ['lint'])).stdout).toContain('No problems found.');
    const result = await tvc(repo, ['repro', '--trace']);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toContain('Trace of 1 stage (strace):');
    expect(result.stdout).toContain(
      "warning [undeclared-dep] stage 'build' depends on 'extra.txt' (strace saw it read)",
    );
    expect(result.stdout).toContain(
      "warning [undeclared-output] stage 'build' writes 'log.txt' (strace saw it written)",
    );
    expect(result.stdout).not.toContain("'build.py'");
    expect(result.stdout).not.toContain("'result.txt'");
    const json = JSON.parse((await tvc(repo, ['repro', '--trace', '--json', '-f'])).stdout) as {
      trace: { traced: string[]; findings: { rule: string; subject: string }[] };
    };
    expect(json.trace.traced).toEqual(['build']);
    expect(json.trace.findings.map((finding) => `${finding.rule} ${finding.subject}`).sort()).toEqual([
      'undeclared-dep extra.txt',
      'undeclared-output log.txt',
    ]);
  });
});
