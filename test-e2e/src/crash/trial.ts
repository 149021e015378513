import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { TempRepo, TVC_BIN, UNEXPECTED_ERROR } from '../harness';
import { canonical, checkAllLocks, checkCache, checkGit, History, md5, type Violation } from './invariants';
import { deriveSeed, Rng } from './prng';

const run = promisify(execFile);

/** How long a command may take before it counts as hung. */
const COMMAND_TIMEOUT_MS = 120_000;

export interface Spawned {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  /** Whether the test killed it (the SIGKILL came before it exited). */
  readonly killed: boolean;
  readonly hung: boolean;
}

/**
 * Runs `command` (the CLI, or another binary) in its own process group and, after `killAfterMs`,
 * SIGKILLs the whole group — tvc and every stage command that stayed in it.
 */
export function spawnGroup(
  cwd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  killAfterMs?: number,
  binary: string = process.execPath,
): Promise<Spawned> {
  const argv = binary === process.execPath ? [TVC_BIN, ...args] : [...args];
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(binary, argv, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', DVC_NO_ANALYTICS: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    let hung = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const killGroup = (): void => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const killer =
      killAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            if (child.exitCode === null && child.signalCode === null) {
              killed = true;
              killGroup();
            }
          }, killAfterMs);
    const watchdog = setTimeout(() => {
      hung = true;
      killGroup();
    }, COMMAND_TIMEOUT_MS);
    child.on('error', reject);
    // 'exit', not 'close': a stage command that outlived tvc may hold the pipes open.
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      clearTimeout(watchdog);
      // let the pipes drain what was already written
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ code, signal, stdout, stderr, ms: Date.now() - started, killed, hung });
      }, 50);
    });
  });
}

/** One kind of command the suite kills: what a trial changes first, what it runs, what runs next. */
export interface Scenario {
  readonly name: string;
  /** Changes the project (params, queued experiments) so that the command has work to do. */
  prepare(trial: Trial, rng: Rng): Promise<void>;
  /** The command that is killed. */
  command(rng: Rng): string[];
  /** The next command, which must complete after the kill. */
  readonly next: string[];
}

/** Writes params.yaml with random values for the stages it changes (journaling the new content). */
async function changeParams(trial: Trial, rng: Rng): Promise<void> {
  const text = `prep:\n  files: ${rng.int(1, 4)}\n  seed: ${rng.int(1, 3)}\nside:\n  lines: ${rng.int(1, 6)}\ntrain:\n  chunks: ${rng.int(1, 6)}\n  seed: ${rng.int(1, 3)}\n`;
  await trial.write('params.yaml', text);
}

function setParams(rng: Rng): string[] {
  const sets: string[] = [];
  if (rng.bool()) sets.push('-S', `prep.files=${rng.int(1, 4)}`);
  if (rng.bool()) sets.push('-S', `side.lines=${rng.int(1, 6)}`);
  sets.push('-S', `train.seed=${rng.int(1, 9)}`, '-S', `train.chunks=${rng.int(1, 6)}`);
  return sets;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'repro',
    prepare: changeParams,
    command: () => ['repro'],
    next: ['repro'],
  },
  {
    name: 'repro-j2',
    prepare: changeParams,
    command: () => ['repro', '-j', '2'],
    next: ['repro', '-j', '2'],
  },
  {
    name: 'exp-run',
    prepare: async () => {},
    command: (rng) => ['exp', 'run', ...setParams(rng)],
    next: ['exp', 'run'],
  },
  {
    name: 'run-all-j2',
    prepare: async (trial, rng) => {
      const count = rng.int(2, 3);
      for (let index = 0; index < count; index++) {
        const queued = await trial.tvc(['exp', 'run', '--queue', ...setParams(rng)]);
        if (queued.code !== 0) throw new Error(`queueing failed: ${queued.stderr}`);
      }
    },
    command: () => ['exp', 'run', '--run-all', '-j', '2'],
    next: ['exp', 'run', '--run-all', '-j', '2'],
  },
];

