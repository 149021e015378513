import type { Hook, HookMap } from 'tapable';
import { PluginError, TvcError } from './errors';
import type { Tvc } from './tvc';

/** A plugin: an object (usually a class instance) whose `apply` taps the Tvc's hooks. */
export interface TvcPluginObject {
  /** Shown in errors and `tvc plugins`. Classes usually set a static or instance `PLUGIN_NAME`. */
  readonly name?: string;
  apply(tvc: Tvc): void;
}

/**
 * A plain function plugin; its `name` is the function's name. Named in a config as
 * `['./plugin.mjs', { … }]`, it is called with those options (a class plugin gets them through
 * its constructor).
 */
export type TvcPluginFunction = (tvc: Tvc, options?: Readonly<Record<string, unknown>>) => void;

export type TvcPlugin = TvcPluginObject | TvcPluginFunction;

/** A plugin as named in a config file: a module path or package name, with options, or the plugin itself. */
export type PluginSpec = string | readonly [string, Record<string, unknown>?] | TvcPlugin;

/** A preset is a list of plugins applied together (the default preset holds the built-ins). */
export interface Preset {
  readonly name: string;
  readonly plugins: readonly TvcPlugin[];
}

export function pluginName(plugin: TvcPlugin): string {
  if (typeof plugin === 'function') return plugin.name || 'anonymous plugin';
  const withName = plugin as TvcPluginObject & {
    PLUGIN_NAME?: string;
    constructor: { PLUGIN_NAME?: string; name: string };
  };
  return (
    withName.name ??
    withName.PLUGIN_NAME ??
    withName.constructor.PLUGIN_NAME ??
    (withName.constructor.name !== 'Object' ? withName.constructor.name : 'anonymous plugin')
  );
}

type AnyHook = Hook<unknown[], unknown>;

/** Which config file named the plugin registering a tap (called as the tap is registered). */
export type TapOrigin = (tapName: string) => string | undefined;

function wrapError(plugin: string, hook: string, error: unknown, configFile: string | undefined): unknown {
  // A TvcError is a deliberate, user-facing report: it passes through as it is.
  return error instanceof TvcError ? error : new PluginError(plugin, hook, error, configFile);
}

/**
 * Wraps every tap registered on `hook` so that a throwing (or rejecting) plugin is reported with
 * the hook's and the plugin's names (and the config file that named it).
 */
export function guardHook(hookName: string, hook: AnyHook, origin?: TapOrigin): void {
  hook.intercept({
    register(tap) {
      const fn = tap.fn as (...args: unknown[]) => unknown;
      const plugin = tap.name;
      const configFile = origin?.(plugin);
      if (tap.type === 'promise') {
        tap.fn = (...args: unknown[]) => {
          try {
            return Promise.resolve(fn(...args)).catch((error: unknown) => {
              throw wrapError(plugin, hookName, error, configFile);
            });
          } catch (error) {
            return Promise.reject(wrapError(plugin, hookName, error, configFile));
          }
        };
      } else if (tap.type === 'async') {
        tap.fn = (...args: unknown[]) => {
          const callback = args[args.length - 1] as (error?: unknown, result?: unknown) => void;
          const rest = args.slice(0, -1);
          try {
            fn(...rest, (error?: unknown, result?: unknown) =>
              error ? callback(wrapError(plugin, hookName, error, configFile)) : callback(undefined, result),
            );
          } catch (error) {
            callback(wrapError(plugin, hookName, error, configFile));
          }
        };
      } else {
        tap.fn = (...args: unknown[]) => {
          try {
            return fn(...args);
          } catch (error) {
            throw wrapError(plugin, hookName, error, configFile);
          }
        };
      }
      return tap;
    },
  });
}

/** Guards every hook of a hooks object, including the hooks a HookMap creates later. */
export function guardHooks(
  hooks: Readonly<Record<string, AnyHook | HookMap<AnyHook>>>,
  origin?: TapOrigin,
): Map<string, Set<string>> {
  const mapKeys = new Map<string, Set<string>>();
  for (const [name, hook] of Object.entries(hooks)) {
    if ('for' in hook && typeof hook.for === 'function') {
      const keys = new Set<string>();
      mapKeys.set(name, keys);
      (hook as HookMap<AnyHook>).intercept({
        factory(key, created) {
          keys.add(String(key));
          guardHook(`${name}.for(${JSON.stringify(key)})`, created, origin);
          return created;
        },
      });
    } else {
      guardHook(name, hook as AnyHook, origin);
    }
  }
  return mapKeys;
}
