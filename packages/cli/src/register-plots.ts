import { type Command, Option } from 'commander';
import type { Registrar } from './registrar';

/** Options `plots show` and `plots diff` share (DVC's plot properties and outputs). */
function plotOptions(command: Command): Command {
  return command
    .option('-o, --out <dir>', "directory to write the page into (default: 'dvc_plots')")
    .option('--open', 'open the page in a browser')
    .option('--json', "print DVC's JSON (the filled Vega-Lite specs) for scripts")
    .option('--show-vega', "print the filled Vega-Lite spec of one target's plot")
    .option('-t, --template <name>', "template to use (default: 'linear'; custom ones in .dvc/plots/)")
    .option('-x <field>', 'field for the x axis')
    .option('-y <field>', 'field for the y axis')
    .option('--no-header', 'CSV and TSV files have no header row (columns are named 0, 1, …)')
    .option('--title <text>', 'title of the plot')
    .option('--x-label <text>', 'label of the x axis')
    .option('--y-label <text>', 'label of the y axis')
    .addOption(new Option('--split', 'accepted for DVC compatibility').hideHelp());
}

/** `tvc plots show`, `tvc plots diff`, `tvc plots templates`. */
export function registerPlotsCommands(program: Command, { run, common, collect }: Registrar): void {
  const plots = program
    .command('plots')
    .description('draw plots of the workspace, revisions and experiments')
    .helpCommand(false);
  plotOptions(common(plots.command('show')))
    .description('draw the plots of the workspace into dvc_plots/index.html (works offline)')
    .argument('[targets...]', 'plot ids or files to show (default: every plot of the pipeline)')
    .action(run(() => import('./commands/plots-show')));
  plotOptions(common(plots.command('diff')))
    .description('draw the plots of revisions or experiments side by side (default: HEAD and the workspace)')
    .argument('[revisions...]', 'git revisions or experiment names to compare')
    .option('--targets <targets...>', 'plot ids or files to show (default: every plot)', collect, [])
    .option('-e, --experiment', 'compare an experiment with its baseline')
    .action(run(() => import('./commands/plots-diff')));
  common(plots.command('templates'))
    .description("list DVC's Vega-Lite templates, or print one")
    .argument('[template]', 'the template to print')
    .action(run(() => import('./commands/plots-templates')));
}