/** A project reproduced once and committed, copied for each trial of a scenario. */
export class BaseProject {
  readonly repo: TempRepo;
  readonly journal: string;

  private constructor(repo: TempRepo) {
    this.repo = repo;
    this.journal = `${repo.dir}.journal`;
  }

  static async create(): Promise<BaseProject> {
    const repo = await TempRepo.create('crash');
    const base = new BaseProject(repo);
    const lines = ['step.mjs', 'data/raw.txt', 'params.yaml'].map(
      (file) => `file ${file} ${md5(readFileSync(repo.path(file)))}`,
    );
    await writeFile(base.journal, `${lines.join('\n')}\n`);
    const repro = await spawnGroup(repo.dir, ['repro', '-q'], { CRASH_JOURNAL: base.journal });
    if (repro.code !== 0) throw new Error(`the crash fixture does not reproduce: ${repro.stderr}`);
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'reproduced');
    return base;
  }

  remove(): Promise<void> {
    return Promise.all([this.repo.remove(), rm(this.journal, { force: true })]).then(() => {});
  }
}

/** One trial's copy of the base project, with its own journal. */
export class Trial {
  readonly dir: string;
  readonly journal: string;

  private constructor(dir: string) {
    this.dir = dir;
    this.journal = `${dir}.journal`;
  }

  static async create(base: BaseProject): Promise<Trial> {
    const parent = await mkdtemp(path.join(tmpdir(), 'tvc-crash-'));
    const trial = new Trial(path.join(parent, 'repo'));
    await run('cp', ['-a', base.repo.dir, trial.dir]);
    await run('cp', ['-a', base.journal, trial.journal]);
    return trial;
  }

  get env(): NodeJS.ProcessEnv {
    return { CRASH_JOURNAL: this.journal };
  }

  tvc(args: readonly string[], killAfterMs?: number): Promise<Spawned> {
    return spawnGroup(this.dir, args, this.env, killAfterMs);
  }

  async write(file: string, text: string): Promise<void> {
    await writeFile(path.join(this.dir, file), text);
    await appendFile(this.journal, `file ${file} ${md5(text)}\n`);
  }

  async history(): Promise<History> {
    const history = new History();
    history.addJournal(await readFile(this.journal, 'utf8'));
    return history;
  }

  remove(): Promise<void> {
    return rm(path.dirname(this.dir), { recursive: true, force: true });
  }
}

/**
 * The cache's link type for a trial: DVC's default (reflink, else copy), hardlink or symlink —
 * with links, a stage writing into an output that is still linked (a persist output) would write
 * into the cache object. Set in .dvc/config and committed, so that queued experiments use it too.
 */
async function chooseLinkType(trial: Trial, rng: Rng): Promise<string> {
  const choice = ['default', 'hardlink', 'symlink'][rng.int(0, 2)]!;
  if (choice === 'default') return choice;
  await appendFile(path.join(trial.dir, '.dvc/config'), `[cache]\n    type = ${choice}\n`);
  await run('git', ['commit', '-q', '-am', `cache.type ${choice}`], { cwd: trial.dir });
  return choice;
}

/** What a trial did and found. */
export interface TrialResult {
  readonly scenario: string;
  readonly index: number;
  readonly seed: number;
  readonly command: string;
  readonly killAfterMs: number;
  /** Whether the SIGKILL came before the command ended (else it ran to its end). */
  readonly killed: boolean;
  /** Where the kill landed: the last journal lines and tvc's last output line before it. */
  readonly moment: string;
  readonly violations: readonly Violation[];
  /** Temporaries left in the cache directory (counted, not failed). */
  readonly strays: number;
  readonly kept?: string;
}

/** The pids the stages journaled since `from` (a byte offset of the journal). */
function journalSince(journal: string, from: number): string[] {
  return readFileSync(journal).subarray(from).toString().split('\n').filter(Boolean);
}

