import path from 'node:path';
import { Config, type ConfigLevel } from '@tvc/config';
import type { CommandContext } from '../context';

export interface LevelOptions {
  readonly global?: boolean;
  readonly system?: boolean;
  readonly project?: boolean;
  readonly local?: boolean;
}

/** The level the options name (`--project` is DVC's `repo`), or none. */
export function levelOf(options: LevelOptions): ConfigLevel | undefined {
  if (options.global) return 'global';
  if (options.system) return 'system';
  if (options.project) return 'repo';
  if (options.local) return 'local';
  return undefined;
}

/** The config around the command's directory, with the environment's `DVC_*_CONFIG_DIR`. */
export function openConfig(context: CommandContext): Config {
  return Config.fromCwd(context.io.cwd, { env: context.io.env });
}

/** Expands tabs to 8-column stops, as DVC's console (rich) prints them. */
export function expandTabs(line: string): string {
  let out = '';
  for (const char of line) {
    if (char === '\t') out += ' '.repeat(8 - (out.length % 8));
    else out += char;
  }
  return out;
}

/** The file of a level as `--show-origin` names it: relative to the repository for its own files. */
export function originName(config: Config, level: ConfigLevel): string {
  const file = config.files[level] ?? '';
  if ((level === 'repo' || level === 'local') && config.dvcDir) {
    return path.relative(path.dirname(config.dvcDir), file);
  }
  return file;
}
