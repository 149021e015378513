import { HOOK_STAGE, type Tvc } from '@tvc/core';
import { pythonParamsFormat } from './python-params-format';

/** Registers the Python params format for `.py` files. */
export class PythonParamsPlugin {
  static readonly PLUGIN_NAME = 'tvc:params-python';

  apply(tvc: Tvc): void {
    tvc.hooks.paramsFormat.tap(
      { name: PythonParamsPlugin.PLUGIN_NAME, stage: HOOK_STAGE.BUILTIN },
      (request) =>
        pythonParamsFormat.extensions.includes(request.extension) ? pythonParamsFormat : undefined,
    );
  }
}
