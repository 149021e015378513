import {
  CONFIG_NAME_ERROR,
  displayValue,
  getConfigValue,
  listConfig,
  parseConfigName,
  setConfigValue,
} from '@tvc/config';
import { TvcError } from '@tvc/core';
import type { CommandContext } from '../context';
import { type LevelOptions, levelOf, openConfig, originName } from './config-level';

export interface ConfigOptions extends LevelOptions {
  readonly unset?: boolean;
  readonly list?: boolean;
  readonly showOrigin?: boolean;
}

/** `tvc config [NAME [VALUE]]`, `-l`, `-u`: DVC's `dvc config`, on the same files. */
export default async function config(
  context: CommandContext,
  name: string | undefined,
  value: string | undefined,
  options: ConfigOptions,
): Promise<number> {
  const { stdout, stderr } = context.io;
  if (options.showOrigin && (value !== undefined || options.unset)) {
    stderr.write(
      "ERROR: --show-origin can't be used together with any of these options: -u/--unset, value\n",
    );
    return 1;
  }
  const level = levelOf(options);
  const files = openConfig(context);
  if (options.list) {
    if (name !== undefined || value !== undefined || options.unset) {
      stderr.write(
        "ERROR: -l/--list can't be used together with any of these options: -u/--unset, name, value\n",
      );
      return 1;
    }
    for (const listed of listConfig(files, level)) {
      const prefix = options.showOrigin ? `${originName(files, listed.level)}\t` : '';
      if (listed.entries.length > 0) {
        stdout.write(`${listed.entries.map(([key, shown]) => `${prefix}${key}=${shown}`).join('\n')}\n`);
      }
    }
    return 0;
  }
  if (name === undefined) {
    stderr.write('ERROR: name argument is required\n');
    return 1;
  }
  const parsed = parseConfigName(name);
  if (!parsed) throw new TvcError('USAGE', `argument name: ${CONFIG_NAME_ERROR}`);
  if (value === undefined && !options.unset) {
    const found = getConfigValue(files, parsed, level);
    if (found) {
      const prefix = options.showOrigin ? `${originName(files, found.level)}\t` : '';
      stdout.write(`${prefix}${displayValue(found.value)}\n`);
    }
    return 0;
  }
  setConfigValue(files, parsed, options.unset ? undefined : value, { level, cwd: context.io.cwd });
  return 0;
}
