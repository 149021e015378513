import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { Executor, ExecutorContext, ExecutorResult, ExecutorTask, Tvc } from '@tvc/core';
import { HOOK_STAGE, processesWithEnv, processTree, signalAll } from '@tvc/core';

/**
 * The shell a command runs in, as DVC chooses it: `$SHELL` (bash without its startup files) or
 * `/bin/sh`, with `-c`.
 */
export function shellCommand(
  command: string,
  env: Readonly<Record<string, string | undefined>>,
): [string, string[]] {
  const shell = env.SHELL && path.isAbsolute(env.SHELL) ? env.SHELL : '/bin/sh';
  const flags = path.basename(shell) === 'bash' ? ['--noprofile', '--norc', '-c'] : ['-c'];
  return [shell, [...flags, command]];
}

/** How long a command's processes get between SIGTERM and SIGKILL when a run is aborted. */
export const KILL_GRACE_MS = 3000;

/**
 * The commands running now. They are in tvc's own process group, as DVC runs them: whatever
 * kills tvc's group (a terminal's Ctrl+C, a CI job's or systemd's SIGKILL) reaches them too. An
 * abort signals their process trees instead, since signalling tvc's group would signal tvc and
 * whoever started it.
 */
const running = new Map<ChildProcess, string>();
let exitHookInstalled = false;
let spawned = 0;

/**
 * Set in each command's environment to a value of its own: what the command starts inherits
 * it, so its processes are found even once re-parented (a terminal's Ctrl+C kills the shell
 * before tvc looks for its children).
 */
export const COMMAND_ID_ENV = 'TVC_COMMAND_ID';

/** The command's processes: its tree, and whatever carries its id (see COMMAND_ID_ENV). */
function commandProcesses(child: ChildProcess, id: string): number[] {
  const tree = child.pid === undefined ? [] : processTree(child.pid);
  return [...new Set([...tree, ...processesWithEnv(COMMAND_ID_ENV, id)])].filter(
    (pid) => pid !== process.pid,
  );
}

/** When tvc exits (a second Ctrl+C exits at once), the commands it still runs are killed with it. */
function killOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [child, id] of running) signalAll(commandProcesses(child, id), 'SIGKILL');
  });
}

/**
 * SIGTERM to the command and everything below it, then SIGKILL to whatever of them is left after
 * the grace period. The tree is taken before the first signal: a child whose shell dies is
 * re-parented, but is still in the set.
 */
function killTree(child: ChildProcess, id: string): () => void {
  const tree = new Set(commandProcesses(child, id));
  signalAll(tree, 'SIGTERM');
  const timer = setTimeout(() => {
    for (const below of commandProcesses(child, id)) tree.add(below);
    signalAll(tree, 'SIGKILL');
  }, KILL_GRACE_MS);
  timer.unref();
  return () => clearTimeout(timer);
}

function runOne(
  command: string,
  index: number,
  task: ExecutorTask,
  context: ExecutorContext,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const id = `${process.pid}.${++spawned}.${Date.now()}`;
  const env = { ...process.env, ...task.env, [COMMAND_ID_ENV]: id };
  const [shell, args] = shellCommand(command, env);
  return new Promise((resolve, reject) => {
    // Not detached: in tvc's process group (see `running`).
    const child = spawn(shell, args, { cwd: task.cwd, env, stdio: ['inherit', 'pipe', 'pipe'] });
    let cancelKill: (() => void) | undefined;
    const abort = () => {
      cancelKill ??= killTree(child, id);
    };
    if (child.pid !== undefined) {
      running.set(child, id);
      killOnExit();
      try {
        context.onSpawn?.(index, child.pid);
      } catch (error) {
        abort();
        child.once('close', () => reject(error));
        return;
      }
    }
    if (context.signal?.aborted) abort();
    context.signal?.addEventListener('abort', abort, { once: true });
    child.stdout?.on('data', (chunk: Buffer) => context.onOutput?.(chunk, 'stdout'));
    child.stderr?.on('data', (chunk: Buffer) => context.onOutput?.(chunk, 'stderr'));
    child.on('error', (error) => {
      running.delete(child);
      reject(error);
    });
    child.on('close', (code, signal) => {
      running.delete(child);
      cancelKill?.();
      context.signal?.removeEventListener('abort', abort);
      resolve({ code, signal });
    });
  });
}

/** Runs a task's commands one after the other in the workspace; stops at the first failure. */
export class LocalExecutor implements Executor {
  readonly specificationVersion = 'v1' as const;
  readonly name = 'local';

  supports(capability: string): boolean {
    return capability === 'commands';
  }

  async run(task: ExecutorTask, context: ExecutorContext = {}): Promise<ExecutorResult> {
    for (const [index, command] of task.commands.entries()) {
      if (context.signal?.aborted) return { failedCommand: index, exitCode: null, signal: 'SIGINT' };
      context.onCommand?.(index, command);
      const { code, signal } = await runOne(command, index, task, context);
      if (code !== 0) return { failedCommand: index, exitCode: code, signal };
    }
    return { failedCommand: undefined, exitCode: 0, signal: null };
  }
}

/** Registers the `local` executor. */
export class LocalExecutorPlugin {
  static readonly PLUGIN_NAME = 'tvc:executor-local';

  apply(tvc: Tvc): void {
    const executor = new LocalExecutor();
    tvc.hooks.executor
      .for('local')
      .tap({ name: LocalExecutorPlugin.PLUGIN_NAME, stage: HOOK_STAGE.BUILTIN }, () => executor);
  }
}
