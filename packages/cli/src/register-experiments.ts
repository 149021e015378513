import { type Command, Option } from 'commander';
import type { Registrar } from './registrar';

/** The `tvc exp` group, created by whichever block declares a command first. */
function expGroup(program: Command): Command {
  return (
    program.commands.find((command) => command.name() === 'exp') ??
    program
      .command('exp')
      .alias('experiments')
      .description('run, compare and manage experiments (git refs under refs/exps, as DVC)')
      .helpCommand(false)
  );
}

/** `tvc exp …`: run, show, diff, apply, branch, list, remove, save. */
export function registerExperimentCommands(program: Command, registrar: Registrar): void {
  registerExperimentEngineCommands(expGroup(program), registrar);
  registerExperimentShowCommands(expGroup(program), registrar);
}

// ─── exp run, apply, branch, list, remove, save ─────────────────────────────────────────────────

function registerExperimentEngineCommands(exp: Command, { run, common, collect }: Registrar): void {
  for (const [verb, description] of [
    ['push', "push experiments' git refs to a git remote and their data to the DVC remote"],
    ['pull', "pull experiments' git refs from a git remote and their data from the DVC remote"],
  ] as const) {
    common(exp.command(verb))
      .description(description)
      .argument('<git_remote>', 'the git remote (name or URL)')
      .argument('[experiments...]', 'experiment names or refs (default: those of HEAD)')
      .option('-f, --force', 'replace the experiment on the other side even if it diverged')
      .option('--no-cache', 'do not move the data, only the git refs')
      .option('-r, --remote <name>', 'the DVC remote for the data (default: core.remote)')
      .option('-j, --jobs <number>', 'concurrent transfers (default: 4 × CPUs)')
      .option('--run-cache', 'the run cache (.dvc/cache/runs) too')
      .option('-A, --all-commits', 'every experiment')
      .option('--rev <commit>', 'the experiments based on this commit (default: HEAD)')
      .action(run(() => import(verb === 'push' ? './commands/exp-push' : './commands/exp-pull')));
  }
  common(exp.command('run'))
    .description('run an experiment: apply -S overrides, reproduce, record the result under refs/exps')
    .argument('[targets...]', "stages, dvc.yaml or .dvc files (default: 'dvc.yaml')")
    .option('-S, --set-param <[file:]key=value>', 'set a param for this experiment (repeatable)', collect, [])
    .option('-n, --name <name>', 'name of the experiment (default: a random adjective-noun)')
    .option('-m, --message <message>', 'commit message of the experiment')
    .option('-f, --force', 'reproduce every stage and replace an experiment of the same name')
    .option(
      '--queue',
      'queue the experiment (sweeps queue one per combination); run it with `tvc queue start`',
    )
    .option('--temp', 'run in a temporary copy of the repository; the workspace is left alone')
    .option('--run-all', 'run the queued experiments in the foreground (with -j, that many at once)')
    .option(
      '--keep-failed',
      'with --temp or --run-all: keep the temporary copy of a failed experiment for its partial results',
    )
    .option('--retries <n>', 'with --queue: run a failed experiment again up to n times')
    .option(
      '--executor <name>',
      'with --temp or --run-all: the executor plugin to run through (default temp)',
    )
    .option('--reset', 'checkpoint experiments: start over (checkpoint outputs removed, the ref replaced)')
    .option(
      '-r, --rev <checkpoint>',
      'checkpoint experiments, with --queue or --temp: continue from this checkpoint (a sha or an experiment)',
    )
    .option('-s, --single-item', 'only the targets, not their dependencies')
    .option('--downstream', 'the targets and the stages that depend on them')
    .option('-p, --pipeline', 'the whole pipelines the targets belong to')
    .option('-P, --all-pipelines', 'every pipeline of the repository')
    .option('--no-run-cache', 'do not restore outputs from the run-cache')
    .option('--glob', 'stage names are glob patterns')
    .option('-R, --recursive', 'every stage in the directories given')
    .option('-j, --jobs <n>', 'with --run-all: experiments at once; otherwise independent stages at once')
    .option('--dry', 'print the commands that would run (with the -S overrides), record nothing')
    .option('-k, --keep-going', 'continue past a failure with stages that do not depend on it')
    .option('--ignore-errors', 'ignore failures, run even the stages that depend on them')
    .option('--force-downstream', 'reproduce every stage downstream of one that ran')
    .option('--allow-missing', 'skip stages whose only change is missing data (a clone not yet pulled)')
    .option('--no-commit', 'put no outputs into the cache (the experiment commit records their hashes)')
    .option('-i, --interactive', 'ask before each stage')
    .option('--pull', 'first pull the missing data of the stages from the default remote')
    .action(run(() => import('./commands/exp-run')));

  common(exp.command('apply'))
    .description("put an experiment's results in the workspace (refuses to overwrite uncommitted work)")
    .argument('<experiment>', 'name, ref or commit of the experiment')
    .option(
      '-f, --force',
      'overwrite uncommitted changes, after saving them in refs/exps/apply/tvc-workspace',
    )
    .option('--no-force', 'accepted for DVC compatibility (tvc never overwrites without --force)')
    .action(run(() => import('./commands/exp-apply')));

  common(exp.command('branch'))
    .description("create a git branch at an experiment's commit")
    .argument('<experiment>', 'name, ref or commit of the experiment')
    .argument('[branch]', "the branch's name (default: <experiment>-branch)")
    .action(run(() => import('./commands/exp-branch')));

  common(exp.command('list').alias('ls'))
    .description('list experiments, grouped by baseline')
    .argument('[git_remote]', 'a git remote (not available yet)')
    .option('-A, --all-commits', 'experiments of every baseline')
    .option('--rev <commit>', 'experiments of this baseline (repeatable; default HEAD)', collect, [])
    .option('-n, --num <num>', 'experiments of the last num first-parent commits from --rev (negative: all)')
    .option('--name-only', 'only the names')
    .option('--sha-only', 'only the commit shas')
    .action(run(() => import('./commands/exp-list')));

  common(exp.command('remove').alias('rm'))
    .description('remove experiments (their refs)')
    .argument('[experiment...]', 'names, refs or commits of experiments')
    .option('-A, --all-commits', 'every experiment')
    .option('--rev <commit>', 'the experiments of this baseline (repeatable)', collect, [])
    .option('-n, --num <num>', 'with --rev: of the last num first-parent commits')
    .option('--queue', 'the queued experiments (not those running)')
    .option('--keep', 'keep the selected experiments and remove all the others')
    .option('-g, --git-remote <remote>', 'remove from a git remote (not available yet)')
    .action(run(() => import('./commands/exp-remove')));

  common(exp.command('save'))
    .description('record the workspace as an experiment of HEAD, without reproducing')
    .argument('[targets...]', '.dvc files and stages (DVC 3.67.1 commits every stage anyway)')
    .option('-R, --recursive', 'every .dvc file and stage in the directories given')
    .option('-n, --name <name>', 'name of the experiment (default: a random adjective-noun)')
    .option('-m, --message <message>', 'commit message of the experiment')
    .option('-f, --force', 'replace an experiment of the same name')
    .option('-I, --include-untracked <path>', 'an untracked file to include (repeatable)', collect, [])
    .option('--json', 'print the ref as JSON')
    .action(run(() => import('./commands/exp-save')));
}

