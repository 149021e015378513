import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { Executor, ExecutorContext, ExecutorResult, ExecutorTask, Tvc } from '@tvc/core';
import { HOOK_STAGE } from '@tvc/core';

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

/** How long a process group gets between SIGTERM and SIGKILL when a run is aborted. */
export const KILL_GRACE_MS = 3000;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

function runOne(
  command: string,
  task: ExecutorTask,
  context: ExecutorContext,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const env = { ...process.env, ...task.env };
  const [shell, args] = shellCommand(command, env);
  return new Promise((resolve, reject) => {
    const child = spawn(shell, args, {
      cwd: task.cwd,
      env,
      // Its own process group, so that an abort (Ctrl+C) ends everything the command started.
      detached: true,
      stdio: ['inherit', 'pipe', 'pipe'],
    });
    let killTimer: NodeJS.Timeout | undefined;
    const abort = () => {
      killGroup(child, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child, 'SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    if (context.signal?.aborted) abort();
    context.signal?.addEventListener('abort', abort, { once: true });
    child.stdout?.on('data', (chunk: Buffer) => context.onOutput?.(chunk, 'stdout'));
    child.stderr?.on('data', (chunk: Buffer) => context.onOutput?.(chunk, 'stderr'));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (killTimer) clearTimeout(killTimer);
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
      const { code, signal } = await runOne(command, task, context);
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
