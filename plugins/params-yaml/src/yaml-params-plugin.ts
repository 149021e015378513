import { HOOK_STAGE, type Tvc } from '@tvc/core';
import { yamlParamsFormat } from './yaml-params-format';

/**
 * Registers the YAML params format for `.yaml` and `.yml` files, and, as a fallback after every
 * other format, for files with any other extension: DVC reads those as YAML too.
 */
export class YamlParamsPlugin {
  static readonly PLUGIN_NAME = 'tvc:params-yaml';

  apply(tvc: Tvc): void {
    const name = YamlParamsPlugin.PLUGIN_NAME;
    tvc.hooks.paramsFormat.tap({ name, stage: HOOK_STAGE.BUILTIN }, (request) =>
      yamlParamsFormat.extensions.includes(request.extension) ? yamlParamsFormat : undefined,
    );
    tvc.hooks.paramsFormat.tap({ name, stage: HOOK_STAGE.FALLBACK }, () => yamlParamsFormat);
  }
}
