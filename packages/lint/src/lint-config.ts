import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TvcError, yaml } from '@tvc/core';
import { RULES, type RuleId } from './findings';

/** One silenced rule, or one finding of it: for a stage and/or a subject (a params key, a path). */
export interface IgnoreEntry {
  readonly rule: RuleId;
  readonly stage?: string | undefined;
  readonly subject?: string | undefined;
}

export interface LintConfig {
  readonly ignore: readonly IgnoreEntry[];
}

/** The file `tvc lint` reads its settings from, at the repository root. */
export const LINT_CONFIG_FILE = '.tvclint.yaml';

function isRule(value: unknown): value is RuleId {
  return typeof value === 'string' && Object.hasOwn(RULES, value);
}

/**
 * Reads `.tvclint.yaml`:
 * ```yaml
 * ignore:
 *   - cached-metrics                 # the whole rule
 *   - rule: undeclared-param         # one finding
 *     stage: train
 *     subject: train.seed
 * ```
 */
export function readLintConfig(root: string): LintConfig {
  const file = path.join(root, LINT_CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { ignore: [] };
  }
  const { parseDocument, LineCounter } = yaml();
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  const fail = (message: string, offset = 0): never => {
    const position = lineCounter.linePos(offset);
    throw new TvcError('LINT_CONFIG_INVALID', message, {
      location: { file: LINT_CONFIG_FILE, line: position.line, column: position.col },
      hint: `rules: ${Object.keys(RULES).join(', ')}`,
    });
  };
  if (document.errors.length > 0) fail(document.errors[0]!.message, document.errors[0]!.pos[0]);
  const value = document.toJS() as unknown;
  if (value === null || value === undefined) return { ignore: [] };
  if (typeof value !== 'object' || Array.isArray(value)) fail(`${LINT_CONFIG_FILE} must hold a mapping`);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'ignore') fail(`unknown key '${key}' in ${LINT_CONFIG_FILE} (only 'ignore')`);
  }
  const list = record.ignore ?? [];
  if (!Array.isArray(list)) return fail("'ignore' must be a list");
  const ignore: IgnoreEntry[] = [];
  for (const [index, item] of list.entries()) {
    const offset =
      (document.getIn(['ignore', index], true) as { range?: [number] } | undefined)?.range?.[0] ?? 0;
    if (isRule(item)) ignore.push({ rule: item });
    else if (item && typeof item === 'object' && isRule((item as Record<string, unknown>).rule)) {
      const entry = item as Record<string, unknown>;
      ignore.push({
        rule: entry.rule as RuleId,
        stage: typeof entry.stage === 'string' ? entry.stage : undefined,
        subject: typeof entry.subject === 'string' ? entry.subject : undefined,
      });
    } else fail(`ignore entry ${index + 1} names no rule of tvc lint`, offset);
  }
  return { ignore };
}
