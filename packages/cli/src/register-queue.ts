import type { Command } from 'commander';
import type { Registrar } from './registrar';

/** `tvc queue …`: start, status, logs, kill, stop, remove — the experiment queue. */
export function registerQueueCommands(program: Command, { run, common }: Registrar): void {
  const queue = program
    .command('queue')
    .description('run and manage queued experiments (`tvc exp run --queue` adds to the queue)')
    .helpCommand(false);

  common(queue.command('start'))
    .description('start a background worker running queued experiments, up to -j at once')
    .argument('[experiments...]', 'only these queued experiments (names or task ids)')
    .option('-j, --jobs <n>', 'experiments to run at the same time', '1')
    .option(
      '--executor <name>',
      'the executor plugin each experiment runs through (default: queue.executor in the tvc config, else temp; bullmq: the distributed queue)',
    )
    .option('--keep-failed', "keep a failed experiment's temporary copy (until `queue remove`)")
    .action(run(() => import('./commands/queue-start')));

  common(queue.command('status'))
    .description('list the queued, running, failed and finished experiments, and the workers')
    .option('--json', 'print JSON for scripts')
    .action(run(() => import('./commands/queue-status')));

  common(queue.command('logs'))
    .description("print a queued experiment's output")
    .argument('<experiment>', 'name or task id')
    .option('-f, --follow', 'keep printing new output until the experiment ends')
    .action(run(() => import('./commands/queue-logs')));

  common(queue.command('kill'))
    .description('kill running queued experiments')
    .argument('<experiments...>', 'names or task ids')
    .option(
      '-f, --force',
      'accepted for DVC compatibility (the commands get SIGTERM, then SIGKILL after 3 s)',
    )
    .action(run(() => import('./commands/queue-kill')));

  common(queue.command('stop'))
    .description('stop the workers once their running experiments end')
    .option('--kill', 'kill the running experiments too')
    .action(run(() => import('./commands/queue-stop')));

  common(queue.command('remove'))
    .description('remove experiments from the queue (with their logs and kept workspaces)')
    .argument('[experiments...]', 'names or task ids')
    .option('--all', 'every experiment that is not running')
    .option('--queued', 'the queued ones')
    .option('--success', 'the successful ones')
    .option('--failed', 'the failed ones')
    .action(run(() => import('./commands/queue-remove')));

  // The worker `queue start` launches; with the distributed queue, one runs on every host with a clone.
  common(queue.command('worker'))
    .description(
      'run queued experiments in this process (distributed queue: on any host with a clone, until `queue stop` or SIGTERM)',
    )
    .argument('[experiments...]', 'only these (local queue)')
    .option('-j, --jobs <n>', 'experiments to run at the same time', '1')
    .option('--executor <name>', 'the executor (default: queue.executor in the tvc config, else temp)')
    .option('--keep-failed', "keep a failed experiment's temporary copy (local queue)")
    .option('--until-empty', 'stop when the distributed queue has nothing left to run')
    .action(run(() => import('./commands/queue-worker')));
}