function processGroup(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid pgrp …: comm may hold spaces, so count from its closing parenthesis
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[2]);
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` still runs. A zombie does not: it is dead and waits only to be reaped, which an
 * init that does not reap orphans (containers, sandboxes) may never do.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc here: signal 0 is all there is
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stage commands still running after tvc's process group was killed (they ran in a group of their
 * own): each is a violation, and is then killed with its group so that it stops writing.
 */
async function orphans(lines: readonly string[]): Promise<Violation[]> {
  await sleep(300);
  const violations: Violation[] = [];
  for (const line of lines) {
    const match = /^pid (\d+) (\S+)$/.exec(line);
    if (!match) continue;
    const pid = Number(match[1]);
    if (!alive(pid)) continue;
    const group = processGroup(pid);
    violations.push({
      invariant: 'orphan-process',
      evidence: `stage ${match[2]}'s command (pid ${pid}, process group ${group}) still runs after tvc was killed`,
    });
    try {
      if (group !== undefined && group !== process.pid && group > 1) process.kill(-group, 'SIGKILL');
      else process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  if (violations.length > 0) await sleep(200);
  return violations;
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .filter((line) => line.trim())
      .at(-1) ?? ''
  );
}

function unexpected(what: string, result: Spawned): Violation[] {
  const output = `${result.stderr}\n${result.stdout}`;
  return UNEXPECTED_ERROR.test(output)
    ? [{ invariant: 'unexpected-error', evidence: `${what}: ${output.trim().slice(0, 1500)}` }]
    : [];
}

/** A live DVC's `status --json`, or a violation when it cannot read the project. */
async function dvcStatus(
  dvc: string,
  dir: string,
  moment: string,
): Promise<{ json?: unknown; violations: Violation[] }> {
  const result = await spawnGroup(dir, ['status', '--json'], {}, undefined, dvc);
  const problems = unexpected(`dvc status --json (${moment})`, result);
  if (result.code !== 0 || result.hung) {
    problems.push({
      invariant: 'dvc-reads-project',
      evidence: `dvc status --json (${moment}) exited ${result.code}: ${result.stderr.trim().slice(0, 1500)}`,
    });
    return { violations: problems };
  }
  try {
    return { json: JSON.parse(result.stdout), violations: problems };
  } catch {
    problems.push({
      invariant: 'dvc-reads-project',
      evidence: `dvc status --json printed: ${result.stdout}`,
    });
    return { violations: problems };
  }
}

export interface TrialOptions {
  readonly seed: number;
  /** The real DVC, for the post-kill read and the status comparison. */
  readonly dvc: string;
  /** Longest kill delay: the command's calibrated duration. */
  readonly maxDelayMs: number;
  /** Keep the trial's directory when it fails. */
  readonly keep: boolean;
}

