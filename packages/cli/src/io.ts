import type { Writable } from 'node:stream';
import type { CommandIo } from '@tvc/core';

/** The streams and environment a command runs with; tests pass their own. */
export interface Io extends CommandIo {
  /** Whether stdout is a terminal (colours, live progress). */
  readonly isTTY: boolean;
  /** The terminal's width in columns, when stdout is a terminal. */
  readonly columns?: number | undefined;
}

export function processIo(): Io {
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
