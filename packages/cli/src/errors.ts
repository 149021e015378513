import { ConfigError } from '@tvc/config';
import { formatLocation, PluginError, TvcError, TvcErrorList } from '@tvc/core';
import type { Io } from './io';

/** Prints an error as DVC does (`ERROR: …`, a hint below) and returns the exit code. */
export function reportError(error: unknown, io: Io, verbose: boolean): number {
  const lines: string[] = [];
  if (error instanceof ConfigError || (error instanceof TvcError && error.code === 'CONFIG_ERROR')) {
    // DVC's wording and exit code for config errors, with the file (and line) tvc knows.
    const message = error instanceof ConfigError ? `config file error: ${error.message}` : error.message;
    const where = error.location ? ` (in ${formatLocation(error.location)})` : '';
    lines.push(`ERROR: configuration error - ${message}${where}`);
    if (error.hint) lines.push(`  hint: ${error.hint}`);
    io.stderr.write(`${lines.join('\n')}\n`);
    return 251;
  }
  if (error instanceof TvcErrorList) {
    for (const problem of error.problems) {
      lines.push(`ERROR: ${problem.describe()}`);
      if (problem.hint && verbose) lines.push(`  hint: ${problem.hint}`);
    }
  } else if (error instanceof TvcError) {
    lines.push(`ERROR: ${error.describe()}`);
    if (error.hint) lines.push(`  hint: ${error.hint}`);
    if (verbose && error instanceof PluginError && error.cause instanceof Error && error.cause.stack) {
      lines.push(error.cause.stack);
    }
  } else {
    const message = error instanceof Error ? error.message : String(error);
    lines.push(`ERROR: unexpected error - ${message}`);
    if (verbose && error instanceof Error && error.stack) lines.push(error.stack);
    else lines.push('  hint: run again with -v for the stack trace, and please report it');
  }
  io.stderr.write(`${lines.join('\n')}\n`);
  // DVC's exit codes: 251 for a config error, 253 outside a repository, 254 for a bad argument, 255 for any other error.
  if (error instanceof TvcError && error.code === 'NOT_A_DVC_REPO') return 253;
  return error instanceof TvcError && error.code === 'USAGE' ? 254 : 255;
}
