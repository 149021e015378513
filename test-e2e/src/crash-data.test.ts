import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { canonical, checkCache, md5, type Violation } from './crash/invariants';
import { deriveSeed, Rng } from './crash/prng';
import { spawnGroup } from './crash/trial';
import { comparisonDvc, TempRepo, UNEXPECTED_ERROR } from './harness';

/**
 * The data commands under SIGKILL: `tvc add` of a big directory, `tvc checkout` of an older
 * version and `tvc commit -f` of changed data, each killed (its whole process group) at a random
 * moment within the command's measured duration, under a random `cache.type` (the default copy,
 * hardlink or symlink: the workspace is then re-linked from the cache). After each kill:
 * - `dvc-file`: every `.dvc` file parses, each output's md5 is a hash and, for add and commit, is
 *   one of the versions the data had (a `.dvc` file is never half-written or made up);
 * - `dvc-file-object`: every object a `.dvc` file names is in the cache (for a directory, its
 *   manifest and every object it lists): objects first, then the file naming them;
 * - `cache-object-hash`, `cache-dir-incomplete`: every cache object hashes to its name, every
 *   manifest lists only objects the cache holds;
 * - `user-data`: no user file lost or cut short — after add and commit every file holds exactly
 *   what the user wrote; after checkout every file holds one of the two recorded versions;
 * - `next-command`: the same command, run again, exits 0; then `leftover` (no temporary of a
 *   placement left in the workspace), the user-data and cache checks again, the workspace as the
 *   `.dvc` files record it, and `status-agree`: tvc's `status --json` equals DVC's.
 * - `unexpected-error` in any output.
 *
 * CRASH_DATA_TRIALS: trials per command (default 5, what CI runs); CRASH_SEED as in the crash
 * suite (fixed under CI, else drawn and printed); CRASH_ONLY=<command>[:<trial>] replays one.
 */

const run = promisify(execFile);
const dvc = comparisonDvc('the data crash suite');
const seed = process.env.CRASH_SEED
  ? Number(process.env.CRASH_SEED)
  : process.env.CI
    ? 20261207
    : Math.floor(Math.random() * 2 ** 31);
const trials = Number(process.env.CRASH_DATA_TRIALS ?? 5);
const [onlyCommand, onlyTrial] = (process.env.CRASH_ONLY ?? '').split(':');

const DIRECTORIES = 12;
const FILES_PER_DIRECTORY = 100;
const BIG_BYTES = 8 << 20;
const CACHE_TYPES = [undefined, 'hardlink', 'symlink'] as const;
/** A temporary of an interrupted placement or save (@tvc/hash's naming). */
const LEFTOVER = /^\..+\.\d+-[0-9a-f]{12}\.tmp$/;

/** path → content, for every file of a version of the data. */
type Version = Map<string, Buffer>;

function version(rng: Rng, variant: number): Version {
  const files: Version = new Map();
  for (let d = 0; d < DIRECTORIES; d++) {
    for (let f = 0; f < FILES_PER_DIRECTORY; f++) {
      // the second variant changes one file in ten and drops one in fifty
      if (variant === 1 && (d * FILES_PER_DIRECTORY + f) % 50 === 7) continue;
      const changed = variant === 1 && (d * FILES_PER_DIRECTORY + f) % 10 === 3;
      files.set(
        `data/d${d}/f${f}.txt`,
        Buffer.from(`${d}/${f} ${changed ? 'v2' : 'v1'}\n`.repeat(1 + (f % 7))),
      );
    }
  }
  if (variant === 1) files.set('data/new/added.txt', Buffer.from('added in v2\n'));
  const big = Buffer.alloc(BIG_BYTES);
  for (let index = 0; index < BIG_BYTES; index += 4)
    big.writeUInt32LE(Math.floor(rng.next() * 2 ** 32), index);
  if (variant === 1) big.write('v2', 0);
  files.set('big.bin', big);
  return files;
}

function writeVersion(root: string, files: Version): void {
  rmSync(path.join(root, 'data'), { recursive: true, force: true });
  rmSync(path.join(root, 'big.bin'), { force: true });
  for (const [file, bytes] of files) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), bytes);
  }
}

