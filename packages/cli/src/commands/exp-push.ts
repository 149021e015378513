import { TvcError } from '@tvc/core';
import type { CommandContext } from '../context';
import { writeLine } from '../io';
import { summary } from './data-sync';
import { type ExpSyncOptions, humanJoin, localExperiments, runGit, syncExperimentData } from './exp-sync';

/**
 * `tvc exp push GIT_REMOTE [EXPERIMENT…]`: each experiment's ref to the git remote
 * (`refs/exps/ab/cdef…/name:` the same), then the data of its commits to the DVC remote, as DVC.
 */
export default async function expPush(
  context: CommandContext,
  gitRemote: string,
  names: string[],
  options: ExpSyncOptions,
): Promise<number> {
  const tvc = await context.tvc();
  const { git, experiments } = await localExperiments(tvc, names, options);
  const upToDate: typeof experiments = [];
  const pushed: typeof experiments = [];
  const diverged: typeof experiments = [];
  for (const exp of experiments) {
    const remote = await runGit(git, ['ls-remote', gitRemote, exp.ref], `git ls-remote ${gitRemote}`);
    if (remote.split(/\s/)[0] === exp.sha) {
      upToDate.push(exp);
      continue;
    }
    try {
      await git.raw(['push', ...(options.force ? ['--force'] : []), gitRemote, `${exp.ref}:${exp.ref}`]);
      pushed.push(exp);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/rejected|non-fast-forward|fetch first/i.test(message)) diverged.push(exp);
      else throw new TvcError('GIT_FAILED', `git push ${gitRemote} ${exp.ref}: ${message.trim()}`);
    }
  }
  const out = context.io.stdout;
  const bold = (list: typeof experiments) => humanJoin(list.map((exp) => exp.name));
  if (diverged.length > 0) {
    context.io.stderr.write(
      `Local experiment ${bold(diverged)} has diverged from remote experiment with the same name.\nTo override the remote experiment re-run with '--force'.\n`,
    );
  }
  if (upToDate.length > 0) {
    writeLine(
      out,
      `Experiment ${bold(upToDate)} ${upToDate.length > 1 ? 'are' : 'is'} up to date on Git remote '${gitRemote}'.`,
    );
  }
  if (pushed.length > 0) writeLine(out, `Pushed experiment ${bold(pushed)} to Git remote '${gitRemote}'.`);
  if (upToDate.length === 0 && pushed.length === 0) writeLine(out, 'No experiments to push.');
  if (options.cache === false) {
    writeLine(
      out,
      "To push cached outputs for this experiment to DVC remote storage,re-run this command without '--no-cache'.",
    );
    return 0;
  }
  const synced = [...upToDate, ...pushed];
  if (synced.length === 0) return 0;
  const { code, result } = await syncExperimentData(context, tvc, git, synced, options, 'push');
  if (result && result.transferred > 0) writeLine(out, summary([['uploaded', result.transferred]]));
  return code;
}
