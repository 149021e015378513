import type { Executor, Tvc } from '@tvc/core';

/**
 * Extension point 4: an executor, reached by name (`tvc.executor('logged')`, `tvc exp run --temp
 * --executor logged`). This one logs each task and hands it to the built-in executors: commands to
 * `local`, experiments to `temp`. A real one would run them elsewhere: a task is described by value
 * (commands, cwd, env; for an experiment a git commit and the cache objects it needs).
 */
export class LoggedExecutorPlugin {
  static readonly PLUGIN_NAME = 'logged-executor';

  apply(tvc: Tvc): void {
    const log = (message: string) => tvc.hooks.log.call({ level: 'info', message });
    const executor: Executor = {
      specificationVersion: 'v1',
      name: 'logged',
      supports: (capability) => capability === 'commands' || capability === 'experiments',
      async run(task, context) {
        log(`logged: running ${task.commands.length} command(s) in ${task.cwd}`);
        return tvc.executor('local').run(task, context);
      },
      async runExperiment(task, context) {
        const started = Date.now();
        const outcome = await tvc.executor('temp').runExperiment!(task, context);
        context.log(`${task.name}: ${outcome.status} in ${Date.now() - started} ms\n`);
        return outcome;
      },
    };
    tvc.hooks.executor.for('logged').tap(LoggedExecutorPlugin.PLUGIN_NAME, () => executor);
  }
}