/** Every file under data/ and big.bin (links followed), relative to the repository. */
function workspaceFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const child = `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else found.push(child);
    }
  };
  try {
    walk('data');
  } catch {
    // no data directory (yet)
  }
  try {
    statSync(path.join(root, 'big.bin'));
    found.push('big.bin');
  } catch {
    // no big.bin
  }
  return found.sort();
}

type Command = 'add' | 'checkout' | 'commit';

interface Trial {
  readonly root: string;
  /** The versions a file may hold after a kill; the first is the one the user has now. */
  readonly allowed: Version[];
  /** The versions the `.dvc` files may record. */
  readonly recorded: Version[];
  readonly args: string[];
}

async function ok(root: string, ...args: string[]): Promise<void> {
  const result = await spawnGroup(root, args, {});
  if (result.code !== 0) throw new Error(`tvc ${args.join(' ')} failed: ${result.stderr}`);
}

/** A repository ready for `command`, whose run is then killed. */
async function prepare(command: Command, rng: Rng, repo: TempRepo): Promise<Trial> {
  const root = repo.dir;
  const cacheType = CACHE_TYPES[rng.int(0, CACHE_TYPES.length - 1)];
  if (cacheType) await ok(root, 'config', 'cache.type', cacheType);
  const v1 = version(rng, 0);
  writeVersion(root, v1);
  if (command === 'add')
    return { root, allowed: [v1], recorded: [v1], args: ['add', '-q', 'data', 'big.bin'] };
  await ok(root, 'add', '-q', 'data', 'big.bin');
  await repo.git('add', '-A');
  await repo.git('commit', '-q', '-m', 'v1');
  const v2 = version(new Rng(deriveSeed(seed, 'v2')), 1);
  // the big file's bytes come from the trial's generator: keep v1's, marked as v2
  const big2 = Buffer.from(v1.get('big.bin')!);
  big2.write('v2', 0);
  v2.set('big.bin', big2);
  if (command === 'commit') {
    for (const file of workspaceFiles(root)) {
      // a link into the cache is replaced, never written through
      rmSync(path.join(root, file));
    }
    writeVersion(root, v2);
    return { root, allowed: [v2], recorded: [v1, v2], args: ['commit', '-q', '-f'] };
  }
  for (const file of workspaceFiles(root)) rmSync(path.join(root, file));
  writeVersion(root, v2);
  await ok(root, 'add', '-q', 'data', 'big.bin');
  await repo.git('add', '-A');
  await repo.git('commit', '-q', '-m', 'v2');
  await repo.git('checkout', '-q', 'HEAD~1', '--', 'data.dvc', 'big.bin.dvc');
  return { root, allowed: [v1, v2], recorded: [v1], args: ['checkout', '-q'] };
}

function dvcFileHashes(root: string): { violations: Violation[]; md5s: Map<string, string> } {
  const violations: Violation[] = [];
  const md5s = new Map<string, string>();
  for (const name of ['data.dvc', 'big.bin.dvc']) {
    let text: string;
    try {
      text = readFileSync(path.join(root, name), 'utf8');
    } catch {
      continue; // not written yet
    }
    try {
      const out = (parse(text) as { outs: { md5: string; path: string }[] }).outs[0]!;
      if (!/^[0-9a-f]{32}(\.dir)?$/.test(out.md5)) throw new Error(`md5 ${out.md5}`);
      md5s.set(name, out.md5);
    } catch (error) {
      violations.push({ invariant: 'dvc-file', evidence: `${name}: ${(error as Error).message}: ${text}` });
    }
  }
  return { violations, md5s };
}

function objectFile(root: string, hash: string): string {
  return path.join(root, '.dvc/cache/files/md5', hash.slice(0, 2), hash.slice(2));
}

/** The md5 a `.dvc` file records for one version of the data (what DVC computes). */
function recordedHash(files: Version, name: string): string {
  if (name === 'big.bin.dvc') return md5(files.get('big.bin')!);
  const entries = [...files]
    .filter(([file]) => file.startsWith('data/'))
    .map(([file, bytes]) => ({ md5: md5(bytes), relpath: file.slice('data/'.length) }))
    .sort((a, b) => (a.relpath < b.relpath ? -1 : a.relpath > b.relpath ? 1 : 0));
  const text = JSON.stringify(entries)
    .replaceAll('":"', '": "')
    .replaceAll('","', '", "')
    .replaceAll('},{', '}, {');
  return `${md5(text)}.dir`;
}

async function checkState(trial: Trial, command: Command, after: boolean): Promise<Violation[]> {
  const { root, allowed } = trial;
  const violations: Violation[] = [];
  const { violations: parsed, md5s } = dvcFileHashes(root);
  violations.push(...parsed);
  for (const [name, hash] of md5s) {
    const known = trial.recorded.map((files) => recordedHash(files, name));
    if (!known.includes(hash)) {
      violations.push({
        invariant: 'dvc-file',
        evidence: `${name} records ${hash}, not a version the data had`,
      });
    }
    const object = objectFile(root, hash);
    try {
      if (hash.endsWith('.dir')) {
        for (const entry of JSON.parse(readFileSync(object, 'utf8')) as { md5: string }[]) {
          statSync(objectFile(root, entry.md5));
        }
      } else statSync(object);
    } catch (error) {
      violations.push({
        invariant: 'dvc-file-object',
        evidence: `${name} names ${hash}: ${(error as Error).message}`,
      });
    }
  }
  const cache = await checkCache(root);
  violations.push(...cache.violations);
  const files = workspaceFiles(root);
  for (const file of files) {
    if (LEFTOVER.test(path.basename(file))) {
      if (after) violations.push({ invariant: 'leftover', evidence: `${file} left in the workspace` });
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(path.join(root, file));
    } catch (error) {
      violations.push({ invariant: 'user-data', evidence: `${file}: ${(error as Error).message}` });
      continue;
    }
    if (!allowed.some((files) => files.get(file)?.equals(bytes))) {
      violations.push({
        invariant: 'user-data',
        evidence: `${file} holds ${bytes.length} bytes of no version`,
      });
    }
  }
  if (command !== 'checkout' || after) {
    // add and commit never remove a user file; after the next checkout, the recorded version is whole
    const expected = allowed[0]!;
    for (const file of expected.keys()) {
      if (!files.includes(file)) violations.push({ invariant: 'user-data', evidence: `${file} is gone` });
    }
    if (command === 'checkout') {
      for (const file of files) {
        if (!expected.has(file))
          violations.push({ invariant: 'user-data', evidence: `${file} should be gone` });
      }
    }
  }
  return violations;
}

interface Result {
  readonly name: string;
  readonly killed: boolean;
  readonly violations: Violation[];
}

async function runTrial(command: Command, index: number, maxDelayMs: number): Promise<Result> {
  const trialSeed = deriveSeed(seed, 'data', command, index);
  const rng = new Rng(trialSeed);
  const repo = await TempRepo.create();
  try {
    const trial = await prepare(command, rng, repo);
    const delay = rng.int(0, maxDelayMs);
    const killedRun = await spawnGroup(trial.root, trial.args, {}, delay);
    const violations: Violation[] = [];
    for (const output of [killedRun.stdout, killedRun.stderr]) {
      if (UNEXPECTED_ERROR.test(output)) violations.push({ invariant: 'unexpected-error', evidence: output });
    }
    if (!killedRun.killed && killedRun.code !== 0) {
      violations.push({ invariant: 'command-failed', evidence: killedRun.stderr });
    }
    violations.push(...(await checkState(trial, command, false)));
    const next = await spawnGroup(trial.root, trial.args, {});
    if (next.code !== 0 || UNEXPECTED_ERROR.test(next.stderr)) {
      violations.push({ invariant: 'next-command', evidence: `exit ${next.code}: ${next.stderr}` });
    } else {
      const nextTrial = command === 'checkout' ? { ...trial, allowed: [trial.allowed[0]!] } : trial;
      violations.push(...(await checkState(nextTrial, command, true)));
      const ours = await spawnGroup(trial.root, ['status', '--json'], {});
      const theirs = await run(dvc!, ['status', '--json'], { cwd: trial.root }).catch(
        (error: { stdout?: string; stderr?: string }) => ({ stdout: `${error.stdout}${error.stderr}` }),
      );
      let same = false;
      try {
        same = canonical(JSON.parse(ours.stdout)) === canonical(JSON.parse(theirs.stdout));
      } catch {
        same = false;
      }
      if (!same) {
        violations.push({ invariant: 'status-agree', evidence: `tvc: ${ours.stdout} dvc: ${theirs.stdout}` });
      }
    }
    return {
      name: `${command} #${index} (seed ${trialSeed}, kill after ${delay} ms)`,
      killed: killedRun.killed,
      violations,
    };
  } finally {
    await repo.remove();
  }
}

