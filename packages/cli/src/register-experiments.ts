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
}
