// Types of compare-with-dvc.mjs, for the tests that share its commands and rules.
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
}
/** The commands compared, in order. */
export const COMMANDS: readonly (readonly string[])[];
/** Commands whose JSON DVC prints in a hash-seed-dependent order: compared with sorted keys. */
export const UNORDERED: ReadonlySet<string>;
/** An output without the deliberate differences (DVC's push hint after a repro). */
export function comparable(text: string): string;
/** Whether two outputs of `command` agree (exit code, then stdout as the command's rule says). */
export function agree(command: string, ours: CommandResult, theirs: CommandResult): boolean;
/** What one run printed. */
export interface RunOutput extends CommandResult {
  readonly stderr: string;
}
/** Runs DVC on each `[cwd, args]` job (in one Python process when DVC's venv python is beside it). */
export function runDvc(
  dvc: string,
  jobs: readonly (readonly [string, readonly string[]])[],
): Promise<RunOutput[]>;
/** Runs the built tvc in `cwd`. */
export function runTvc(args: readonly string[], cwd: string): Promise<RunOutput>;
