import { findUp, type Tvc, TvcError } from '@tvc/core';
import { openTvc } from '@tvc/preset-default';
import type { Io } from './io';

/** What every command gets: the streams, and the repository's Tvc, opened on first use. */
export class CommandContext {
  readonly io: Io;
  readonly verbose: boolean;
  #tvc: Promise<Tvc> | undefined;

  constructor(io: Io, verbose: boolean, tvc?: Promise<Tvc>) {
    this.io = io;
    this.verbose = verbose;
    this.#tvc = tvc;
  }

  /** The repository's Tvc; a clear error outside a DVC repository. */
  tvc(): Promise<Tvc> {
    this.#tvc ??= openTvc({ cwd: this.io.cwd, cacheParsedFiles: true });
    return this.#tvc;
  }
}

/** Opens the repository around `cwd` if there is one (to learn its plugin commands), else nothing. */
export function openIfInRepository(cwd: string): Promise<Tvc> | undefined {
  if (!findUp(cwd, '.dvc')) return undefined;
  const opening = openTvc({ cwd, cacheParsedFiles: true });
  opening.catch(() => {}); // reported when a command needs it
  return opening;
}

export { TvcError };
