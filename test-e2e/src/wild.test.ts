import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The same commands and comparison rules as the script users run on their own projects.
import {
  agree,
  COMMANDS,
  comparable,
  type RunOutput,
  runDvc,
  runTvc,
} from '../../scripts/compare-with-dvc.mjs';
import { comparisonDvc, FIXTURES, REPO_ROOT, TempRepo, TVC_BIN, UNEXPECTED_ERROR } from './harness';

/**
 * Projects shaped like public DVC repositories (issue 17): each fixture under `fixtures/wild/`
 * reproduces the shape of one public project (README.md there names it), and every command of
 * `scripts/compare-with-dvc.mjs` must print what the real DVC prints there, with the same exit
 * code. A new fixture directory is picked up by itself. A fixture whose stages form a chain holds
 * the intermediate files: DVC's `repro --dry` fails with "No such file or directory" on a
 * dependency only an earlier stage makes.
 *
 * A fixture may have a `wild.json`:
 * - `"init": false` — the fixture brings its own `.dvc/` (a DVC root below the git root, say);
 * - `"root": "sub"` — the commands run in that directory;
 * - `"setup": ["sh script", …]` — run in the repository after the fixture is committed, with
 *   `$DVC` and `$TVC` set (experiments made by DVC itself, tags, commits with chosen dates);
 * - `"commands": [[…], …]` — more commands compared, after the common ones;
 * - `"known": {"command": "why"}` — a disagreement not fixed yet (or deliberate): the test expects
 *   the outputs to differ (`it.fails`), so it fails once tvc agrees and the entry can go.
 *
 * All of DVC's commands run in two Python processes (compare-with-dvc.py: DVC's ~1 s start-up is
 * paid twice, not once per command); tvc runs four commands at a time.
 */
const binary = comparisonDvc('real-world-shaped projects');
const WILD = path.join(FIXTURES, 'wild');
// `WILD_ONLY=a,b` runs only those fixtures (the setup of all 26 takes minutes).
const only = process.env.WILD_ONLY?.split(',').filter(Boolean);
const fixtures = readdirSync(WILD)
  .filter((name) => statSync(path.join(WILD, name)).isDirectory())
  .filter((name) => !only || only.includes(name))
  .sort();

interface WildConfig {
  init?: boolean;
  root?: string;
  setup?: string[];
  commands?: string[][];
  known?: Record<string, string>;
}

