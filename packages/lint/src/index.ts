export type { CommandFacts, ScriptLanguage, ScriptRun } from './command-reader';
export { readCommand } from './command-reader';
export type {
  Finding,
  FindingEdit,
  FindingLocation,
  LintReport,
  LintSummary,
  RuleId,
  Severity,
} from './findings';
export { formatText, RULES, summarize, toSarif } from './findings';
export type { FixResult } from './fix';
export { applyFixes, applyFixesToText } from './fix';
export type { GitHookResult } from './git-hooks';
export { installGitHooks } from './git-hooks';
export type { LintOptions } from './lint';
export { lintRepository } from './lint';
export type { IgnoreEntry, LintConfig } from './lint-config';
export { LINT_CONFIG_FILE, readLintConfig } from './lint-config';
export type { CodeLocation, FileAccess, ImportedModule, ParamAccess, ScriptFacts } from './python-reader';
export { ignoreComments, readPythonScript } from './python-reader';
export { readNotebook, readTextScript } from './text-reader';
export type { TraceReport, TraceSession } from './trace';
export { straceAvailable, TraceSession as Tracer } from './trace';
