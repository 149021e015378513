import type { Command } from 'commander';
import type { Registrar } from './registrar';

/** `tvc add`, `checkout`, `commit`, `remove`, `move`, `diff`, `gc`: data tracked by `.dvc` files and dvc.lock. */
export function registerDataCommands(program: Command, { run, common }: Registrar): void {
  common(program.command('add'))
    .description('track files or directories: cache them and write their .dvc files')
    .argument('<targets...>', 'files or directories to track')
    .option('--glob', 'targets are shell-style patterns')
    .option('-o, --out <path>', 'track the (single) target at this path instead, copying it there')
    .option('--no-commit', 'write the .dvc files without putting the data into the cache')
    .option('-f, --force', 'with -o: overwrite what is already at that path')
    .option('--no-relink', 'leave the workspace files as they are instead of linking them from the cache')
    .action(run(() => import('./commands/add')));

  common(program.command('checkout'))
    .description('make the data in the workspace match the .dvc files and dvc.lock')
    .argument('[targets...]', '.dvc files, stages or outputs (default: all)')
    .option('-f, --force', 'overwrite changes that are not in the cache')
    .option('--relink', 'link every file from the cache anew, even unchanged ones')
    .option('-R, --recursive', 'every .dvc file and stage in the directories given')
    .option('--summary', 'print how many files changed instead of each path')
    .option('-d, --with-deps', "the targets' upstream stages too")
    .option('--allow-missing', 'succeed even if some outputs are missing from the cache (they are skipped)')
    .action(run(() => import('./commands/checkout')));

  common(program.command('commit'))
    .description('record the outputs as the workspace has them in .dvc files and dvc.lock, and cache them')
    .argument('[targets...]', '.dvc files, stages or outputs (default: all)')
    .option('-f, --force', 'commit even stages whose dependencies or outputs changed')
    .option('-R, --recursive', 'every .dvc file and stage in the directories given')
    .option('-d, --with-deps', "the targets' upstream stages too")
    .option('--no-relink', 'leave the workspace files as they are instead of linking them from the cache')
    .action(run(() => import('./commands/commit')));

  common(program.command('remove'))
    .description('stop tracking .dvc files or dvc.yaml stages (lock entries, .gitignore lines)')
    .argument('<targets...>', '.dvc files or stages')
    .option('--outs', 'remove the outputs from the workspace too')
    .action(run(() => import('./commands/remove')));

  common(program.command('move'))
    .description('move data tracked by a .dvc file, updating the file and .gitignore')
    .argument('<src>', 'the tracked path')
    .argument('<dst>', 'where to move it (into it, if it is a directory)')
    .action(run(() => import('./commands/move')));

  common(program.command('diff'))
    .description('show the data files added, deleted, renamed or modified between revisions or the workspace')
    .argument('[a_rev]', 'the old revision (default: HEAD)')
    .argument('[b_rev]', 'the new revision (default: the workspace)')
    .option('--targets [paths...]', 'outputs, .dvc files or paths inside tracked directories to compare')
    .option('--json', 'print the changes as JSON')
    .option('--md', 'print the changes as a Markdown table')
    .option('--show-hash', 'show the hash of each entry (8 digits; old..new when modified)')
    .option('--hide-missing', 'do not list entries missing from the cache')
    .action(run(() => import('./commands/diff')));

  common(program.command('gc'))
    .description('remove from the cache the objects that the workspace and the revisions named do not use')
    .option('-w, --workspace', 'keep what the workspace uses (always kept)')
    .option('-a, --all-branches', 'keep what the tips of all branches use')
    .option('-T, --all-tags', 'keep what all tags use')
    .option('-A, --all-commits', 'keep what every commit uses')
    .option('--all-experiments', 'keep what every experiment uses')
    .option('--date <yyyy-mm-dd>', 'keep what the commits made on that date or later use')
    .option('--rev <commit>', 'keep what this commit uses')
    .option('-n, --num <num>', 'with --rev or -a: keep the last <num> commits of each (default 1)')
    .option('--dry', 'only print what would be removed')
    .option('-f, --force', 'do not ask for confirmation')
    .option('--skip-failed', 'skip the revisions that cannot be read')
    .option('-j, --jobs <number>', 'accepted for DVC compatibility (ignored)')
    .option('-c, --cloud', 'not supported yet: collect garbage in remote storage too')
    .option('-r, --remote <name>', 'not supported yet: the remote storage to collect garbage in')
    .option('--not-in-remote', 'not supported yet: keep what is not in the remote')
    .option('-p, --projects [paths...]', 'not supported yet: keep the data of these projects too')
    .action(run(() => import('./commands/gc')));
}
