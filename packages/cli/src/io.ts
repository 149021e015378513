import type { Writable } from 'node:stream';
import type { CommandIo } from '@tvc/core';

/** The streams and environment a command runs with; tests pass their own. */
export interface Io extends CommandIo {
  /** Whether stdout is a terminal (colours, live progress). */
  readonly isTTY: boolean;
  /** The terminal's width in columns, when stdout is a terminal. */
  readonly columns?: number | undefined;
}

/** DVC's exit code when the reader of its output went away (128 + SIGPIPE). */
export const EXIT_CLOSED_PIPE = 141;

let guarded = false;

/**
 * A reader that closed early (`tvc queue status | head -1`) makes the next write fail with EPIPE;
 * unhandled, Node prints a stack trace. tvc ends quietly instead, with 141 as DVC does (the shell
 * sees what a program killed by SIGPIPE returns). Nothing more can be said to that reader, so the
 * process exits at once; a lock it held is taken over by the next command (its pid is dead), and
 * a temporary workspace it made is removed by the next queue command.
 */
export function exitQuietlyOnClosedPipe(
  streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr],
): void {
  if (guarded) return;
  guarded = true;
  for (const stream of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(EXIT_CLOSED_PIPE);
      throw error;
    });
  }
}

export function processIo(): Io {
  exitQuietlyOnClosedPipe();
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
  };
}

export function write(stream: Writable, text: string): void {
  stream.write(text);
}

export function writeLine(stream: Writable, text = ''): void {
  stream.write(`${text}\n`);
}

/**
 * DVC's hint after a command changed files git should track (`add`, `import`, `repro`, `stage
 * add`), naming tvc's own command for auto staging.
 */
export function writeTrackingHint(out: Writable, files: readonly string[]): void {
  out.write(
    `\nTo track the changes with git, run:\n\n\tgit add ${files.join(' ')}\n\nTo enable auto staging, run:\n\n\ttvc config core.autostage true\n`,
  );
}
