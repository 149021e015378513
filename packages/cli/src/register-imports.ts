import type { Command } from 'commander';
import type { Registrar } from './registrar';

/** `tvc import-url`, `tvc import`, `tvc update`: data from a URL or another repository, tracked in a `.dvc` file. */
export function registerImportCommands(program: Command, { run, common }: Registrar): void {
  common(program.command('import-url'))
    .description(
      'download a file or directory (a local path or an http(s) URL) and track it with a .dvc file',
    )
    .argument('<url>', 'a local path or an http(s) URL')
    .argument('[out]', 'where to put the data (default: the base name of the URL)')
    .option('-o, --out <path>', 'where to put the data')
    .option('-f, --force', 'overwrite an existing output')
    .action(run(() => import('./commands/import-url')));

  common(program.command('import'))
    .description('copy a file or directory of another git/DVC repository and track it with a .dvc file')
    .argument('<url>', 'the repository: a local path or a git URL')
    .argument('<path>', 'the path inside that repository')
    .option('-o, --out <path>', 'where to put the data (default: the base name of the path)')
    .option('--rev <revision>', 'a git revision of the repository (branch, tag, commit)')
    .option('-f, --force', 'overwrite an existing output')
    .action(run(() => import('./commands/import')));

  common(program.command('update'))
    .description('fetch imports again when their source changed, and rewrite their .dvc files')
    .argument('<targets...>', '.dvc files made by `tvc import` or `tvc import-url`')
    .option('--rev <revision>', 'for repository imports: the git revision to follow from now on')
    .action(run(() => import('./commands/update')));
}
