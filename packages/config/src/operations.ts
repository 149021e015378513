import { type Config, displayValue, flattenTree, isTree } from './config';
import type { IniValue } from './configobj';
import { ConfigError } from './errors';
import { type ConfigLevel, LEVELS } from './locations';
import type { ConfigTree } from './schema';

/** A `tvc config` name: `section.option`, `remote.name.option` or `db.name.option`. */
export interface ConfigName {
  readonly top: 'remote' | 'db' | undefined;
  readonly section: string;
  readonly option: string;
}

/** Parses a config name as `dvc config` does (section and option lower-cased); undefined if malformed. */
export function parseConfigName(text: string): ConfigName | undefined {
  const match = /^(?:(remote|db)\.)?([^.]*)\.([^.]*)$/.exec(text);
  if (!match) return undefined;
  return {
    top: match[1] as 'remote' | 'db' | undefined,
    section: (match[2] ?? '').toLowerCase(),
    option: (match[3] ?? '').toLowerCase(),
  };
}

export const CONFIG_NAME_ERROR =
  'name argument should look like remote.name.option or db.name.option or section.option';

function scope(tree: ConfigTree, name: ConfigName): ConfigTree {
  if (!name.top) return tree;
  const named = tree[name.top];
  return isTree(named) ? named : {};
}

function check(tree: ConfigTree, name: ConfigName, withOption = true): void {
  const kind = name.top ?? 'section';
  const section = tree[name.section];
  if (!isTree(section)) throw new ConfigError(`${kind} '${name.section}' doesn't exist`);
  if (withOption && !(name.option in section)) {
    throw new ConfigError(`option '${name.option}' doesn't exist in ${kind} '${name.section}'`);
  }
}

/** The levels `tvc config` looks at: the one asked for, else every level there is. */
function levelsFor(config: Config, level: ConfigLevel | undefined): readonly ConfigLevel[] {
  if (level === undefined) return config.levels();
  if (config.dvcDir === undefined && (level === 'repo' || level === 'local')) {
    throw new ConfigError('Not inside a DVC repo');
  }
  return [level];
}

/**
 * `tvc config NAME`: the value from the level that wins (or the level asked for, where a
 * missing option is an error); undefined when no level has it.
 */
export function getConfigValue(
  config: Config,
  name: ConfigName,
  level?: ConfigLevel,
): { value: IniValue; level: ConfigLevel } | undefined {
  for (const each of [...levelsFor(config, level)].reverse()) {
    const tree = scope(config.readLevel(each), name);
    try {
      check(tree, name);
    } catch (error) {
      if (level !== undefined) throw error;
      continue;
    }
    const value = (tree[name.section] as ConfigTree)[name.option];
    if (value !== undefined && !isTree(value)) return { value, level: each };
    return undefined;
  }
  return undefined;
}

/** `tvc config NAME VALUE` (or `--unset`): changes one level, the project's by default. */
export function setConfigValue(
  config: Config,
  name: ConfigName,
  value: string | undefined,
  options: { level?: ConfigLevel | undefined; cwd?: string | undefined } = {},
): void {
  config.edit(
    options.level,
    (tree) => {
      const target = scope(tree, name);
      if (value === undefined) {
        check(target, name);
        delete (target[name.section] as ConfigTree)[name.option];
        return;
      }
      if (!isTree(target[name.section])) target[name.section] = {};
      (target[name.section] as ConfigTree)[name.option] = value;
      if (name.top && !isTree(tree[name.top])) tree[name.top] = target;
    },
    { cwd: options.cwd },
  );
}

/** `tvc config -l`: each level's values (only the level asked for, if one is), flattened. */
export function listConfig(
  config: Config,
  level?: ConfigLevel,
): { level: ConfigLevel; file: string; entries: [string, string][] }[] {
  return levelsFor(config, level).map((each) => ({
    level: each,
    file: config.files[each] as string,
    entries: flattenTree(config.readLevel(each)).map(([key, value]) => [key, displayValue(value)]),
  }));
}

function remotes(tree: ConfigTree): ConfigTree {
  if (!isTree(tree.remote)) tree.remote = {};
  return tree.remote as ConfigTree;
}

function core(tree: ConfigTree): ConfigTree {
  if (!isTree(tree.core)) tree.core = {};
  return tree.core as ConfigTree;
}

function mustExist(tree: ConfigTree, name: string): void {
  if (!(name in remotes(tree))) throw new ConfigError(`remote '${name}' doesn't exist.`);
}

export interface RemoteOptions {
  readonly level?: ConfigLevel | undefined;
  readonly cwd?: string | undefined;
}

