import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ParamsTree } from '@tvc/params';
import { configValue, readDvcConfig } from '../dvc-config';
import { fastDvcYamlValue, parseDvcYaml } from '../dvc-yaml';
import { HOOK_STAGE, type StageDefinition } from '../hooks';
import { decodeUtf8 } from '../text-decode';
import type { Tvc } from '../tvc';
import type { DictExpansionConfig } from './format';
import { FileResolver, needsResolution } from './resolver';

/** DVC's `parsing` config section (`.dvc/config`): how a mapping expands into `cmd` flags. */
export function readParsingConfig(root: string): DictExpansionConfig {
  const config = readDvcConfig(root);
  const bool = configValue(config, 'parsing', 'bool');
  const list = configValue(config, 'parsing', 'list');
  return {
    ...(bool === 'boolean_optional' || bool === 'store_true' ? { bool } : {}),
    ...(list === 'append' || list === 'nargs' ? { list } : {}),
  };
}

/**
 * dvc.yaml templating as DVC 3 does it: `vars` and `params.yaml`, `${…}` interpolation, and the
 * stages `foreach`/`do` and `matrix` generate. A file without any of these passes through
 * untouched, so a plain pipeline pays nothing. Vars files are read through the params formats.
 */
export class TemplatingPlugin {
  static readonly PLUGIN_NAME = 'tvc:templating';

  apply(tvc: Tvc): void {
    let config: DictExpansionConfig | undefined;
    tvc.hooks.resolveDefinitions.tapPromise(
      { name: TemplatingPlugin.PLUGIN_NAME, stage: HOOK_STAGE.BUILTIN },
      async (definitions, context) => {
        const top = context.source.value;
        const vars =
          typeof top === 'object' && top !== null ? (top as Record<string, unknown>).vars : undefined;
        if (!needsResolution(definitions, vars, context.topLevel)) return definitions;
        config ??= readParsingConfig(tvc.root);
        // Values are read again as DVC reads them: `1.0` stays a float, and prints as `1.0`.
        const typed = typedValue(tvc, context.source.text, context.request.repoPath);
        const typedStages = typed?.stages as Record<string, Record<string, unknown>> | undefined;
        const typedDefinitions = definitions.map(
          (definition): StageDefinition => ({
            ...definition,
            definition: typedStages?.[definition.name] ?? definition.definition,
          }),
        );
        // Each vars file is read once per dvc.yaml, however many stages load it.
        const read = new Map<string, Promise<ParamsTree>>();
        const resolver = new FileResolver({
          tvc,
          context,
          config,
          readVars: (absolute) => {
            let tree = read.get(absolute);
            if (!tree) {
              tree = readVarsFile(tvc, absolute);
              read.set(absolute, tree);
            }
            return tree;
          },
        });
        return resolver.resolve(typedDefinitions, typed?.vars ?? vars);
      },
    );
  }
}

/** The file's value as ruamel reads it (integral floats as `PythonFloat`), or undefined. */
function typedValue(tvc: Tvc, text: string, file: string): Record<string, unknown> | undefined {
  // Through the parsed-value cache, as the loader's own parse: a no-op status on a templated
  // pipeline parses nothing either.
  let value: unknown = tvc.parsedValues.read('dvc.yaml:typed', text, () => fastDvcYamlValue(text));
  if (value === undefined) {
    try {
      value = parseDvcYaml(text, file).value;
    } catch {
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

/**
 * A vars file through its params format; like DVC, a file no format claims (`vars.txt`) is read
 * as YAML.
 */
async function readVarsFile(tvc: Tvc, absolute: string): Promise<ParamsTree> {
  if (tvc.hooks.paramsFormat.call({ path: absolute, extension: path.extname(absolute).toLowerCase() }))
    return tvc.readParams(absolute);
  const yaml = tvc.hooks.paramsFormat.call({ path: absolute, extension: '.yaml' });
  if (!yaml) return tvc.readParams(absolute);
  await yaml.prepare?.();
  const display = path.relative(tvc.cwd, absolute) || absolute;
  return yaml.read(decodeUtf8(await readFile(absolute), display), display);
}