/** How long the command takes un-killed here (one run): the kill moments are drawn within it. */
async function calibrate(command: Command): Promise<number> {
  const repo = await TempRepo.create();
  try {
    const trial = await prepare(command, new Rng(deriveSeed(seed, 'calibrate', command)), repo);
    const result = await spawnGroup(trial.root, trial.args, {});
    if (result.code !== 0) throw new Error(`calibrating ${command}: ${result.stderr}`);
    return result.ms;
  } finally {
    await repo.remove();
  }
}

const results: Result[] = [];
afterAll(() => {
  if (results.length === 0) return;
  const killed = results.filter((result) => result.killed).length;
  const failed = results.filter((result) => result.violations.length > 0).length;
  console.log(
    `data crash suite, seed ${seed}: ${results.length} trials (${killed} killed mid-run), ${results.length - failed} passed, ${failed} failed`,
  );
});

describe.skipIf(!dvc)('data crash suite: SIGKILL during add, checkout and commit', () => {
  for (const command of ['add', 'checkout', 'commit'] as const) {
    const indices = onlyTrial ? [Number(onlyTrial)] : Array.from({ length: trials }, (_, index) => index);
    it.skipIf(onlyCommand !== undefined && onlyCommand !== '' && onlyCommand !== command)(
      `${command}: ${indices.length} trial(s)`,
      async () => {
        const duration = await calibrate(command);
        const failures: string[] = [];
        for (const index of indices) {
          const result = await runTrial(command, index, Math.ceil(duration * 1.1));
          results.push(result);
          if (result.violations.length > 0) {
            failures.push(
              [
                `${result.name}; replay: CRASH_SEED=${seed} CRASH_ONLY=${command}:${index}`,
                ...result.violations.map(
                  (violation) => `  [${violation.invariant}] ${violation.evidence.slice(0, 500)}`,
                ),
              ].join('\n'),
            );
          }
        }
        expect(failures, failures.join('\n')).toEqual([]);
      },
      120_000 + indices.length * 60_000,
    );
  }
});
