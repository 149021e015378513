/**
 * The executor contract, version 1. An executor runs commands in some workspace: the user's
 * (`local`), an isolated copy (`temp`), a pool of copies (`parallel`), or a worker on another
 * machine. Inputs and outputs are described by value (commands, environment, working directory,
 * and, for experiments, git commits and cache objects) so that a remote worker can implement it.
 */
export interface Executor {
  readonly specificationVersion: 'v1';
  readonly name: string;
  /** Whether this executor can do `capability` (e.g. `commands`, `experiments`, `remote`). */
  supports(capability: string): boolean;
  /** Runs the task's commands in order and reports how they ended. */
  run(task: ExecutorTask, context: ExecutorContext): Promise<ExecutorResult>;
}

export interface ExecutorTask {
  /** A stable id for logs: the stage's addressing or the experiment's name. */
  readonly id: string;
  readonly commands: readonly string[];
  /** The working directory, absolute. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface ExecutorContext {
  /** Aborting kills the task's whole process group. */
  readonly signal?: AbortSignal | undefined;
  /** Receives the task's output as it comes. */
  readonly onOutput?: ((chunk: Buffer, stream: 'stdout' | 'stderr') => void) | undefined;
  /** Called as each command starts (DVC prints `> command` then). */
  readonly onCommand?: ((index: number, command: string) => void) | undefined;
}

export interface ExecutorResult {
  /** The index of the command that failed, or `undefined` when all succeeded. */
  readonly failedCommand: number | undefined;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** What a plugin asks for when it requests an executor by name. */
export interface ExecutorRequest {
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
}
