import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  emptyIniDocument,
  type IniData,
  type IniDocument,
  type IniValue,
  parseIni,
  writeIni,
} from './configobj';
import { ConfigError, type ConfigLocation } from './errors';
import {
  type ConfigLevel,
  configFiles,
  LEVELS,
  type LocationOptions,
  REPO_LEVELS,
  SYSTEM_LEVELS,
} from './locations';
import { type ConfigNode, type ConfigTree, NAMED_SECTIONS, SCHEMA_ORDER, validateTree } from './schema';

export interface ConfigOptions extends LocationOptions {
  /** The repository's `.dvc` directory; none outside a repository (only the system and global levels). */
  readonly dvcDir?: string | undefined;
}

/** One level's file, read: the tree (paths resolved against the file's directory) and where each value is. */
interface LoadedLevel {
  readonly tree: ConfigTree;
  readonly document: IniDocument;
  /** `section.name.key` → the file and line it was read from. */
  readonly origins: Map<string, ConfigLocation>;
  /** Resolved paths that were relative (`rel`) or began with `~` (`exp`, with what was written). */
  readonly pathForms: Map<
    string,
    { readonly kind: 'rel' } | { readonly kind: 'exp'; readonly written: string }
  >;
}

/** Options whose values are paths, relative to the config file they are in (DVC's `_map_dirs`). */
const PATH_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  cache: ['dir'],
  remote: [
    'url',
    'gdrive_user_credentials_file',
    'gdrive_service_account_json_file_path',
    'credentialpath',
    'configpath',
    'keyfile',
    'cert_path',
    'key_path',
  ],
  machine: ['startup_script', 'setup_script'],
};

const URL = /^\w+:\/\//;

export function isTree(node: ConfigNode | undefined): node is ConfigTree {
  return typeof node === 'object' && node !== null && !Array.isArray(node);
}

/** DVC's `merge`: `update` into `into`, recursively. */
export function mergeTrees(into: ConfigTree, update: ConfigTree): ConfigTree {
  for (const [key, value] of Object.entries(update)) {
    const current = into[key];
    if (isTree(current) && isTree(value)) mergeTrees(current, value);
    else into[key] = isTree(value) ? mergeTrees({}, value) : value;
  }
  return into;
}

function expandUser(value: string, home: string): string {
  if (value === '~') return home;
  if (value.startsWith('~/') || value.startsWith(`~${path.sep}`)) return path.join(home, value.slice(2));
  return value;
}

/** Applies `map` to the path options of a tree (DVC's `_map_dirs`). */
function mapPaths(tree: ConfigTree, map: (value: string) => string): void {
  const cache = tree.cache;
  if (isTree(cache) && typeof cache.dir === 'string') cache.dir = map(cache.dir);
  for (const section of ['remote', 'machine'] as const) {
    const named = tree[section];
    if (!isTree(named)) continue;
    for (const options of Object.values(named)) {
      if (!isTree(options)) continue;
      for (const key of PATH_OPTIONS[section] ?? []) {
        const value = options[key];
        if (typeof value === 'string') options[key] = map(value);
      }
    }
  }
}

/**
 * Flattens a tree to `section.key` (and `remote.name.key`) entries, leaving out empty sections,
 * as DVC's `flatten_dict` does for `dvc config -l`.
 */
export function flattenTree(tree: ConfigTree, prefix = ''): [string, IniValue][] {
  const entries: [string, IniValue][] = [];
  for (const [key, value] of Object.entries(tree)) {
    if (isTree(value)) entries.push(...flattenTree(value, `${prefix}${key}.`));
    else entries.push([`${prefix}${key}`, value]);
  }
  return entries;
}

