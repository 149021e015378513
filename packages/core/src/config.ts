import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TvcError } from './errors';
import type { PluginSpec, TvcPlugin } from './plugin';
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

/** Whether any config place is taken; cosmiconfig (slow to load) is only needed then. */
function hasConfigCandidate(root: string): boolean {
  for (const place of CONFIG_PLACES) {
    const file = path.join(root, place);
    if (!existsSync(file)) continue;
    if (place !== 'package.json') return true;
    try {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      if (manifest && typeof manifest === 'object' && 'tvc' in manifest) return true;
    } catch {
      return true; // let cosmiconfig report it
    }
  }
  return false;
}

/** Reads the config at the project root (only there: a parent directory's config is not ours). */
export async function loadConfig(root: string): Promise<LoadedConfig> {
  if (!hasConfigCandidate(root)) return { config: {}, filepath: undefined };
  const { cosmiconfig } = await import('cosmiconfig');
  const explorer = cosmiconfig('tvc', { searchStrategy: 'none', searchPlaces: [...CONFIG_PLACES] });
  let result: Awaited<ReturnType<typeof explorer.search>>;
  try {
    result = await explorer.search(root);
  } catch (error) {
    throw new TvcError('CONFIG_INVALID', `cannot read the tvc config: ${(error as Error).message}`, {
      cause: error,
      location: { file: path.join(root, 'tvc.config') },
    });
  }
  if (!result || result.isEmpty) return { config: {}, filepath: result?.filepath };
  const file = path.relative(root, result.filepath) || result.filepath;
  const value = result.config as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
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
  const queue = (value as { queue?: unknown }).queue;
  if (queue !== undefined && (typeof queue !== 'object' || queue === null || Array.isArray(queue))) {
    problems.push("'queue' must be a table of settings");
  }
  if (problems.length > 0) {
    throw new TvcError('CONFIG_INVALID', `invalid tvc config: ${problems.join('; ')}`, {
      location: { file },
    });
  }
  return { config: value as TvcConfig, filepath: result.filepath };
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
    throw new TvcError('PLUGIN_LOAD_FAILED', `cannot load plugin '${name}': ${(error as Error).message}`, {
      location,
      cause: error,
    });
  }
  const exported = module.default ?? module.plugin;
  if (typeof exported === 'function') {
    const isClass = typeof (exported as { prototype?: { apply?: unknown } }).prototype?.apply === 'function';
    if (isClass) return new (exported as new (options?: Record<string, unknown>) => TvcPlugin)(options);
    const fn = exported as (tvc: unknown, options?: Record<string, unknown>) => void;
    const plugin = (tvc: Parameters<Extract<TvcPlugin, (tvc: never) => void>>[0]) => fn(tvc, options);
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
    {
      location,
    },
  );
}
