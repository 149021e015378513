import { HOOK_STAGE, type Tvc } from '@tvc/core';
import { tomlParamsFormat } from './toml-params-format';

/** Registers the TOML params format for `.toml` files. */
export class TomlParamsPlugin {
  static readonly PLUGIN_NAME = 'tvc:params-toml';

  apply(tvc: Tvc): void {
    tvc.hooks.paramsFormat.tap(
      { name: TomlParamsPlugin.PLUGIN_NAME, stage: HOOK_STAGE.BUILTIN },
      (request) => (tomlParamsFormat.extensions.includes(request.extension) ? tomlParamsFormat : undefined),
    );
  }
}
