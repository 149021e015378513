import { afterAll, describe, expect, it } from 'vitest';
import { deriveSeed } from './crash/prng';
import { BaseProject, calibrate, runTrial, SCENARIOS, type TrialResult } from './crash/trial';
import { comparisonDvc } from './harness';

/**
 * The crash suite: tvc SIGKILLed (its whole process group) at random moments of `repro`,
 * `repro -j 2`, `exp run` and `exp run --run-all -j 2` on the crash fixture, whose stages write a
 * directory, files, a persist output and an uncached metric in several paused steps.
 *
 * Every random choice of a trial (params, experiments, the kill delay within the command's
 * calibrated duration) comes from a PRNG seeded by (CRASH_SEED, scenario, trial): a failure prints
 * the seed and the trial, and `CRASH_SEED=<seed> CRASH_ONLY=<scenario>:<trial>` replays its
 * choices (where the kill lands in time still depends on the machine's load).
 *
 * After each kill these invariants are checked (the names are those counted in the summary):
 * - `orphan-process`: no stage command of the killed run still runs.
 * - `cache-object-hash`: every object under .dvc/cache/files/md5 hashes to its name (`.dir`
 *   manifests too); `cache-dir-incomplete`: a `.dir` manifest lists only objects the cache holds.
 * - lock truth, for the workspace's dvc.lock, each experiment commit's dvc.lock and each run-cache
 *   entry. Let history(P) be every complete content file P had during the trial: the fixture's
 *   files, each file the test wrote, each file a stage finished writing (the stages journal an
 *   md5 after a file's last byte, never for a partly written file). Then:
 *   `lock-parse`: the lock parses (YAML, and tvc's own reader for dvc.lock);
 *   `lock-hash-never-content`: every dep and out recorded with an md5 — and every member of a
 *   recorded directory whose manifest is in the cache — names a content in history(P): the lock
 *   never records what its file never was. The workspace file may differ from the lock: a killed
 *   later run may legitimately have rewritten it, or left it half-written.
 *   `lock-object-missing`: every cached out the lock records has its object in the cache (for a
 *   directory its manifest and every object listed).
 *   (`run-cache-…`: the same, for a run-cache entry.)
 * - `git-fsck`: `git fsck` finds nothing broken.
 * - `dvc-reads-project`: the real DVC's `status --json` reads the project the kill left.
 * - `next-command`: the next command (the same one; for `exp run` a plain `exp run`) exits 0.
 * - After it, the same cache, lock and git checks again, and `status-agree`: tvc's
 *   `status --json` equals DVC's.
 * - `unexpected-error` in any output, `hang` (over 2 minutes), `command-failed` (a command the
 *   kill came too late for must still succeed).
 *
 * CRASH_TRIALS (total, spread over the scenarios; default 8, what CI runs), CRASH_SEED (default:
 * fixed under CI, else drawn; printed), CRASH_ONLY=<scenario>[:<trial>], CRASH_KEEP=1 keeps a failed trial's
 * directory, CRASH_PROGRESS=1 prints a line per trial (always on runs over 20 trials).
 * `pnpm test:crash` runs 200 trials and prints the counts.
 */

const dvc = comparisonDvc('the crash suite');
/** CRASH_SEED, else a fixed seed in CI (the same sample every run), else a new one (printed). */
const seed = process.env.CRASH_SEED
  ? Number(process.env.CRASH_SEED)
  : process.env.CI
    ? 20261207
    : Math.floor(Math.random() * 2 ** 31);
const totalTrials = Number(process.env.CRASH_TRIALS ?? 8);
const [onlyScenario, onlyTrial] = (process.env.CRASH_ONLY ?? '').split(':');
const keep = process.env.CRASH_KEEP === '1';
/** A line per trial on long runs (or with CRASH_PROGRESS=1). */
const progress = process.env.CRASH_PROGRESS === '1' || totalTrials > 20;

