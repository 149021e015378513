import type { Command } from 'commander';
import type { Registrar } from './registrar';

/** `tvc lint` and `tvc install --hooks` (packages/lint). `repro --trace` is an option of repro. */
export function registerLintCommands(program: Command, { run, common }: Registrar): void {
  common(program.command('lint'))
    .description(
      "check the pipeline: schema, and params, deps and outputs its stages' code uses but does not declare",
    )
    .argument('[targets...]', 'stages or dvc.yaml files (default: every stage)')
    .option('--json', 'print the findings as JSON')
    .option('--format <format>', "'text' (default), 'json' or 'sarif'")
    .option('--fix', 'add the missing declarations to dvc.yaml (comments and layout kept) and print the diff')
    .action(run(() => import('./commands/lint')));
  common(program.command('install'))
    .description('install git hooks: a pre-commit hook that runs tvc lint')
    .option('--hooks', 'write the git hooks (the default)')
    .option('-f, --force', "replace a pre-commit hook that is not tvc's")
    .action(run(() => import('./commands/install')));
}
