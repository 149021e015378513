import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PluginError, TvcError } from './errors';
import type { PluginSpec, TvcPlugin, TvcPluginFunction } from './plugin';
import { suggest } from './schema';

/** The project's tvc configuration (`tvc.config.*`, `.tvcrc*`, or `"tvc"` in package.json). */
export interface TvcConfig {
  /** Extra plugins: module paths (relative to the config file), package names, `[name, options]`, or plugin objects. */
  readonly plugins?: readonly PluginSpec[];
  /**
   * The experiment queue: `executor` names the queue's engine (`bullmq` for the distributed queue
   * of `@tvc/executor-bullmq`); the other keys are that engine's settings (see its README).
   */
  readonly queue?: { readonly executor?: string; readonly [setting: string]: unknown };
}

export interface LoadedConfig {
  readonly config: TvcConfig;
  /** The file it came from, when there is one. */
  readonly filepath: string | undefined;
}

const CONFIG_KEYS = ['plugins', 'queue'];

/** Where a project's tvc config may be, in the order they are tried (cosmiconfig's places for `tvc`). */
export const CONFIG_PLACES = [
  'package.json',
  '.tvcrc',
  '.tvcrc.json',
  '.tvcrc.yaml',
  '.tvcrc.yml',
  '.tvcrc.js',
  '.tvcrc.mjs',
  '.tvcrc.cjs',
  '.config/tvcrc',
  '.config/tvcrc.json',
  '.config/tvcrc.yaml',
  '.config/tvcrc.yml',
  '.config/tvcrc.js',
  '.config/tvcrc.mjs',
  '.config/tvcrc.cjs',
  'tvc.config.js',
  'tvc.config.mjs',
  'tvc.config.cjs',
  'tvc.config.json',
  'tvc.config.yaml',
  'tvc.config.yml',
] as const;

/** The first config place taken (cosmiconfig's order), or `undefined`. */
function findConfigFile(root: string): string | undefined {
  for (const place of CONFIG_PLACES) {
    const file = path.join(root, place);
    if (!existsSync(file)) continue;
    if (place !== 'package.json') return file;
    try {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      if (manifest && typeof manifest === 'object' && 'tvc' in manifest) return file;
    } catch {
      return file; // let cosmiconfig report it
    }
  }
  return undefined;
}

const SCRIPT_EXTENSIONS = ['.js', '.mjs', '.cjs'];

/**
 * Where Node finds a syntax error in `file`: its `import()` says only "Unexpected identifier"
 * (and through cosmiconfig, a Node.js internal assertion). `node --check` prints the line; it runs
 * only when the import has already failed.
 */
function syntaxErrorLine(file: string): number | undefined {
  const checked = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 10_000 });
  const match = /:(\d+)\r?\n/.exec(checked.stderr ?? '');
  return match ? Number(match[1]) : undefined;
}

/** Imports a JavaScript config as Node would; a failure is the config's, located when it can be. */
async function importConfig(file: string, display: string): Promise<unknown> {
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    const syntax = error instanceof SyntaxError;
    throw new TvcError(
      'CONFIG_INVALID',
      `cannot load the tvc config: ${syntax ? 'syntax error: ' : ''}${(error as Error).message}`,
      { cause: error, location: { file: display, line: syntax ? syntaxErrorLine(file) : undefined } },
    );
  }
  if (!('default' in module)) {
    throw new TvcError('CONFIG_INVALID', 'the tvc config has no default export', {
      location: { file: display },
      hint: 'export default { plugins: [ … ] };',
    });
  }
  return module.default;
}

/** Why a config's plugin entry is not one, or `undefined` when it is. */
function pluginSpecProblem(spec: unknown): string | undefined {
  if (typeof spec === 'string') return spec === '' ? 'an empty module name' : undefined;
  if (typeof spec === 'function') return undefined;
  if (Array.isArray(spec)) {
    const [name, options, ...rest] = spec as unknown[];
    if (typeof name !== 'string' || name === '')
      return 'a [name, options] pair must start with a module name';
    if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options)))
      return `the options of '${name}' must be an object`;
    return rest.length > 0 ? `'${name}' has more than [name, options]` : undefined;
  }
  if (typeof spec === 'object' && spec !== null) {
    return typeof (spec as { apply?: unknown }).apply === 'function'
      ? undefined
      : 'an object plugin needs an apply(tvc) method';
  }
  return `expected a module path, a package name, [name, options] or a plugin, not ${spec === null ? 'null' : `the ${typeof spec} ${String(spec)}`}`;
}

