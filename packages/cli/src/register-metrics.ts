import { type Command, InvalidArgumentError } from 'commander';
import type { Registrar } from './registrar';

/** argparse's `type=int`: an integer, or DVC's usage error. */
function precision(value: string): string {
  if (!/^\s*[-+]?\d+\s*$/.test(value)) throw new InvalidArgumentError(`invalid int value: '${value}'`);
  return value;
}

/** `tvc metrics show` and `tvc metrics diff`. */
export function registerMetricsCommands(program: Command, { run, common }: Registrar): void {
  const metrics = program.command('metrics').description('show and compare metrics').helpCommand(false);
  common(metrics.command('show'))
    .description('print metrics: of the workspace, or of branches, tags or every commit')
    .argument('[targets...]', 'metrics files to show (default: the metrics of the pipeline)')
    .option('-a, --all-branches', 'show metrics for all branches')
    .option('-T, --all-tags', 'show metrics for all tags')
    .option('-A, --all-commits', 'show metrics for all commits')
    .option('--json', "print DVC's JSON for scripts")
    .option('--md', 'print a Markdown table')
    .option('-R, --recursive', 'accepted for DVC compatibility (directories are always searched)')
    .option('--precision <n>', 'round floats to n digits after the decimal point (default: 5)', precision)
    .action(run(() => import('./commands/metrics-show')));
  common(metrics.command('diff'))
    .description('show metrics that changed between two commits, or a commit and the workspace')
    .argument('[a_rev]', 'old git revision (default: HEAD)')
    .argument('[b_rev]', 'new git revision (default: the workspace)')
    .option('--targets [paths...]', 'metrics files to compare (default: the metrics of the pipeline)')
    .option('-R, --recursive', 'accepted for DVC compatibility (directories are always searched)')
    .option('--all', 'show unchanged metrics as well')
    .option('--json', "print DVC's JSON for scripts")
    .option('--md', 'print a Markdown table')
    .option('--no-path', 'leave out the Path column')
    .option('--precision <n>', 'round floats to n digits after the decimal point (default: 5)', precision)
    .action(run(() => import('./commands/metrics-diff')));
}