/** A value as Python prints it: strings as they are, lists as `['a', 'b']`. */
export function displayValue(value: IniValue): string {
  if (typeof value === 'string') return value;
  const repr = (item: string): string =>
    item.includes("'") && !item.includes('"')
      ? `"${item.replace(/\\/g, '\\\\')}"`
      : `'${item.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return `[${value.map(repr).join(', ')}]`;
}

function cloneTree(tree: ConfigTree): ConfigTree {
  return mergeTrees({}, tree);
}

/** Writes a file atomically: a temporary file beside it, then a rename. */
function writeAtomic(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** The `.dvc` directory above `cwd` (DVC's `Repo.find_dvc_dir`), if any. */
export function findDvcDir(cwd: string): string | undefined {
  let directory = path.resolve(cwd);
  while (true) {
    const candidate = path.join(directory, '.dvc');
    try {
      if (statSync(candidate).isDirectory()) return candidate;
    } catch {
      // not here
    }
    const parent = path.dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

/**
 * DVC's config (`dvc/config.py`): four files that shadow each other — system, global (the
 * user's), repo (`.dvc/config`) and local (`.dvc/config.local`) — read into one tree, with paths
 * in them resolved against the file's directory. Edits go to one level and keep the file's
 * comments and layout; they are validated against DVC's schema first.
 */
export class Config {
  readonly dvcDir: string | undefined;
  /** Each level's file (the repo levels only inside a repository). */
  readonly files: Readonly<Partial<Record<ConfigLevel, string>>>;
  readonly #home: string;

  constructor(options: ConfigOptions = {}) {
    this.dvcDir = options.dvcDir === undefined ? undefined : path.resolve(options.dvcDir);
    this.files = configFiles(this.dvcDir, options);
    this.#home = options.home ?? os.homedir();
  }

  /** The config of the repository around `cwd`, or only the system and global levels outside one. */
  static fromCwd(cwd: string, options: LocationOptions = {}): Config {
    return new Config({ ...options, dvcDir: findDvcDir(cwd) });
  }

  /** The levels there are here, in the order they shadow each other. */
  levels(): readonly ConfigLevel[] {
    return this.dvcDir === undefined ? SYSTEM_LEVELS : LEVELS;
  }

  #file(level: ConfigLevel): string {
    const file = this.files[level];
    if (file === undefined) throw new ConfigError('Not inside a DVC repo');
    return file;
  }

  #load(level: ConfigLevel): LoadedLevel {
    const file = this.#file(level);
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new ConfigError(String((error as Error).message), { location: { file } });
    }
    const parsed = text === undefined ? undefined : parseIni(text, file);
    const tree: ConfigTree = { remote: {}, machine: {}, db: {} };
    const origins = new Map<string, ConfigLocation>();
    for (const [section, values] of parsed?.data ?? []) {
      const named = /^\s*(remote|machine|db)\s*"(.*)"\s*$/.exec(section);
      const target: ConfigTree = {};
      for (const [key, value] of values) {
        target[key] = value;
        const treePath =
          section === '' ? key : named ? `${named[1]}.${named[2]}.${key}` : `${section}.${key}`;
        origins.set(treePath, { file, line: parsed?.lines.get(`${section}\0${key}`) });
      }
      if (section === '') Object.assign(tree, target);
      else if (named) (tree[named[1] as string] as ConfigTree)[named[2] as string] = target;
      else tree[section] = target;
    }
    const pathForms: LoadedLevel['pathForms'] = new Map();
    const directory = path.dirname(path.resolve(file));
    mapPaths(tree, (value) => {
      if (URL.test(value) || path.isAbsolute(value)) return value;
      const expanded = expandUser(value, this.#home);
      if (path.isAbsolute(expanded)) {
        pathForms.set(expanded, { kind: 'exp', written: value });
        return expanded;
      }
      const resolved = path.resolve(directory, value);
      pathForms.set(resolved, { kind: 'rel' });
      return resolved;
    });
    for (const section of SCHEMA_ORDER) tree[section] ??= {};
    return { tree, document: parsed?.document ?? emptyIniDocument(), origins, pathForms };
  }

  /** One level's tree (with DVC's sections present, empty where unset): DVC's `Config.read(level)`. */
  readLevel(level: ConfigLevel): ConfigTree {
    return this.#load(level).tree;
  }

  /** Every level merged, each shadowing the ones before it. */
  read(): ConfigTree {
    return this.readBelow(undefined);
  }

  /** The levels merged up to (not including) `level`; all of them without one (`load_config_to_level`). */
  readBelow(level: ConfigLevel | undefined): ConfigTree {
    const merged: ConfigTree = {};
    for (const each of this.levels()) {
      if (each === level) break;
      mergeTrees(merged, this.#load(each).tree);
    }
    return merged;
  }

  /** Where each value of the merged config comes from (the file and line of the level that wins). */
  origins(): Map<string, ConfigLocation> {
    const origins = new Map<string, ConfigLocation>();
    for (const level of this.levels())
      for (const [key, where] of this.#load(level).origins) origins.set(key, where);
    return origins;
  }

  /** Checks the merged config against DVC's schema; a ConfigError naming the file and line if wrong. */
  validate(): void {
    this.#check(this.read(), this.origins(), undefined);
  }

  #check(tree: ConfigTree, origins: Map<string, ConfigLocation>, fallback: string | undefined): void {
    const problems = validateTree(tree).map((problem) => {
      let location: ConfigLocation | undefined;
      for (let length = problem.path.length; length > 0 && !location; length--) {
        location = origins.get(problem.path.slice(0, length).join('.'));
      }
      if (!location) {
        // a section: the first of its values
        const prefix = `${problem.path.join('.')}.`;
        for (const [key, where] of origins) if (key.startsWith(prefix)) location ??= where;
      }
      location ??= fallback === undefined ? undefined : { file: fallback };
      return new ConfigError(problem.message, { location });
    });
    const first = problems[0];
    if (first) throw new ConfigError(first.message, { location: first.location, problems });
  }

  /**
   * Changes one level (default: the project's `.dvc/config`), as DVC's `Config.edit`: `update`
   * gets that level's tree (paths absolute) and changes it; new relative paths are taken as
   * relative to `cwd`. The levels below merged with the result must pass DVC's schema (unless
   * `validate` is false); then the file is written, keeping its comments and layout.
   */
  edit(
    level: ConfigLevel | undefined,
    update: (tree: ConfigTree) => void,
    options: {
      cwd?: string | undefined;
      validate?: boolean;
      /** Sections renamed by `update` (`remote "old"` → `remote "new"`): their comments follow. */
      renames?: ReadonlyMap<string, string>;
    } = {},
  ): void {
    const target = level ?? 'repo';
    if (this.dvcDir === undefined && REPO_LEVELS.includes(target))
      throw new ConfigError('Not inside a DVC repo');
    const file = this.#file(target);
    const loaded = this.#load(target);
    const before = cloneTree(loaded.tree);
    const tree = loaded.tree;
    update(tree);
    const cwd = options.cwd ?? process.cwd();
    const directory = path.dirname(path.resolve(file));
    const posix = (value: string): string => value.split(path.sep).join('/');
    mapPaths(tree, (value) => {
      if (URL.test(value)) return value;
      const form = loaded.pathForms.get(value);
      if (form?.kind === 'exp') return form.written;
      if (expandUser(value, this.#home) !== value) return posix(value);
      if (form?.kind === 'rel' || !path.isAbsolute(value)) {
        return posix(path.relative(directory, path.resolve(cwd, value)) || '.');
      }
      return value;
    });
    if (options.validate !== false) {
      const merged = mergeTrees(this.readBelow(target), tree);
      const origins = new Map<string, ConfigLocation>();
      for (const each of this.levels()) {
        if (each === target) break;
        for (const [key, where] of this.#load(each).origins) origins.set(key, where);
      }
      // Values of this level that did not change keep their lines; changed ones name only the file.
      const unchanged = new Map(flattenTree(before).map(([key, value]) => [key, displayValue(value)]));
      for (const [key, value] of flattenTree(tree)) {
        const where = loaded.origins.get(key);
        if (where && unchanged.get(key) === displayValue(value)) origins.set(key, where);
        else origins.set(key, { file });
      }
      this.#check(merged, origins, file);
    }
    writeAtomic(file, writeIni(loaded.document, packTree(tree), options.renames));
  }
}

/** DVC's `_pack_named`: plain sections first, then `remote "name"`, `machine "name"`, `db "name"`. */
function packTree(tree: ConfigTree): IniData {
  const data: IniData = new Map([['', new Map()]]);
  const root = data.get('') as Map<string, IniValue>;
  for (const [key, value] of Object.entries(tree)) {
    if ((NAMED_SECTIONS as readonly string[]).includes(key)) continue;
    if (!isTree(value)) root.set(key, value);
    else if (Object.keys(value).length > 0) data.set(key, sectionValues(value));
  }
  for (const section of NAMED_SECTIONS) {
    const named = tree[section];
    if (!isTree(named)) continue;
    for (const [name, options] of Object.entries(named)) {
      if (isTree(options)) data.set(`${section} "${name}"`, sectionValues(options));
    }
  }
  return data;
}

function sectionValues(tree: ConfigTree): Map<string, IniValue> {
  const values = new Map<string, IniValue>();
  for (const [key, value] of Object.entries(tree)) {
    if (!isTree(value)) values.set(key, value);
  }
  return values;
}
