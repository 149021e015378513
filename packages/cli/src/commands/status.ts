import {
  describeStaleRun,
  dvcStatusEntry,
  isChanged,
  isRepoImport,
  resolveTargets,
  StatusChecker,
  staleRuns,
  TvcError,
  Workspace,
} from '@tvc/core';
import { pythonJsonDumps } from '@tvc/params';
import type { CommandContext } from '../context';
import { writeLine } from '../io';

export interface StatusOptions {
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly recursive?: boolean;
  readonly withDeps?: boolean;
  readonly cloud?: boolean;
  readonly remote?: string;
  readonly jobs?: string;
  readonly allBranches?: boolean;
  readonly allTags?: boolean;
  readonly allCommits?: boolean;
  /** False with `--no-updates`: frozen imports are not checked for updates. */
  readonly updates?: boolean;
}

/** `tvc status -c [-r NAME]`: the cache against a remote, in DVC's words (`new`, `deleted`, `missing`). */
async function cloudStatus(
  context: CommandContext,
  targets: string[],
  options: StatusOptions,
): Promise<number> {
  const tvc = await context.tvc();
  const { remoteStatus } = await import('@tvc/data');
  const { parseJobs } = await import('./data-sync');
  const result = await remoteStatus(tvc, {
    remote: options.remote,
    jobs: parseJobs(options.jobs),
    targets,
    withDeps: options.withDeps,
    recursive: options.recursive,
    allBranches: options.allBranches,
    allTags: options.allTags,
    allCommits: options.allCommits,
    onWarning: (message) => {
      if (!options.json && !options.quiet) context.io.stderr.write(`WARNING: ${message}\n`);
    },
  });
  const changed = Object.keys(result.entries).length > 0;
  if (options.json) writeLine(context.io.stdout, pythonJsonDumps(result.entries));
  else if (options.quiet) return changed ? 1 : 0;
  // DVC indents with a tab under -c only (not for -r alone)
  else if (changed)
    writeLine(context.io.stdout, renderStatus(result.entries, options.cloud ? 1 : 0).join('\n'));
  else if ((await tvc.loadPipeline()).stages.length === 0) writeLine(context.io.stdout, EMPTY_PROJECT);
  else writeLine(context.io.stdout, `Cache and remote '${result.remote}' are in sync.`);
  return 0;
}

const STATUS_LEN = 20;
const UP_TO_DATE = 'Data and pipelines are up to date.';
const EMPTY_PROJECT =
  'There are no data or pipelines tracked in this project yet.\nSee `tvc stage add --help` to get started!';

/** DVC's text rendering of a status tree: tab-indented, status words padded to 20 columns. */
export function renderStatus(status: unknown, indent = 0): string[] {
  const tabs = '\t'.repeat(indent);
  if (typeof status === 'string') return [`${tabs}${status}`];
  if (Array.isArray(status)) return status.flatMap((entry) => renderStatus(entry, indent));
  const lines: string[] = [];
  for (const [key, value] of Object.entries(status as Record<string, unknown>)) {
    if (typeof value === 'string') lines.push(`${tabs}${`${value}:`.padEnd(STATUS_LEN)}${key}`);
    else if (value && (typeof value !== 'object' || Object.keys(value).length > 0)) {
      lines.push(`${tabs}${key}:`);
      lines.push(...renderStatus(value, indent + 1));
    }
  }
  return lines;
}

/** `tvc status`: which stages changed and why, in DVC's text and JSON. `-q` exits 1 when any did. */
export default async function status(
  context: CommandContext,
  targets: string[],
  options: StatusOptions,
): Promise<number> {
  try {
    if (options.cloud || options.remote) return await cloudStatus(context, targets, options);
    const tvc = await context.tvc();
    if (!options.quiet) {
      // runs a killed tvc left behind (a command still running, or outputs it may not have finished)
      for (const run of staleRuns(tvc.root)) {
        if (run.state === 'orphaned') {
          context.io.stderr.write(
            `WARNING: ${describeStaleRun(run)}; stop it with: kill ${run.pids.join(' ')}\n`,
          );
        } else if (run.state === 'interrupted') {
          context.io.stderr.write(`WARNING: ${describeStaleRun(run)}; tvc repro runs it again\n`);
        }
      }
    }
    // A hostile .dvc file or dvc.lock entry is refused with its place, as by every data command.
    const { loadCheckedPipeline } = await import('@tvc/data');
    const pipeline = await loadCheckedPipeline(tvc, { tolerateOverlaps: true });
    let stages = resolveTargets(pipeline, targets, {
      cwd: context.io.cwd,
      recursive: options.recursive === true,
    });
    if (options.withDeps && targets.length > 0) {
      const upstream = pipeline.graph.ancestors(stages);
      stages = pipeline.order([...stages, ...upstream]);
    }
    if (!options.json && !options.quiet) {
      tvc.hooks.log.tap('tvc:status', (event) => {
        if (event.level === 'warn') context.io.stderr.write(`WARNING: ${event.message}\n`);
      });
    }
    const workspace = new Workspace(tvc.root);
    const checker = new StatusChecker(tvc, workspace, { checkUpdates: options.updates !== false });
    const result: Record<string, unknown> = {};
    try {
      const statuses = await Promise.all(stages.map((stage) => checker.status(stage)));
      for (const stageStatus of statuses) {
        if (stageStatus.stage.frozen && !isRepoImport(stageStatus.stage) && !options.json && !options.quiet) {
          context.io.stderr.write(
            `WARNING: stage: '${stageStatus.stage.addressing}' is frozen. Its dependencies are not going to be shown in the status output.\n`,
          );
        }
        if (isChanged(stageStatus)) result[stageStatus.stage.addressing] = dvcStatusEntry(stageStatus);
      }
    } finally {
      await workspace.close();
    }
    const changed = Object.keys(result).length > 0;
    if (options.json) writeLine(context.io.stdout, pythonJsonDumps(result));
    else if (options.quiet) return changed ? 1 : 0;
    else if (changed) writeLine(context.io.stdout, renderStatus(result).join('\n'));
    else writeLine(context.io.stdout, pipeline.stages.length === 0 ? EMPTY_PROJECT : UP_TO_DATE);
    return 0;
  } catch (error) {
    // Like `dvc status`, an error exits with 1.
    if (error instanceof TvcError && error.code !== 'NOT_A_DVC_REPO') {
      const { reportError } = await import('../errors');
      reportError(error, context.io, context.verbose);
      return 1;
    }
    throw error;
  }
}
