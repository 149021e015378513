import path from 'node:path';
import { Config, ConfigError, type ConfigTree, isTree } from '@tvc/config';
import { TvcError } from './errors';

/**
 * The repository's DVC config as tvc's engine reads it: the system, global, project
 * (`.dvc/config`) and local (`.dvc/config.local`) levels merged as DVC merges them (see
 * `@tvc/config`). Sections are named as in the files (`cache`, `remote "origin"`); values are
 * strings (lists joined with `,`), and path options (`cache.dir`, remote urls) absolute.
 */
export interface DvcConfig {
  readonly sections: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

function values(tree: ConfigTree): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(tree)) {
    if (!isTree(value)) result[key] = typeof value === 'string' ? value : value.join(',');
  }
  return result;
}

/** A config problem as a TvcError the CLI reports as DVC does (`configuration error`, exit 251). */
export function configProblem(error: ConfigError): TvcError {
  return new TvcError('CONFIG_ERROR', `config file error: ${error.message}`, {
    location: error.location,
    hint: error.hint,
    cause: error,
  });
}

/** Reads the merged config of the repository at `root` (not validated: tvc reads what it needs). */
export function readDvcConfig(root: string): DvcConfig {
  let tree: ConfigTree;
  try {
    tree = new Config({ dvcDir: path.join(root, '.dvc') }).read();
  } catch (error) {
    if (error instanceof ConfigError) throw configProblem(error);
    throw error;
  }
  const sections: Record<string, Record<string, string>> = {};
  for (const [name, section] of Object.entries(tree)) {
    if (!isTree(section)) continue;
    if (name === 'remote' || name === 'machine' || name === 'db') {
      for (const [entry, options] of Object.entries(section)) {
        if (isTree(options)) sections[`${name} "${entry}"`] = values(options);
      }
    } else if (Object.keys(section).length > 0) {
      sections[name] = values(section);
    }
  }
  return { sections };
}

/** A config value; `section` like `cache` or `core`. */
export function configValue(config: DvcConfig, section: string, key: string): string | undefined {
  return config.sections[section]?.[key];
}

/** A boolean config value as DVC reads it (`true`, `True`; configobj's `yes`, `1` too). */
export function configFlag(config: DvcConfig, section: string, key: string): boolean {
  const value = configValue(config, section, key)?.toLowerCase();
  return value === 'true' || value === 'yes' || value === '1' || value === 'on';
}
