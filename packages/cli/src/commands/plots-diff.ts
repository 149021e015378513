import { TvcError } from '@tvc/core';
import { listRefs, parseExpRef, resolveExperimentRev } from '@tvc/experiments';
import type { CommandContext } from '../context';
import { writeLine } from '../io';
import { checkShowVega, type PlotsShowOptions, showPlots } from './plots-show';

export interface PlotsDiffOptions extends PlotsShowOptions {
  readonly targets?: readonly string[];
  readonly experiment?: boolean;
}

async function hasCommits(gitRoot: string): Promise<boolean> {
  const { simpleGit } = await import('simple-git');
  const head = await simpleGit(gitRoot)
    .raw(['rev-parse', '--verify', '--quiet', 'HEAD'])
    .catch(() => '');
  return head.trim() !== '';
}

async function isDirty(gitRoot: string): Promise<boolean> {
  const { simpleGit } = await import('simple-git');
  const status = await simpleGit(gitRoot)
    .raw(['status', '--porcelain', '--untracked-files=no'])
    .catch(() => '');
  return status.trim() !== '';
}

/**
 * `tvc plots diff [revisions...]`: the plots of git revisions or experiments side by side. As DVC:
 * no revision compares the workspace with HEAD (HEAD only when tracked files changed); one revision
 * compares it with the workspace, or with its baseline under `-e`.
 */
export default async function plotsDiff(
  context: CommandContext,
  revisions: string[],
  options: PlotsDiffOptions,
): Promise<number> {
  const targets = options.targets ?? [];
  if (!checkShowVega(context, targets, options)) return 1;
  const tvc = await context.tvc();
  const gitRoot = tvc.scmRoot;
  if (!gitRoot) {
    throw new TvcError('NOT_A_GIT_REPO', 'plots diff needs a git repository', {
      hint: 'run it inside a git repository, or use `tvc plots show`',
    });
  }
  if (!(await hasCommits(gitRoot))) {
    // As DVC: a repository without commits has nothing to compare.
    if (options.json) writeLine(context.io.stdout, '{}');
    else writeLine(context.io.stderr, 'No plots were loaded, visualization file will not be created.');
    return 0;
  }
  const wanted = [...revisions];
  const refs = options.experiment && wanted.length === 1 ? await listRefs(gitRoot) : [];
  if (options.experiment && wanted.length === 1) {
    const exp = refs.map((ref) => parseExpRef(ref.name)).find((parsed) => parsed?.name === wanted[0]);
    if (exp) wanted.push(exp.baseline.slice(0, 7));
  }
  if (wanted.length <= 1) {
    if (wanted.length === 0 && (await isDirty(gitRoot))) wanted.push('HEAD');
    wanted.push('workspace');
  }
  const resolved = new Map<string, string>();
  for (const rev of wanted) {
    if (rev === 'workspace') continue;
    const sha = await resolveExperimentRev(gitRoot, rev);
    if (!sha) {
      // As DVC's `plots` commands: the error on one line, exit code 1.
      writeLine(context.io.stderr, `ERROR: unknown Git revision '${rev}'`);
      return 1;
    }
    resolved.set(rev, sha);
  }
  return showPlots(context, tvc, targets, options, { revisions: wanted, resolved });
}
