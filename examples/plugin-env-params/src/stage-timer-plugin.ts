import type { StageOutcome, Tvc } from '@tvc/core';

export interface StageTimerOptions {
  /** Where the lines go (default: tvc's `log` hook, which the CLI prints). */
  readonly write?: (line: string) => void;
}

/**
 * Extension point 3: a reporter. It only listens: `stageStart` fires for a stage whose commands
 * are about to run (not for skipped, cached or verified ones), `stageDone` for every stage that did
 * not fail, with its outcome, and `stageFailed` for one that failed (no `stageDone` then).
 */
export class StageTimerPlugin {
  static readonly PLUGIN_NAME = 'stage-timer';
  readonly #options: StageTimerOptions;

  /** In a config, `['tvc-plugin-env-params', { … }]` passes its options to this constructor. */
  constructor(options: StageTimerOptions = {}) {
    this.#options = options;
  }

  apply(tvc: Tvc): void {
    const write =
      this.#options.write ?? ((message: string) => tvc.hooks.log.call({ level: 'info', message }));
    const started = new Map<string, number>();
    tvc.hooks.stageStart.tapPromise(StageTimerPlugin.PLUGIN_NAME, async ({ stage }) => {
      started.set(stage.addressing, Date.now());
    });
    tvc.hooks.stageDone.tapPromise(StageTimerPlugin.PLUGIN_NAME, async ({ stage }, outcome: StageOutcome) => {
      const since = started.get(stage.addressing);
      write(
        since === undefined
          ? `${stage.addressing}: ${outcome}`
          : `${stage.addressing}: ${outcome} in ${Date.now() - since} ms`,
      );
    });
    tvc.hooks.stageFailed.tap(StageTimerPlugin.PLUGIN_NAME, ({ stage }, error) => {
      write(`${stage.addressing}: failed (${error.message})`);
    });
  }
}
