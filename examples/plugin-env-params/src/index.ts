import type { Tvc } from '@tvc/core';
import { EnvParamsPlugin } from './env-params-plugin';
import { FolderStoragePlugin } from './folder-storage-plugin';
import { LoggedExecutorPlugin } from './logged-executor-plugin';
import { type StageTimerOptions, StageTimerPlugin } from './stage-timer-plugin';

export { envParamsFormat } from './env-format';
export { EnvParamsPlugin } from './env-params-plugin';
export { FolderStoragePlugin, openFolderStorage } from './folder-storage-plugin';
export { LoggedExecutorPlugin } from './logged-executor-plugin';
export type { StageTimerOptions } from './stage-timer-plugin';
export { StageTimerPlugin } from './stage-timer-plugin';

/**
 * The package's default export, what a config's `'tvc-plugin-env-params'` or
 * `['tvc-plugin-env-params', { timer: true }]` applies: tvc constructs it with the options.
 */
export default class ExamplePlugins {
  static readonly PLUGIN_NAME = 'env-params-example';
  readonly #options: { readonly timer?: boolean | StageTimerOptions };

  constructor(options: { readonly timer?: boolean | StageTimerOptions } = {}) {
    this.#options = options;
  }

  apply(tvc: Tvc): void {
    new EnvParamsPlugin().apply(tvc);
    new LoggedExecutorPlugin().apply(tvc);
    new FolderStoragePlugin().apply(tvc);
    const timer = this.#options.timer;
    if (timer) new StageTimerPlugin(timer === true ? {} : timer).apply(tvc);
  }
}
