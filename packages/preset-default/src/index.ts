import { defaultPreset, extendPreset, type Preset, Tvc, type TvcOptions } from '@tvc/core';
import { LocalExecutorPlugin } from '@tvc/executor-local';
import { JsonParamsPlugin } from '@tvc/params-json';
import { PythonParamsPlugin } from '@tvc/params-python';
import { TomlParamsPlugin } from '@tvc/params-toml';
import { YamlParamsPlugin } from '@tvc/params-yaml';

/**
 * Every built-in plugin: core's pipeline loaders, then the params formats and executors that
 * live in their own packages. They register through the same hooks a third party uses.
 */
export const builtinPreset: Preset = extendPreset(defaultPreset, 'tvc:builtin', [
  new YamlParamsPlugin(),
  new JsonParamsPlugin(),
  new PythonParamsPlugin(),
  new TomlParamsPlugin(),
  new LocalExecutorPlugin(),
]);

/** Opens a repository with the built-in preset (what the `tvc` CLI does). */
export function openTvc(options: Omit<TvcOptions, 'presets'> = {}): Promise<Tvc> {
  return Tvc.open({ ...options, presets: [builtinPreset] });
}