/** `tvc remote add NAME URL`: a new remote (`force` replaces one), the default with `makeDefault`. */
export function addRemote(
  config: Config,
  name: string,
  url: string,
  options: RemoteOptions & { makeDefault?: boolean; force?: boolean } = {},
): void {
  const remote = name.toLowerCase();
  config.edit(
    options.level,
    (tree) => {
      if (remote in remotes(tree) && !options.force) {
        throw new ConfigError(`remote '${remote}' already exists. Use \`-f|--force\` to overwrite it.`);
      }
      remotes(tree)[remote] = { url };
      if (options.makeDefault) core(tree).remote = remote;
    },
    { cwd: options.cwd },
  );
}

/** `tvc remote modify NAME OPTION [VALUE]` (`unset` removes the option). */
export function modifyRemote(
  config: Config,
  name: string,
  option: string,
  value: string | undefined,
  options: RemoteOptions & { unset?: boolean } = {},
): void {
  const remote = name.toLowerCase();
  config.edit(
    options.level,
    (tree) => {
      const merged = config.readBelow(options.level);
      if (!(remote in remotes(merged)) && !(remote in remotes(tree))) {
        throw new ConfigError(`remote '${remote}' doesn't exist.`);
      }
      const all = remotes(tree);
      if (!isTree(all[remote])) all[remote] = {};
      const section = all[remote] as ConfigTree;
      if (options.unset) delete section[option];
      else section[option] = value ?? '';
    },
    { cwd: options.cwd },
  );
}

/** Runs `update` on the levels that shadow `level` (the project's by default), last first. */
function editShadowing(
  config: Config,
  level: ConfigLevel | undefined,
  update: (tree: ConfigTree) => void,
  options: { includeLevel: boolean; cwd?: string | undefined },
): void {
  const upTo = level ?? 'repo';
  for (const each of [...LEVELS].reverse()) {
    if (each === upTo && !options.includeLevel) break;
    if (config.files[each] !== undefined) config.edit(each, update, { cwd: options.cwd });
    if (each === upTo) break;
  }
}

/** `tvc remote remove NAME`: the remote, and `core.remote` where it names it (at that level and above). */
export function removeRemote(config: Config, name: string, options: RemoteOptions = {}): void {
  const remote = name.toLowerCase();
  config.edit(
    options.level,
    (tree) => {
      mustExist(tree, remote);
      delete remotes(tree)[remote];
    },
    { cwd: options.cwd },
  );
  editShadowing(
    config,
    options.level,
    (tree) => {
      if (core(tree).remote === remote) delete core(tree).remote;
    },
    { includeLevel: true, cwd: options.cwd },
  );
}

/** `tvc remote rename NAME NEW`: the remote and every `core.remote` naming it, at that level and above. */
export function renameRemote(
  config: Config,
  name: string,
  newName: string,
  options: RemoteOptions = {},
): void {
  const remote = name.toLowerCase();
  if (newName in remotes(config.read())) {
    throw new ConfigError(`Rename failed. Remote name '${newName}' already exists.`);
  }
  const renameDefault = (tree: ConfigTree): void => {
    if (core(tree).remote === remote) core(tree).remote = newName;
  };
  config.edit(
    options.level,
    (tree) => {
      mustExist(tree, remote);
      const all = remotes(tree);
      all[newName] = all[remote] as ConfigTree;
      delete all[remote];
      renameDefault(tree);
    },
    { cwd: options.cwd, renames: new Map([[`remote "${remote}"`, `remote "${newName}"`]]) },
  );
  editShadowing(config, options.level, renameDefault, { includeLevel: false, cwd: options.cwd });
}

/** `tvc remote default`: the default remote of the merged config (or of one level). */
export function defaultRemote(config: Config, level?: ConfigLevel): string | undefined {
  const tree = level === undefined ? config.read() : config.readLevel(level);
  const value = isTree(tree.core) ? tree.core.remote : undefined;
  return value === undefined || isTree(value) ? undefined : displayValue(value);
}

/** `tvc remote default NAME` (or `undefined` to unset it): the remote must be configured somewhere. */
export function setDefaultRemote(
  config: Config,
  name: string | undefined,
  options: RemoteOptions = {},
): void {
  config.edit(
    options.level,
    (tree) => {
      if (name === undefined) {
        delete core(tree).remote;
        return;
      }
      const remote = name.toLowerCase();
      if (remote in remotes(tree) || remote in remotes(config.readBelow(options.level)))
        core(tree).remote = remote;
      else throw new ConfigError('default remote must be present in remote list.');
    },
    { cwd: options.cwd },
  );
}

/** `tvc remote list`: the remotes of the merged config (or of one level), the default marked. */
export function listRemotes(
  config: Config,
  level?: ConfigLevel,
): { name: string; url: string; isDefault: boolean }[] {
  const tree = level === undefined ? config.read() : config.readLevel(level);
  const fallback = defaultRemote(config, level);
  return Object.entries(remotes(tree)).map(([name, options]) => {
    const url = isTree(options) ? options.url : undefined;
    return {
      name,
      url: url === undefined || isTree(url) ? '' : displayValue(url),
      isDefault: name === fallback,
    };
  });
}
