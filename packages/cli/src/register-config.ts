import { type Command, Option } from 'commander';
import type { Registrar } from './registrar';

/** Adds `--global`, `--system`, `--project` and `--local`: the config level, one at most (as DVC). */
function levelOptions(command: Command): Command {
  const levels = ['global', 'system', 'project', 'local'];
  const help: Record<string, string> = {
    global: 'use the global (user) config',
    system: 'use the system config',
    project: 'use the project config (.dvc/config)',
    local: 'use the local config (.dvc/config.local)',
  };
  for (const level of levels) {
    command.addOption(
      new Option(`--${level}`, help[level]).conflicts(levels.filter((other) => other !== level)),
    );
  }
  return command;
}

/** `tvc config`, `tvc remote …` and `tvc version` (`tvc doctor`): DVC's config files and what tvc finds here. */
export function registerConfigCommands(program: Command, { run, common }: Registrar): void {
  levelOptions(common(program.command('config')))
    .description('get or set config options (the same files and levels as DVC)')
    .argument('[name]', 'option name (section.option or remote.name.option)')
    .argument('[value]', 'option value')
    .option('-u, --unset', 'unset the option')
    .option('-l, --list', 'list all defined config values')
    .option('--show-origin', 'show the file each value comes from')
    .action(run(() => import('./commands/config')));

  const remote = program
    .command('remote')
    .description('set up and manage data remotes (in the DVC config)')
    .helpCommand(false);
  const remoteCommand = (name: string) => levelOptions(common(remote.command(name)));
  const action = (name: 'add' | 'modify' | 'list' | 'default' | 'remove' | 'rename') =>
    run(() => import('./commands/remote').then((module) => ({ default: module[name] })));

  remoteCommand('add')
    .description('add a new data remote')
    .argument('<name>', 'name of the remote')
    .argument('<url>', 'where the remote is: a path or a URL (s3://, gs://, azure://, ssh://, https://, …)')
    .option('-d, --default', 'set it as the default remote')
    .option('-f, --force', 'overwrite a remote of that name')
    .action(action('add'));
  remoteCommand('modify')
    .description("change an option of a data remote's configuration")
    .argument('<name>', 'name of the remote')
    .argument('<option>', 'the option to change')
    .argument('[value]', 'its value')
    .option('-u, --unset', 'unset the option')
    .action(action('modify'));
  remoteCommand('list').description('list the data remotes').action(action('list'));
  remoteCommand('default')
    .description('show, set or unset the default data remote')
    .argument('[name]', 'name of the remote')
    .option('-u, --unset', 'unset the default remote')
    .action(action('default'));
  remoteCommand('remove')
    .description('remove a data remote')
    .argument('<name>', 'name of the remote')
    .action(action('remove'));
  remoteCommand('rename')
    .description('rename a data remote')
    .argument('<name>', 'the remote to rename')
    .argument('<new>', 'its new name')
    .action(action('rename'));

  common(program.command('version'))
    .alias('doctor')
    .description("show tvc's and Node's versions, the platform, the cache's link types, the remotes")
    .action(run(() => import('./commands/version')));
}
