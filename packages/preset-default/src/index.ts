import { defaultPreset, extendPreset, HOOK_STAGE, type Preset, Tvc, type TvcOptions } from '@tvc/core';
import { LocalExecutorPlugin } from '@tvc/executor-local';
import type { ParamsFormat } from '@tvc/params';
import { JsonParamsPlugin } from '@tvc/params-json';
import { YamlParamsPlugin } from '@tvc/params-yaml';

/**
 * A params format whose package (and parser) is imported on first use: TOML and Python parsers
 * cost ~25 ms at start-up, which a project without such files should not pay. It taps the same
 * hook with the same name as the real plugin.
 */
class LazyParamsPlugin {
  readonly name: string;
  readonly #format: ParamsFormat;

  constructor(
    name: string,
    formatName: string,
    extensions: readonly string[],
    load: () => Promise<ParamsFormat>,
  ) {
    this.name = name;
    let real: ParamsFormat | undefined;
    const loaded = (): ParamsFormat => {
      if (!real) throw new Error(`params format '${formatName}' was used before prepare()`);
      return real;
    };
    this.#format = {
      specificationVersion: 'v1',
      name: formatName,
      extensions,
      prepare: async () => {
        real ??= await load();
        await real.prepare?.();
      },
      read: (text, file) => loaded().read(text, file),
      write: (text, edits, file) => loaded().write(text, edits, file),
    };
  }

  apply(tvc: Tvc): void {
    const format = this.#format;
    tvc.hooks.paramsFormat.tap({ name: this.name, stage: HOOK_STAGE.BUILTIN }, (request) =>
      format.extensions.includes(request.extension) ? format : undefined,
    );
  }
}

/**
 * Every built-in plugin: core's pipeline loaders, then the params formats and executors that
 * live in their own packages. They register through the same hooks a third party uses.
 */
export const builtinPreset: Preset = extendPreset(defaultPreset, 'tvc:builtin', [
  new YamlParamsPlugin(),
  new JsonParamsPlugin(),
  new LazyParamsPlugin(
    'tvc:params-python',
    'python',
    ['.py'],
    async () => (await import('@tvc/params-python')).pythonParamsFormat,
  ),
  new LazyParamsPlugin(
    'tvc:params-toml',
    'toml',
    ['.toml'],
    async () => (await import('@tvc/params-toml')).tomlParamsFormat,
  ),
  new LocalExecutorPlugin(),
]);

/** Opens a repository with the built-in preset (what the `tvc` CLI does). */
export function openTvc(options: Omit<TvcOptions, 'presets'> = {}): Promise<Tvc> {
  return Tvc.open({ ...options, presets: [builtinPreset] });
}