/** One trial: prepare, run the command and SIGKILL it at a random moment, check every invariant. */
export async function runTrial(
  base: BaseProject,
  scenario: Scenario,
  index: number,
  options: TrialOptions,
): Promise<TrialResult> {
  const seed = deriveSeed(options.seed, scenario.name, index);
  const rng = new Rng(seed);
  const trial = await Trial.create(base);
  const violations: Violation[] = [];
  const linkType = await chooseLinkType(trial, rng);
  await scenario.prepare(trial, rng);
  const args = scenario.command(rng);
  const killAfterMs = rng.int(0, options.maxDelayMs);
  const journalStart = readFileSync(trial.journal).length;

  // 1. The command, SIGKILLed (with its whole process group) after `killAfterMs`.
  const result = await trial.tvc(args, killAfterMs);
  const lines = journalSince(trial.journal, journalStart);
  const moment = `${result.killed ? `killed after ${killAfterMs} ms` : `ended by itself after ${result.ms} ms (kill planned at ${killAfterMs} ms)`}; journal: ${
    lines
      .filter((line) => !line.startsWith('file '))
      .slice(-2)
      .join(' | ') || '(no stage started)'
  }; tvc's last line: ${JSON.stringify(lastLine(result.stdout + result.stderr))}`;
  violations.push(...unexpected(`tvc ${args.join(' ')}`, result));
  if (result.hung)
    violations.push({
      invariant: 'hang',
      evidence: `tvc ${args.join(' ')} ran over ${COMMAND_TIMEOUT_MS} ms`,
    });
  else if (!result.killed && result.code !== 0) {
    violations.push({
      invariant: 'command-failed',
      evidence: `tvc ${args.join(' ')} (not killed) exited ${result.code}: ${result.stderr.trim().slice(0, 1500)}`,
    });
  }

  // 2. Nothing of the killed run keeps running.
  violations.push(...(await orphans(lines)));

  // 3. The state the kill left: cache, locks, git, and DVC can read it.
  let history = await trial.history();
  const cache = await checkCache(trial.dir);
  violations.push(...cache.violations.map((v) => ({ ...v, evidence: `after the kill: ${v.evidence}` })));
  violations.push(
    ...(await checkAllLocks(trial.dir, history)).map((v) => ({
      ...v,
      evidence: `after the kill: ${v.evidence}`,
    })),
  );
  violations.push(...(await checkGit(trial.dir)));
  violations.push(...(await dvcStatus(options.dvc, trial.dir, 'after the kill')).violations);

  // 4. The next command completes.
  const next = await trial.tvc(scenario.next);
  violations.push(...unexpected(`tvc ${scenario.next.join(' ')}`, next));
  if (next.hung || next.code !== 0) {
    violations.push({
      invariant: 'next-command',
      evidence: `tvc ${scenario.next.join(' ')} ${next.hung ? 'hung' : `exited ${next.code}`}: ${next.stderr.trim().slice(0, 1500)}`,
    });
  } else {
    // 5. After it: the same invariants, and tvc's status is DVC's.
    history = await trial.history();
    const after = await checkCache(trial.dir);
    violations.push(
      ...after.violations.map((v) => ({ ...v, evidence: `after the next command: ${v.evidence}` })),
    );
    violations.push(
      ...(await checkAllLocks(trial.dir, history)).map((v) => ({
        ...v,
        evidence: `after the next command: ${v.evidence}`,
      })),
    );
    violations.push(...(await checkGit(trial.dir)));
    const ours = await trial.tvc(['status', '--json']);
    violations.push(...unexpected('tvc status --json', ours));
    const theirs = await dvcStatus(options.dvc, trial.dir, 'after the next command');
    violations.push(...theirs.violations);
    if (theirs.json !== undefined) {
      let mine: unknown;
      try {
        mine = JSON.parse(ours.stdout);
      } catch {
        mine = `(not JSON, exit ${ours.code}) ${ours.stdout}${ours.stderr}`;
      }
      if (canonical(mine) !== canonical(theirs.json)) {
        violations.push({
          invariant: 'status-agree',
          evidence: `tvc status --json: ${canonical(mine)}\n      dvc status --json: ${canonical(theirs.json)}`,
        });
      }
    }
  }

  const failed = violations.length > 0;
  const kept = failed && options.keep ? trial.dir : undefined;
  if (!kept) await trial.remove();
  return {
    scenario: scenario.name,
    index,
    seed,
    command: `tvc ${args.join(' ')} (cache.type ${linkType})`,
    killAfterMs,
    killed: result.killed,
    moment,
    violations,
    strays: cache.strays.length,
    ...(kept ? { kept } : {}),
  };
}

/** How long the scenario's command takes, unkilled, on a fresh copy: the range of the kill delays. */
export async function calibrate(base: BaseProject, scenario: Scenario, seed: number): Promise<number> {
  const rng = new Rng(deriveSeed(seed, scenario.name, 'calibration'));
  const trial = await Trial.create(base);
  try {
    await scenario.prepare(trial, rng);
    const args = scenario.command(rng);
    const result = await trial.tvc(args);
    if (result.code !== 0) {
      throw new Error(
        `calibration: tvc ${args.join(' ')} failed unkilled (exit ${result.code}): ${result.stderr}`,
      );
    }
    return result.ms;
  } finally {
    await trial.remove();
  }
}
