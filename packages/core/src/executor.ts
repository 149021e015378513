import type { Tvc } from './tvc';

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
  /**
   * Runs one experiment (capability `experiments`): checks out `task.rev`, reproduces, and
   * records the result as an experiment commit in the source repository. Optional: executors
   * that only run commands leave it out.
   */
  runExperiment?(task: ExperimentTask, context: ExperimentContext): Promise<ExperimentOutcome>;
  /**
   * Runs experiments from `source` until it has none left and none runs, up to `jobs` at once
   * (capability `pool`), each through `source`'s executor. Optional.
   */
  runMany?(source: ExperimentSource, options: { readonly jobs: number }): Promise<void>;
}

/** Where a pool takes its experiments from and reports to (the queue, for `queue start`). */
export interface ExperimentSource {
  /** The next experiment to start, claimed, with its context and executor; undefined when none is ready. */
  next(): Promise<{ task: ExperimentTask; context: ExperimentContext; executor: Executor } | undefined>;
  /** Records how one ended (also when the executor threw: a failed outcome). */
  finished(task: ExperimentTask, outcome: ExperimentOutcome): Promise<void>;
  /** When true the pool starts nothing more and returns once the running ones end. */
  stopping(): boolean;
  /** How long to wait before asking `next` again while experiments run (default 250 ms). */
  readonly pollMs?: number;
}

/**
 * One experiment, described by value so that a worker on another machine can run it: the inputs
 * are a git commit (`rev`, the workspace as it was queued, `-S` overrides applied) and the cache
 * objects its dvc.lock names; the outputs are an experiment commit and the cache objects it made.
 */
export interface ExperimentTask {
  /** The queue entry's id (the stash commit's sha for DVC's queue). */
  readonly id: string;
  /** The experiment's name (its ref is `refs/exps/<baseline[:2]>/<baseline[2:]>/<name>`). */
  readonly name: string;
  /** The commit the experiment derives from (its parent). */
  readonly baseline: string;
  /** The commit holding the workspace to run. */
  readonly rev: string;
  /** Reproduction options, JSON-serialisable (no callbacks, no signal). */
  readonly repro: ExperimentReproOptions;
  /** The experiment commit's message (default `dvc: commit experiment <exp_hash>`). */
  readonly message?: string | undefined;
  /** Replace an experiment of the same name. */
  readonly force?: boolean | undefined;
  /** For a pipeline with checkpoint stages: where the checkpoints continue from. */
  readonly checkpoint?: ExperimentCheckpointStart | undefined;
}

/**
 * How a checkpoint experiment starts: the commit its chain continues from (a checkpoint whose tree
 * the task's `rev` holds; default the baseline), and whether the checkpoint outputs are removed
 * first (`--reset`). Each checkpoint becomes a commit on the experiment's ref as it is made.
 */
export interface ExperimentCheckpointStart {
  readonly parent?: string | undefined;
  readonly reset?: boolean | undefined;
}

/** The `repro` options an experiment task carries. */
export interface ExperimentReproOptions {
  readonly targets?: readonly string[];
  readonly force?: boolean;
  readonly single?: boolean;
  readonly downstream?: boolean;
  readonly pipeline?: boolean;
  readonly allPipelines?: boolean;
  readonly noRunCache?: boolean;
  readonly glob?: boolean;
  readonly recursive?: boolean;
  readonly jobs?: number;
  readonly onError?: 'fail' | 'keep-going' | 'ignore';
  readonly forceDownstream?: boolean;
  readonly allowMissing?: boolean;
  readonly noCommit?: boolean;
}

/** Where an experiment comes from and goes back to, and how it reports. */
export interface ExperimentContext {
  /** The git work tree whose objects and refs the experiment reads and writes. */
  readonly scmRoot: string;
  /** The DVC root, absolute (inside `scmRoot`). */
  readonly dvcRoot: string;
  /** The object cache shared with the source repository, absolute. */
  readonly cacheDir: string;
  /** Aborting stops the experiment (its commands' process groups) and records nothing. */
  readonly signal?: AbortSignal | undefined;
  /** Receives everything the experiment prints: DVC-style progress and the commands' output. */
  readonly log: (chunk: string | Buffer) => void;
  /** Called with the directory the experiment runs in, once it exists. */
  readonly onWorkspace?: ((directory: string) => void) | undefined;
  /** Called with the experiment's own Tvc before it reproduces (to attach a reporter to its hooks). */
  readonly onTvc?: ((tvc: Tvc) => void) | undefined;
}

/** How an experiment ended. */
export interface ExperimentOutcome {
  readonly status: 'success' | 'failed';
  /**
   * The experiment's ref and commit, on success; on failure, where the ref was left when it holds
   * checkpoints (the last one made).
   */
  readonly ref?: string | undefined;
  readonly sha?: string | undefined;
  /** Checkpoints this run made (checkpoint pipelines only). */
  readonly checkpoints?: number | undefined;
  readonly expHash?: string | undefined;
  /** Why it failed: a one-line message, the error code, and the failing stage and exit code. */
  readonly error?:
    | {
        readonly code: string;
        readonly message: string;
        readonly stage?: string | undefined;
        readonly exitCode?: number | null | undefined;
      }
    | undefined;
  /** Where the run happened, when the directory is kept (a failed run's partial results). */
  readonly workspace?: string | undefined;
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
  /** Aborting kills the task's processes (the command and everything it started). */
  readonly signal?: AbortSignal | undefined;
  /**
   * Called as each command's process starts, with its pid (the local executor: the shell, in
   * tvc's own process group), so that a run left behind by a killed tvc can be found.
   */
  readonly onSpawn?: ((index: number, pid: number) => void) | undefined;
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