/** Trials per scenario: the total spread evenly, the first scenarios taking the remainder. */
function trialsFor(position: number): number[] {
  const count =
    Math.floor(totalTrials / SCENARIOS.length) + (position < totalTrials % SCENARIOS.length ? 1 : 0);
  const all = Array.from({ length: count }, (_, index) => index);
  return onlyTrial ? [Number(onlyTrial)] : all;
}

const results: TrialResult[] = [];

function describeFailure(result: TrialResult): string {
  return [
    `${result.scenario} trial ${result.index}: ${result.command} — ${result.moment}`,
    `  replay: CRASH_SEED=${seed} CRASH_ONLY=${result.scenario}:${result.index} (trial seed ${result.seed})`,
    ...result.violations.map((violation) => `  [${violation.invariant}] ${violation.evidence}`),
    ...(result.kept ? [`  kept: ${result.kept}`] : []),
  ].join('\n');
}

afterAll(() => {
  if (results.length === 0) return;
  const lines = [`crash suite, seed ${seed}: ${results.length} trials`];
  for (const scenario of SCENARIOS) {
    const mine = results.filter((result) => result.scenario === scenario.name);
    if (mine.length === 0) continue;
    const failed = mine.filter((result) => result.violations.length > 0);
    const byInvariant = new Map<string, number>();
    for (const result of failed) {
      for (const invariant of new Set(result.violations.map((violation) => violation.invariant))) {
        byInvariant.set(invariant, (byInvariant.get(invariant) ?? 0) + 1);
      }
    }
    const killed = mine.filter((result) => result.killed).length;
    const strays = mine.reduce((sum, result) => sum + result.strays, 0);
    lines.push(
      `  ${scenario.name.padEnd(11)} ${mine.length} trials (${killed} killed mid-run), ${mine.length - failed.length} passed, ${failed.length} failed` +
        (byInvariant.size > 0
          ? ` — ${[...byInvariant].map(([invariant, count]) => `${invariant}: ${count}`).join(', ')}`
          : '') +
        (strays > 0 ? `; ${strays} temporaries left in the cache` : ''),
    );
  }
  console.log(lines.join('\n'));
});

describe.skipIf(!dvc)('crash suite: SIGKILL at random moments, then the invariants', () => {
  SCENARIOS.forEach((scenario, position) => {
    const indices = trialsFor(position);
    const skip = (onlyScenario && onlyScenario !== scenario.name) || indices.length === 0;
    it.skipIf(skip)(
      `${scenario.name}: ${indices.length} trial(s)`,
      async () => {
        const base = await BaseProject.create();
        try {
          const duration = await calibrate(base, scenario, seed);
          const failures: string[] = [];
          for (const index of indices) {
            const result = await runTrial(base, scenario, index, {
              seed,
              dvc: dvc!,
              maxDelayMs: Math.ceil(duration * 1.1),
              keep,
            }).catch(
              (error: unknown): TrialResult => ({
                scenario: scenario.name,
                index,
                seed: deriveSeed(seed, scenario.name, index),
                command: '(setting up the trial)',
                killAfterMs: 0,
                killed: false,
                moment: 'before the kill',
                violations: [{ invariant: 'trial-error', evidence: String((error as Error).stack ?? error) }],
                strays: 0,
              }),
            );
            results.push(result);
            if (result.violations.length > 0) failures.push(describeFailure(result));
            if (progress) {
              const verdict =
                result.violations.length === 0
                  ? 'passed'
                  : `FAILED (${[...new Set(result.violations.map((violation) => violation.invariant))].join(', ')})`;
              console.log(`crash ${scenario.name} #${index}: ${verdict}; ${result.moment.split(';')[0]}`);
            }
          }
          expect(failures, `crash suite (CRASH_SEED=${seed}):\n${failures.join('\n')}`).toEqual([]);
        } finally {
          await base.remove();
        }
      },
      60_000 + indices.length * 45_000,
    );
  });
});
