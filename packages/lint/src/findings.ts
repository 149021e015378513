/** The rules of `tvc lint`, with what each means and how bad it is. */
export const RULES = Object.freeze({
  schema: {
    severity: 'error',
    description: 'dvc.yaml or a .dvc file does not load (DVC schema, YAML, templating, graph)',
  },
  'undeclared-param': {
    severity: 'warning',
    description: "the stage's code reads a params key the stage does not declare: changing it reruns nothing",
  },
  'partial-params-file': {
    severity: 'warning',
    description:
      'the code uses a whole params file (or subtree) but the stage declares only some of its keys',
  },
  'missing-param': {
    severity: 'error',
    description: 'a declared params key (or file) that no params file has',
  },
  'undeclared-dep': {
    severity: 'warning',
    description: 'a file the command names, the script imports or reads, that is not a dependency',
  },
  'undeclared-output': {
    severity: 'warning',
    description: 'a file the command or script writes that is not an output of the stage',
  },
  'cached-metrics': {
    severity: 'info',
    description: 'a metrics or plots file kept in the cache, where git would show it in diffs and reviews',
  },
  'git-tracked-output': {
    severity: 'error',
    description: 'a cached output that git tracks too: DVC refuses it ("already tracked by SCM")',
  },
  'no-deps': {
    severity: 'warning',
    description: 'a stage with a command and outputs but no dependencies: it never reruns',
  },
  'always-changed-upstream': {
    severity: 'info',
    description: 'an always_changed stage with stages downstream: they rerun whenever its outputs differ',
  },
  'script-syntax': {
    severity: 'warning',
    description: "a stage's script that could not be read (not valid Python, not a notebook)",
  },
} as const);

export type RuleId = keyof typeof RULES;
export type Severity = 'error' | 'warning' | 'info';

export interface FindingLocation {
  /** Relative to the repository root, forward slashes. */
  readonly file: string;
  readonly line?: number | undefined;
  readonly column?: number | undefined;
}

/** A declaration `--fix` can add to the stage. Paths are relative to the stage's wdir. */
export type FindingEdit =
  | { readonly section: 'params'; readonly file: string; readonly key: string }
  | { readonly section: 'deps' | 'outs'; readonly path: string };

export interface Finding {
  readonly rule: RuleId;
  readonly severity: Severity;
  readonly message: string;
  /** One line saying what to do. */
  readonly fix: string;
  readonly location: FindingLocation;
  /** The stage's addressing. */
  readonly stage?: string | undefined;
  /** The key or path the finding is about. */
  readonly subject?: string | undefined;
  /** Where the code does it (a script line), when the finding comes from reading code. */
  readonly source?: FindingLocation | undefined;
  /** What `--fix` adds. */
  readonly edit?: FindingEdit | undefined;
  /** The dvc.yaml and the stage definition the edit goes into (not set for generated stages). */
  readonly target?: { readonly file: string; readonly stage: string } | undefined;
}

export interface LintSummary {
  readonly errors: number;
  readonly warnings: number;
  readonly infos: number;
  readonly ignored: number;
}

export interface LintReport {
  readonly findings: readonly Finding[];
  readonly summary: LintSummary;
}

export function summarize(findings: readonly Finding[], ignored: number): LintSummary {
  return {
    errors: findings.filter((finding) => finding.severity === 'error').length,
    warnings: findings.filter((finding) => finding.severity === 'warning').length,
    infos: findings.filter((finding) => finding.severity === 'info').length,
    ignored,
  };
}

function where(location: FindingLocation): string {
  let text = location.file;
  if (location.line !== undefined) text += `:${location.line}`;
  if (location.column !== undefined) text += `:${location.column}`;
  return text;
}

/** The text report: one finding a line (with its fix indented below), then a summary line. */
export function formatText(report: LintReport): string {
  const lines: string[] = [];
  for (const finding of report.findings) {
    lines.push(`${where(finding.location)}: ${finding.severity} [${finding.rule}] ${finding.message}`);
    lines.push(`  fix: ${finding.fix}`);
  }
  const { errors, warnings, infos, ignored } = report.summary;
  const total = errors + warnings + infos;
  const parts = [
    `${errors} error${errors === 1 ? '' : 's'}`,
    `${warnings} warning${warnings === 1 ? '' : 's'}`,
  ];
  if (infos > 0) parts.push(`${infos} note${infos === 1 ? '' : 's'}`);
  if (ignored > 0) parts.push(`${ignored} ignored`);
  lines.push(
    total === 0 ? `No problems found${ignored > 0 ? ` (${ignored} ignored)` : ''}.` : `${parts.join(', ')}.`,
  );
  return `${lines.join('\n')}\n`;
}

/** SARIF 2.1.0, for code-scanning dashboards. */
export function toSarif(report: LintReport, version: string): unknown {
  const ruleIds = Object.keys(RULES) as RuleId[];
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'tvc lint',
            version,
            rules: ruleIds.map((id) => ({
              id,
              shortDescription: { text: RULES[id].description },
              defaultConfiguration: { level: sarifLevel(RULES[id].severity) },
            })),
          },
        },
        results: report.findings.map((finding) => ({
          ruleId: finding.rule,
          ruleIndex: ruleIds.indexOf(finding.rule),
          level: sarifLevel(finding.severity),
          message: { text: `${finding.message} Fix: ${finding.fix}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: finding.location.file, uriBaseId: '%SRCROOT%' },
                ...(finding.location.line === undefined
                  ? {}
                  : {
                      region: {
                        startLine: finding.location.line,
                        ...(finding.location.column === undefined
                          ? {}
                          : { startColumn: finding.location.column }),
                      },
                    }),
              },
            },
          ],
          ...(finding.source
            ? {
                relatedLocations: [
                  {
                    id: 1,
                    message: { text: 'in the code' },
                    physicalLocation: {
                      artifactLocation: { uri: finding.source.file, uriBaseId: '%SRCROOT%' },
                      region: {
                        startLine: finding.source.line ?? 1,
                        startColumn: finding.source.column ?? 1,
                      },
                    },
                  },
                ],
              }
            : {}),
        })),
      },
    ],
  };
}

function sarifLevel(severity: Severity): 'error' | 'warning' | 'note' {
  return severity === 'info' ? 'note' : severity;
}
