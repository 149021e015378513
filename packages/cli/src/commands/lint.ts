import { TvcError } from '@tvc/core';
import { applyFixes, formatText, lintRepository, toSarif } from '@tvc/lint';
import type { CommandContext } from '../context';
import { writeLine } from '../io';
import { VERSION } from '../main';

export interface LintCommandOptions {
  readonly json?: boolean;
  readonly format?: string;
  readonly fix?: boolean;
  readonly quiet?: boolean;
}

/**
 * `tvc lint`: exit 0 when nothing but notes is found, 1 when there are warnings or errors (after
 * `--fix`, only what is left counts).
 */
export default async function lint(
  context: CommandContext,
  targets: string[],
  options: LintCommandOptions,
): Promise<number> {
  const format = options.json ? 'json' : (options.format ?? 'text');
  if (!['text', 'json', 'sarif'].includes(format)) {
    throw new TvcError('INVALID_ARGUMENT', `--format must be text, json or sarif, not '${format}'`);
  }
  const tvc = await context.tvc();
  let report = await lintRepository(tvc, { targets });
  const { io } = context;
  if (options.fix) {
    const fixed = await applyFixes(tvc.root, report.findings);
    if (fixed.diff) io.stderr.write(fixed.diff.endsWith('\n') ? fixed.diff : `${fixed.diff}\n`);
    if (fixed.fixed.length > 0 && !options.quiet) {
      io.stderr.write(
        `Fixed ${fixed.fixed.length} finding${fixed.fixed.length === 1 ? '' : 's'} in ${fixed.files.join(', ')}.\n`,
      );
    }
    if (fixed.files.length > 0) report = await lintRepository(tvc, { targets });
  }
  if (format === 'json') writeLine(io.stdout, JSON.stringify(report, null, 2));
  else if (format === 'sarif') writeLine(io.stdout, JSON.stringify(toSarif(report, VERSION), null, 2));
  else if (!options.quiet || report.findings.length > 0) io.stdout.write(formatText(report));
  return report.summary.errors + report.summary.warnings > 0 ? 1 : 0;
}