function configOf(fixture: string): WildConfig {
  const file = path.join(WILD, fixture, 'wild.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as WildConfig) : {};
}

interface Prepared {
  repo: TempRepo;
  cwd: string;
  commands: string[][];
  dvc: RunOutput[];
  tvc: RunOutput[];
}

async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const prepared = new Map<string, Prepared>();

describe.skipIf(!binary)('real-world-shaped projects: tvc prints what DVC prints', () => {
  beforeAll(async () => {
    await pool(fixtures, 4, async (fixture) => {
      const config = configOf(fixture);
      const repo = await TempRepo.create(`wild/${fixture}`, { init: config.init !== false });
      for (const script of config.setup ?? []) {
        await promisify(execFile)('sh', ['-ec', script], {
          cwd: repo.dir,
          env: { ...process.env, DVC: binary!, TVC: `${process.execPath} ${TVC_BIN}` },
        });
      }
      prepared.set(fixture, {
        repo,
        cwd: repo.path(config.root ?? '.'),
        commands: [...COMMANDS.map((command) => [...command]), ...(config.commands ?? [])],
        dvc: [],
        tvc: [],
      });
    });
    // DVC first (as a user would run it before switching), in two processes of half the fixtures.
    const halves = [fixtures.filter((_, i) => i % 2 === 0), fixtures.filter((_, i) => i % 2 === 1)];
    await Promise.all(
      halves.map(async (half) => {
        const jobs = half.flatMap((fixture) => {
          const { cwd, commands } = prepared.get(fixture)!;
          return commands.map((command) => [cwd, command] as const);
        });
        const results = await runDvc(binary!, jobs);
        for (const fixture of half) {
          const entry = prepared.get(fixture)!;
          entry.dvc = results.splice(0, entry.commands.length);
        }
      }),
    );
    await pool(fixtures, 4, async (fixture) => {
      const entry = prepared.get(fixture)!;
      for (const command of entry.commands) entry.tvc.push(await runTvc(command, entry.cwd));
    });
  }, 600_000);
  afterAll(async () => {
    for (const entry of prepared.values()) await entry.repo.remove();
  });

  for (const fixture of fixtures) {
    const config = configOf(fixture);
    const commands = [...COMMANDS.map((command) => [...command]), ...(config.commands ?? [])];
    describe(fixture, () => {
      commands.forEach((args, index) => {
        const known = config.known?.[args.join(' ')];
        (known ? it.fails : it)(known ? `${args.join(' ')} (known: ${known})` : args.join(' '), () => {
          const entry = prepared.get(fixture)!;
          const theirs = entry.dvc[index]!;
          const ours = entry.tvc[index]!;
          expect(theirs.stderr, `dvc ${args.join(' ')}`).not.toMatch(UNEXPECTED_ERROR);
          expect(ours.stderr, `tvc ${args.join(' ')}`).not.toMatch(UNEXPECTED_ERROR);
          if (agree(args.join(' '), ours, theirs)) return;
          // Not equal: show the difference.
          expect({ code: ours.code, stdout: comparable(ours.stdout) }).toEqual({
            code: theirs.code,
            stdout: comparable(theirs.stdout),
          });
          expect.fail(`${args.join(' ')}: the outputs differ only in the order of JSON keys`);
        });
      });
    });
  }
});

describe.skipIf(!binary)('scripts/compare-with-dvc.mjs', () => {
  const script = path.join(REPO_ROOT, 'scripts/compare-with-dvc.mjs');
  const run = (...args: string[]) =>
    promisify(execFile)(process.execPath, [script, ...args, '--dvc', binary!]).then(
      (result) => ({ code: 0, stdout: result.stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );

  it('agrees on a copy of a fixture, and leaves the project untouched', async () => {
    const repo = await TempRepo.create('wild/params-deps');
    try {
      const before = await repo.git('status', '--porcelain', '--ignored');
      const result = await run(repo.dir);
      expect(result.stdout).toContain(`tvc and DVC agree on all ${COMMANDS.length} commands`);
      expect(result.code).toBe(0);
      expect(await repo.git('status', '--porcelain', '--ignored')).toBe(before);
    } finally {
      await repo.remove();
    }
  });

  it('names a disagreement and exits 1', async () => {
    // A deliberate difference: DVC gives URL dependencies mangled columns in `exp show --csv`
    // (`http:/127.0.0.1:9/ml-100k.zip`, and another under the absolute path of the repository at
    // a git revision); tvc leaves them out, as it leaves out repository imports.
    const repo = await TempRepo.create('imports');
    try {
      const result = await run(repo.dir);
      expect(result.stdout).toMatch(/DIFFERS {2}exp show --csv/);
      expect(result.stdout).toContain('same     stage list');
      expect(result.code).toBe(1);
    } finally {
      await repo.remove();
    }
  });

  it('runs on the demo project', async () => {
    const repo = await TempRepo.create();
    try {
      const { cp } = await import('node:fs/promises');
      await cp(path.join(REPO_ROOT, 'examples/demo'), repo.dir, { recursive: true });
      await repo.git('add', '-A');
      await repo.git('commit', '-q', '-m', 'demo');
      const result = await run(repo.dir);
      expect(result.stdout).toMatch(/tvc and DVC agree on all \d+ commands|\d+ of \d+ commands differ/);
      expect(result.stdout).toContain('same     stage list');
    } finally {
      await repo.remove();
    }
  });
});
