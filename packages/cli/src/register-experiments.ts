import type { Command } from 'commander';
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
}

// ─── exp run, apply, branch, list, remove, save ─────────────────────────────────────────────────

function registerExperimentEngineCommands(exp: Command, { run, common, collect }: Registrar): void {
  common(exp.command('run'))
    .description('run an experiment: apply -S overrides, reproduce, record the result under refs/exps')
    .argument('[targets...]', "stages, dvc.yaml or .dvc files (default: 'dvc.yaml')")
    .option('-S, --set-param <[file:]key=value>', 'set a param for this experiment (repeatable)', collect, [])
    .option('-n, --name <name>', 'name of the experiment (default: a random adjective-noun)')
    .option('-m, --message <message>', 'commit message of the experiment')
    .option('-f, --force', 'reproduce every stage and replace an experiment of the same name')
    .option('--queue', 'queue the experiment (not available yet)')
    .option('-s, --single-item', 'only the targets, not their dependencies')
    .option('--downstream', 'the targets and the stages that depend on them')
    .option('-p, --pipeline', 'the whole pipelines the targets belong to')
    .option('-P, --all-pipelines', 'every pipeline of the repository')
    .option('--no-run-cache', 'do not restore outputs from the run-cache')
    .option('--glob', 'stage names are glob patterns')
    .option('-R, --recursive', 'every stage in the directories given')
    .option('-j, --jobs <n>', 'run up to n independent stages at the same time')
    .action(run(() => import('./commands/exp-run')));

  common(exp.command('apply'))
    .description("put an experiment's results in the workspace (refuses to overwrite uncommitted work)")
    .argument('<experiment>', 'name, ref or commit of the experiment')
    .option('-f, --force', 'overwrite uncommitted changes, after saving them in refs/exps/apply/tvc-workspace')
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
    .option('--queue', 'the queued experiments (tvc has no queue yet)')
    .option('-g, --git-remote <remote>', 'remove from a git remote (not available yet)')
    .action(run(() => import('./commands/exp-remove')));

  common(exp.command('save'))
    .description('record the workspace as an experiment of HEAD, without reproducing')
    .option('-n, --name <name>', 'name of the experiment (default: a random adjective-noun)')
    .option('-m, --message <message>', 'commit message of the experiment')
    .option('-f, --force', 'replace an experiment of the same name')
    .option('-I, --include-untracked <path>', 'an untracked file to include (repeatable)', collect, [])
    .option('--json', 'print the ref as JSON')
    .action(run(() => import('./commands/exp-save')));
}