/** Reads the config at the project root (only there: a parent directory's config is not ours). */
export async function loadConfig(root: string): Promise<LoadedConfig> {
  const filepath = findConfigFile(root);
  if (!filepath) return { config: {}, filepath: undefined };
  const file = path.relative(root, filepath) || filepath;
  let value: unknown;
  if (SCRIPT_EXTENSIONS.includes(path.extname(filepath))) {
    value = await importConfig(filepath, file);
  } else {
    const { cosmiconfig } = await import('cosmiconfig');
    const explorer = cosmiconfig('tvc', { searchStrategy: 'none', searchPlaces: [...CONFIG_PLACES] });
    let result: Awaited<ReturnType<typeof explorer.load>>;
    try {
      result = await explorer.load(filepath);
    } catch (error) {
      throw new TvcError('CONFIG_INVALID', `cannot read the tvc config: ${(error as Error).message}`, {
        cause: error,
        location: { file },
      });
    }
    if (!result || result.isEmpty) return { config: {}, filepath };
    value = result.config;
  }
  if (value === undefined || value === null) return { config: {}, filepath };
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TvcError('CONFIG_INVALID', 'the tvc config must be an object', { location: { file } });
  }
  const problems: string[] = [];
  for (const key of Object.keys(value)) {
    if (!CONFIG_KEYS.includes(key)) {
      const suggestion = suggest(key, CONFIG_KEYS);
      problems.push(`unknown key '${key}'${suggestion ? ` — did you mean '${suggestion}'?` : ''}`);
    }
  }
  const plugins = (value as { plugins?: unknown }).plugins;
  if (plugins !== undefined && !Array.isArray(plugins)) problems.push("'plugins' must be a list");
  if (Array.isArray(plugins)) {
    for (const [index, spec] of plugins.entries()) {
      const problem = pluginSpecProblem(spec);
      if (problem) problems.push(`plugins[${index}]: ${problem}`);
    }
  }
  const queue = (value as { queue?: unknown }).queue;
  if (queue !== undefined && (typeof queue !== 'object' || queue === null || Array.isArray(queue))) {
    problems.push("'queue' must be a table of settings");
  }
  if (problems.length > 0) {
    throw new TvcError('CONFIG_INVALID', `invalid tvc config: ${problems.join('; ')}`, {
      location: { file },
    });
  }
  return { config: value as TvcConfig, filepath };
}

/** Finds a package's entry the way an ESM import from `fromDir` would. */
function resolvePackage(name: string, fromDir: string): string | undefined {
  const [scopeOrName, maybeName, ...rest] = name.split('/');
  const packageName = scopeOrName?.startsWith('@') ? `${scopeOrName}/${maybeName}` : scopeOrName!;
  const subpath = (scopeOrName?.startsWith('@') ? rest : [maybeName, ...rest]).filter(Boolean).join('/');
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const packageDir = path.join(dir, 'node_modules', packageName);
    if (existsSync(path.join(packageDir, 'package.json'))) {
      if (subpath) return path.join(packageDir, subpath);
      const manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as {
        exports?: unknown;
        main?: string;
      };
      const entry = exportEntry(manifest.exports) ?? manifest.main ?? 'index.js';
      return path.join(packageDir, entry);
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

function exportEntry(exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports;
  if (typeof exports !== 'object' || exports === null) return undefined;
  const record = exports as Record<string, unknown>;
  const root = '.' in record ? record['.'] : record;
  if (typeof root === 'string') return root;
  if (typeof root === 'object' && root !== null) {
    const conditions = root as Record<string, unknown>;
    for (const condition of ['import', 'node', 'default']) {
      const entry = conditions[condition];
      if (typeof entry === 'string') return entry;
      const nested = exportEntry(entry);
      if (nested) return nested;
    }
  }
  return undefined;
}

/** Turns a config's plugin entry into a plugin: imports the module and instantiates its export. */
export async function resolvePlugin(
  spec: PluginSpec,
  configDir: string,
  configFile: string | undefined,
): Promise<TvcPlugin> {
  if (typeof spec === 'function' || (typeof spec === 'object' && !Array.isArray(spec)))
    return spec as TvcPlugin;
  const [name, options] =
    typeof spec === 'string' ? [spec, undefined] : (spec as readonly [string, Record<string, unknown>?]);
  const location = configFile ? { file: configFile } : undefined;
  const file =
    name.startsWith('.') || path.isAbsolute(name)
      ? path.resolve(configDir, name)
      : resolvePackage(name, configDir);
  if (!file || !existsSync(file)) {
    throw new TvcError('PLUGIN_NOT_FOUND', `cannot find plugin '${name}'`, {
      location,
      hint: name.startsWith('.') ? `no file at ${file}` : `install it: pnpm add -D ${name}`,
    });
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    const syntax = error instanceof SyntaxError;
    const line = syntax ? syntaxErrorLine(file) : undefined;
    throw new TvcError(
      'PLUGIN_LOAD_FAILED',
      `cannot load plugin '${name}': ${syntax ? `syntax error in ${file}${line ? `:${line}` : ''}: ` : ''}${(error as Error).message}`,
      { location, cause: error },
    );
  }
  const exported = module.default ?? module.plugin;
  if (typeof exported === 'function') {
    const isClass = typeof (exported as { prototype?: { apply?: unknown } }).prototype?.apply === 'function';
    if (isClass) {
      // a class plugin gets its options through its constructor: ['pkg', { … }] → new Plugin({ … })
      try {
        return new (exported as new (options?: Record<string, unknown>) => TvcPlugin)(options);
      } catch (error) {
        if (error instanceof TvcError) throw error;
        const plugin = (exported as { PLUGIN_NAME?: string }).PLUGIN_NAME ?? exported.name ?? name;
        throw new PluginError(plugin, 'constructor', error, configFile);
      }
    }
    const fn = exported as TvcPluginFunction;
    const plugin = (tvc: Parameters<TvcPluginFunction>[0]) => fn(tvc, options);
    Object.defineProperty(plugin, 'name', { value: fn.name || name });
    return plugin;
  }
  if (
    typeof exported === 'object' &&
    exported !== null &&
    typeof (exported as TvcPlugin & object).apply === 'function'
  ) {
    return exported as TvcPlugin;
  }
  throw new TvcError(
    'PLUGIN_INVALID',
    `plugin '${name}' exports no plugin (a class or object with apply(tvc), or a function)`,
    { location },
  );
}
