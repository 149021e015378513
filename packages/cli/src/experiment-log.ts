import { Writable } from 'node:stream';
import type { Tvc } from '@tvc/core';
import type { Io } from './io';
import { ReproReporter } from './reporter';

/** An output stream that hands every chunk to `write`. */
export function writerStream(write: (chunk: string | Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      write(chunk);
      callback();
    },
  });
}

/**
 * Attaches the CLI's reproduction reporter to an experiment's Tvc, writing what DVC prints
 * (`Running stage 'x':`, `> cmd`, the commands' output) through `write`: an experiment's log,
 * or the terminal with a `[name] ` prefix when several run at once.
 */
export function attachExperimentReporter(tvc: Tvc, write: (text: string) => void, env: Io['env']): void {
  const stream = writerStream((chunk) => write(chunk.toString()));
  new ReproReporter({ stdout: stream, stderr: stream, cwd: tvc.root, env, isTTY: false }).attach(tvc);
}

/** Prefixes each complete line with `prefix`, keeping a partial last line until it ends. */
export function linePrefixer(prefix: string, write: (text: string) => void): (text: string) => void {
  let partial = '';
  return (text) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    if (lines.length > 0) write(lines.map((line) => `${prefix}${line}\n`).join(''));
  };
}
