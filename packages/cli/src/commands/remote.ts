import {
  addRemote,
  defaultRemote,
  listRemotes,
  modifyRemote,
  removeRemote,
  renameRemote,
  setDefaultRemote,
} from '@tvc/config';
import type { CommandContext } from '../context';
import { expandTabs, type LevelOptions, levelOf, openConfig } from './config-level';

/** `tvc remote add NAME URL [-d] [-f]`. */
export async function add(
  context: CommandContext,
  name: string,
  url: string,
  options: LevelOptions & { default?: boolean; force?: boolean },
): Promise<number> {
  if (options.default) context.io.stdout.write(`Setting '${name.toLowerCase()}' as a default remote.\n`);
  addRemote(openConfig(context), name, url, {
    level: levelOf(options),
    cwd: context.io.cwd,
    makeDefault: options.default === true,
    force: options.force === true,
  });
  return 0;
}

/** `tvc remote modify NAME OPTION [VALUE] [-u]`. */
export async function modify(
  context: CommandContext,
  name: string,
  option: string,
  value: string | undefined,
  options: LevelOptions & { unset?: boolean },
): Promise<number> {
  modifyRemote(openConfig(context), name, option, value, {
    level: levelOf(options),
    cwd: context.io.cwd,
    unset: options.unset === true,
  });
  return 0;
}

/** `tvc remote list`: `name  url  (default)`, aligned as DVC prints it. */
export async function list(context: CommandContext, options: LevelOptions): Promise<number> {
  for (const remote of listRemotes(openConfig(context), levelOf(options))) {
    const line = `${remote.name}\t${remote.url}${remote.isDefault ? '\t(default)' : ''}`;
    context.io.stdout.write(`${expandTabs(line)}\n`);
  }
  return 0;
}

/** `tvc remote default [NAME] [-u]`: shows the default remote, or sets or unsets it. */
export async function defaultCommand(
  context: CommandContext,
  name: string | undefined,
  options: LevelOptions & { unset?: boolean },
): Promise<number> {
  const config = openConfig(context);
  const level = levelOf(options);
  if (name === undefined && !options.unset) {
    const current = defaultRemote(config, level);
    if (current === undefined) {
      context.io.stdout.write('No default remote set\n');
      return 1;
    }
    context.io.stdout.write(`${current}\n`);
    return 0;
  }
  setDefaultRemote(config, options.unset ? undefined : name, { level, cwd: context.io.cwd });
  return 0;
}

/** `tvc remote remove NAME`. */
export async function remove(context: CommandContext, name: string, options: LevelOptions): Promise<number> {
  removeRemote(openConfig(context), name, { level: levelOf(options), cwd: context.io.cwd });
  return 0;
}

/** `tvc remote rename NAME NEW`. */
export async function rename(
  context: CommandContext,
  name: string,
  newName: string,
  options: LevelOptions,
): Promise<number> {
  renameRemote(openConfig(context), name, newName, { level: levelOf(options), cwd: context.io.cwd });
  return 0;
}

// `remote default` is this module's `default` export, which register-config.ts picks by name.
export { defaultCommand as default };
