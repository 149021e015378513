import { TvcError } from '@tvc/core';
import { type ExpRef, gitOf, parseExpRef } from '@tvc/experiments';
import type { CommandContext } from '../context';
import { writeLine } from '../io';
import { type ExpSyncOptions, humanJoin, runGit, syncExperimentData } from './exp-sync';

/**
 * `tvc exp pull GIT_REMOTE EXPERIMENT…`: fetches each experiment's ref from the git remote (found
 * by name or full ref among the remote's `refs/exps`), then the data of its commits from the DVC
 * remote into the cache, as DVC.
 */
export default async function expPull(
  context: CommandContext,
  gitRemote: string,
  names: string[],
  options: ExpSyncOptions,
): Promise<number> {
  const tvc = await context.tvc();
  const { git } = gitOf(tvc);
  const listing = await runGit(git, ['ls-remote', gitRemote, 'refs/exps/*'], `git ls-remote ${gitRemote}`);
  const remote: ExpRef[] = [];
  for (const line of listing.split('\n')) {
    const [sha, ref] = line.split('\t');
    const parsed = ref ? parseExpRef(ref) : undefined;
    if (sha && ref && parsed) remote.push({ ref, sha, ...parsed });
  }
  let wanted: ExpRef[];
  if (names.length > 0) {
    wanted = [];
    const unresolved: string[] = [];
    for (const name of names) {
      const found = remote.filter((exp) => exp.ref === name || exp.name === name || exp.sha.startsWith(name));
      if (found.length === 0) unresolved.push(name);
      else wanted.push(...found);
    }
    if (unresolved.length > 0) {
      throw new TvcError(
        'EXP_NOT_FOUND',
        `Experiment ${humanJoin(unresolved.map((name) => `'${name}'`))} does not exist on Git remote '${gitRemote}'`,
        { hint: `see the remote's experiments with \`tvc exp list ${gitRemote}\`` },
      );
    }
  } else if (options.allCommits) {
    wanted = remote;
  } else {
    const baseline = await git.resolveCommit(options.rev ?? 'HEAD');
    wanted = remote.filter((exp) => exp.baseline === baseline);
  }
  const pulled: ExpRef[] = [];
  for (const exp of wanted) {
    const local = await git.resolveCommit(exp.ref).catch(() => undefined);
    if (local === exp.sha) {
      pulled.push(exp);
      continue;
    }
    await runGit(
      git,
      ['fetch', '-q', ...(options.force ? ['--force'] : []), gitRemote, `${exp.ref}:${exp.ref}`],
      `git fetch ${gitRemote} ${exp.ref}`,
    );
    pulled.push(exp);
  }
  const out = context.io.stdout;
  if (pulled.length > 0) {
    // DVC prints the Python list of names here: `Pulled experiment '['a', 'b']' from …`
    const list = `[${pulled.map((exp) => `'${exp.name}'`).join(', ')}]`;
    writeLine(out, `Pulled experiment '${list}' from Git remote '${gitRemote}'.`);
  } else {
    writeLine(out, 'No experiments to pull.');
  }
  if (options.cache === false) {
    writeLine(
      out,
      "To pull cached outputs for this experiment from DVC remote storage,re-run this command without '--no-cache'.",
    );
    return 0;
  }
  if (pulled.length === 0) return 0;
  return (await syncExperimentData(context, tvc, git, pulled, options, 'pull')).code;
}
