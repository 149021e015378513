import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type Executor,
  type ExecutorContext,
  type ExecutorResult,
  type ExecutorTask,
  HOOK_STAGE,
  shellQuote,
  type Tvc,
  TvcError,
} from '@tvc/core';
import { LocalExecutor } from '@tvc/executor-local';
import type { LintReport } from './findings';
import { lintObservations, type StageObservation } from './lint';

// `tvc repro --trace`: each stage command runs under `strace -f`, and the files it opened are
// compared with what the stage declares — the runtime check static reading cannot give. The
// session taps the `local` executor before the built-in one (HOOK_STAGE.USER), so repro itself
// is unchanged: the command becomes `strace … -- $SHELL -c 'cmd'` inside the same shell and
// process group, and an abort kills strace and everything below it as before.

const SYSCALLS =
  'open,openat,openat2,creat,rename,renameat,renameat2,chdir,fchdir,clone,clone3,fork,vfork,execve';

/** Where strace is, when it is installed and allowed to trace here (ptrace may be forbidden). */
export function straceAvailable(): string | undefined {
  // TVC_STRACE names the strace to use (and only that one): tests use it to see the message shown without one.
  const chosen = process.env.TVC_STRACE;
  if (chosen !== undefined) {
    return existsSync(chosen) && spawnSync(chosen, ['-f', '-qq', '-o', '/dev/null', 'true']).status === 0
      ? chosen
      : undefined;
  }
  for (const candidate of ['/usr/bin/strace', '/bin/strace', '/usr/local/bin/strace']) {
    if (!existsSync(candidate)) continue;
    const probe = spawnSync(candidate, ['-f', '-qq', '-o', '/dev/null', 'true'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  const which = spawnSync('sh', ['-c', 'command -v strace'], { encoding: 'utf8' });
  const found = which.stdout?.trim();
  if (found && spawnSync(found, ['-f', '-qq', '-o', '/dev/null', 'true']).status === 0) return found;
  return undefined;
}

export interface TraceReport extends LintReport {
  /** Stages whose commands ran under strace. */
  readonly traced: readonly string[];
}

/** A C string as strace prints it (`"a\303\251b"`): the bytes, decoded as UTF-8. */
function unquote(quoted: string): string {
  const bytes: number[] = [];
  for (let index = 0; index < quoted.length; index++) {
    const char = quoted[index]!;
    if (char !== '\\') {
      bytes.push(...Buffer.from(char, 'utf8'));
      continue;
    }
    const next = quoted[++index]!;
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, '\\': 92, '"': 34, "'": 39 };
    if (next in simple) bytes.push(simple[next]!);
    else if (next === 'x') {
      bytes.push(Number.parseInt(quoted.slice(index + 1, index + 3), 16));
      index += 2;
    } else if (/[0-7]/.test(next)) {
      const digits = /^[0-7]{1,3}/.exec(quoted.slice(index))![0];
      bytes.push(Number.parseInt(digits, 8));
      index += digits.length - 1;
    } else bytes.push(...Buffer.from(next, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** What one traced command did: files read and written (absolute), from strace's `-f -o` log. */
export function parseStraceLog(log: string, cwd: string): { reads: Set<string>; writes: Set<string> } {
  const reads = new Set<string>();
  const writes = new Set<string>();
  const cwds = new Map<string, string>();
  const pending = new Map<string, string>();
  let firstPid: string | undefined;
  const cwdOf = (pid: string) => cwds.get(pid) ?? cwd;
  for (const raw of log.split('\n')) {
    let line = raw;
    const pidMatch = /^(\d+)\s+/.exec(line);
    const pid = pidMatch?.[1] ?? '0';
    if (pidMatch) line = line.slice(pidMatch[0].length);
    firstPid ??= pid;
    if (!cwds.has(pid) && pid !== firstPid) cwds.set(pid, cwdOf(firstPid));
    if (line.endsWith('<unfinished ...>')) {
      pending.set(pid, line.slice(0, -'<unfinished ...>'.length));
      continue;
    }
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(line);
    if (resumed) {
      line = (pending.get(pid) ?? `${resumed[1]}(`) + resumed[2];
      pending.delete(pid);
    }
    const call = /^(\w+)\((.*)\)\s+=\s+(-?\d+|\?)/.exec(line);
    if (!call) continue;
    const [, name, args = '', result = ''] = call;
    const ok = !result.startsWith('-') && result !== '?';
    const strings = [...args.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => unquote(match[1]!));
    const resolve = (value: string) => path.resolve(cwdOf(pid), value);
    switch (name) {
      case 'clone':
      case 'clone3':
      case 'fork':
      case 'vfork':
        if (ok && !cwds.has(result)) cwds.set(result, cwdOf(pid));
        break;
      case 'chdir':
        if (ok && strings[0]) cwds.set(pid, resolve(strings[0]));
        break;
      case 'execve':
        if (ok && strings[0]) reads.add(resolve(strings[0]));
        break;
      case 'open':
      case 'openat':
      case 'openat2':
      case 'creat': {
        if (!ok || !strings[0]) break;
        if (/O_DIRECTORY/.test(args)) break;
        const file = resolve(strings[0]);
        if (name === 'creat' || /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND/.test(args)) writes.add(file);
        else reads.add(file);
        break;
      }
      case 'rename':
      case 'renameat':
      case 'renameat2':
        if (ok && strings.length >= 2) {
          writes.delete(resolve(strings[0]!));
          writes.add(resolve(strings[strings.length - 1]!));
        }
        break;
      default:
        break;
    }
  }
  return { reads, writes };
}

const IGNORED =
  /(^|\/)(\.git|\.dvc|__pycache__|\.ipynb_checkpoints|node_modules|\.venv|venv|site-packages|\.pytest_cache|\.mypy_cache)(\/|$)|\.pyc$/;

/**
 * One `repro --trace`: {@link TraceSession.start} checks strace and taps the executor;
 * {@link TraceSession.report} compares what each traced stage opened with what it declares.
 */
export class TraceSession {
  static readonly PLUGIN_NAME = 'tvc:trace';
  readonly #tvc: Tvc;
  readonly #strace: string;
  readonly #directory: string;
  readonly #observed = new Map<string, StageObservation>();
  #count = 0;

  private constructor(tvc: Tvc, strace: string) {
    this.#tvc = tvc;
    this.#strace = strace;
    this.#directory = mkdtempSync(path.join(tmpdir(), 'tvc-trace-'));
  }

  /** Starts tracing the stage commands of `tvc`'s next reproduction; throws where strace is missing. */
  static start(tvc: Tvc): TraceSession {
    const strace = straceAvailable();
    if (!strace) {
      throw new TvcError(
        'STRACE_MISSING',
        'repro --trace needs strace, which is not installed or cannot trace here',
        {
          hint: 'install it (Debian/Ubuntu: apt-get install strace), or run `tvc lint` for the static checks',
        },
      );
    }
    const session = new TraceSession(tvc, strace);
    const local = new LocalExecutor();
    const executor: Executor = {
      specificationVersion: 'v1',
      name: 'local',
      supports: (capability) => local.supports(capability),
      run: (task, context) => session.#run(local, task, context),
    };
    tvc.hooks.executor
      .for('local')
      .tap({ name: TraceSession.PLUGIN_NAME, stage: HOOK_STAGE.USER }, () => executor);
    return session;
  }

  async #run(local: LocalExecutor, task: ExecutorTask, context: ExecutorContext): Promise<ExecutorResult> {
    const logs: string[] = [];
    const env = { ...process.env, ...task.env };
    const shell = env.SHELL && path.isAbsolute(env.SHELL) ? env.SHELL : '/bin/sh';
    const commands = task.commands.map((command) => {
      const log = path.join(this.#directory, `${++this.#count}.log`);
      logs.push(log);
      const flags = path.basename(shell) === 'bash' ? ' --noprofile --norc' : '';
      return `exec ${shellQuote(this.#strace)} -f -qq -s 4096 -e trace=${SYSCALLS} -o ${shellQuote(log)} -- ${shellQuote(shell)}${flags} -c ${shellQuote(command)}`;
    });
    // `> cmd` shows the user's command, not the strace line.
    const result = await local.run(
      { ...task, commands },
      { ...context, onCommand: (index) => context.onCommand?.(index, task.commands[index] ?? '') },
    );
    const observation = this.#observed.get(task.id) ?? {
      reads: new Set<string>(),
      writes: new Set<string>(),
    };
    for (const log of logs) {
      let text = '';
      try {
        text = readFileSync(log, 'utf8');
      } catch {
        continue;
      }
      const { reads, writes } = parseStraceLog(text, task.cwd);
      for (const file of writes) observation.writes.add(file);
      for (const file of reads) if (!observation.writes.has(file)) observation.reads.add(file);
    }
    this.#observed.set(task.id, observation);
    return result;
  }

  /** The findings: per traced stage, undeclared reads, undeclared writes, params files opened but not declared. */
  async report(): Promise<TraceReport> {
    const root = this.#tvc.root;
    const keep = (file: string) => {
      const relative = path.relative(root, file);
      return (
        !relative.startsWith('..') &&
        !path.isAbsolute(relative) &&
        relative !== '' &&
        !IGNORED.test(relative.split(path.sep).join('/'))
      );
    };
    const observations = new Map<string, StageObservation>();
    for (const [stage, observed] of this.#observed) {
      observations.set(stage, {
        reads: new Set([...observed.reads].filter((file) => keep(file) && existsSync(file))),
        // Temporary files, gone once the stage ended, are no outputs.
        writes: new Set([...observed.writes].filter((file) => keep(file) && existsSync(file))),
      });
    }
    const report = await lintObservations(this.#tvc, observations);
    return { ...report, traced: [...this.#observed.keys()] };
  }

  /** Removes the strace logs. */
  close(): void {
    rmSync(this.#directory, { recursive: true, force: true });
  }
}