// ─── exp show, diff ──────────────────────────────────────────────────────────────────────────────

function registerExperimentShowCommands(exp: Command, { run, common, collect }: Registrar): void {
  common(exp.command('show'))
    .description('print experiments: a row per baseline and experiment, their metrics, params and deps')
    .option('-a, --all-branches', 'show experiments derived from the tip of all git branches')
    .option('-T, --all-tags', 'show experiments derived from all git tags')
    .option('-A, --all-commits', 'show experiments derived from all git commits')
    .option('--rev <commit>', 'show experiments derived from this commit (repeatable)', collect, [])
    .option('-n, --num <num>', 'show the last num commits from each revision')
    .option('--no-pager', 'do not page the table ($DVC_PAGER, $PAGER or less -S on a terminal); fit it')
    .option('--only-changed', 'only show metrics/params with values varying across the experiments')
    .option('--drop <regex>', 'remove the columns matching this regex (repeatable)', collect, [])
    .option('--keep <regex>', 'keep the columns matching this regex (repeatable)', collect, [])
    .option('--param-deps', 'show only params that are stage dependencies')
    .option('--sort-by <metric/param>', 'sort related experiments by this metric or param')
    .addOption(
      new Option('--sort-order <order>', 'sort order with --sort-by').choices(['asc', 'desc']).default('asc'),
    )
    .option('--sha', 'always show git commit shas instead of branch/tag names')
    .option('--hide-failed', 'hide failed experiments')
    .option('--hide-queued', 'hide queued experiments')
    .option('--hide-workspace', 'hide the workspace row')
    .option('--json', 'print output in JSON format')
    .option('--csv', 'print output in CSV format')
    .option('--md', 'print the table in Markdown (GFM)')
    .option('--precision <n>', 'round floats to n significant digits (CSV; the table always uses 5, as DVC)')
    .option('-f, --force', 'accepted for DVC compatibility (tvc keeps no experiments cache)')
    .action(run(() => import('./commands/exp-show')));

  common(exp.command('diff'))
    .description('show changes of metrics and params between two experiments or revisions')
    .argument('[a_rev]', 'old experiment or revision (default: HEAD)')
    .argument('[b_rev]', 'new experiment or revision (default: the workspace)')
    .option('--all', 'show unchanged metrics/params as well')
    .option('--param-deps', 'show only params that are stage dependencies')
    .option('--json', 'print output in JSON format')
    .option('--md', 'print the tables in Markdown (GFM)')
    .option('--no-path', "don't show the path of the metric/param")
    .option('--precision <n>', 'round metrics to n significant digits (default 5)')
    .action(run(() => import('./commands/exp-diff')));
}
