import type { Command } from 'commander';
import type { Registrar } from './registrar';

/** The options push, pull and fetch share, as DVC names them. */
function transferOptions(command: Command): Command {
  return command
    .argument('[targets...]', 'tracked files or directories, .dvc files or stages (default: all)')
    .option('-r, --remote <name>', 'the remote to use (default: core.remote)')
    .option('-j, --jobs <number>', 'concurrent transfers (default: 4 × CPUs)')
    .option('-a, --all-branches', 'the data of every branch too')
    .option('-T, --all-tags', 'the data of every tag too')
    .option('-A, --all-commits', 'the data of every commit too')
    .option('-d, --with-deps', "the targets' upstream stages too")
    .option('-R, --recursive', 'every .dvc file and stage in the directories given')
    .option('--run-cache', 'the run cache (.dvc/cache/runs) too');
}

/** `tvc push`, `pull`, `fetch`: data between the cache and a remote (`tvc remote add`). */
export function registerRemoteDataCommands(program: Command, { run, common }: Registrar): void {
  transferOptions(common(program.command('push')))
    .description('upload the data the remote lacks from the cache')
    .option('--glob', 'targets are shell-style patterns')
    .action(run(() => import('./commands/push')));

  transferOptions(common(program.command('pull')))
    .description('download the data the cache lacks from a remote and check it out')
    .option('-f, --force', 'overwrite workspace changes that are not in the cache')
    .option('--allow-missing', 'skip outputs whose data is neither in the cache nor on the remote')
    .action(run(() => import('./commands/pull')));

  transferOptions(common(program.command('fetch')))
    .description('download the data the cache lacks from a remote (no checkout)')
    .option('--max-size <max_size>', 'only outputs each below this size (bytes)')
    .option(
      '--type <type>',
      'only outputs of this type (metrics, plots); may be repeated',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(run(() => import('./commands/fetch')));
}
