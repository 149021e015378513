import { PipelineFilesPlugin } from './loaders';
import type { Preset } from './plugin';
import { TemplatingPlugin } from './templating/plugin';

/**
 * The built-in preset: the plugins every repository gets, applied after the user's. Packages that
 * add built-ins (params formats, executors) extend it with {@link extendPreset}.
 */
export const defaultPreset: Preset = Object.freeze({
  name: 'tvc:default',
  plugins: Object.freeze([new PipelineFilesPlugin(), new TemplatingPlugin()]),
});

/** A preset with more plugins after the ones of `base`. */
export function extendPreset(base: Preset, name: string, plugins: Preset['plugins']): Preset {
  return Object.freeze({ name, plugins: Object.freeze([...base.plugins, ...plugins]) });
}
