import { HOOK_STAGE, type Tvc } from '@tvc/core';
import { jsonParamsFormat } from './json-params-format';

/** Registers the JSON params format for `.json` files. */
export class JsonParamsPlugin {
  static readonly PLUGIN_NAME = 'tvc:params-json';

  apply(tvc: Tvc): void {
    tvc.hooks.paramsFormat.tap(
      { name: JsonParamsPlugin.PLUGIN_NAME, stage: HOOK_STAGE.BUILTIN },
      (request) => (jsonParamsFormat.extensions.includes(request.extension) ? jsonParamsFormat : undefined),
    );
  }
}
