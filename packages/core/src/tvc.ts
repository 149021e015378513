import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type ParamsFormat, ParamsSyntaxError, type ParamsTree } from '@tvc/params';
import { CommandRegistry, type CommandSpec } from './commands';
import { type LoadedConfig, loadConfig, resolvePlugin, type TvcConfig } from './config';
import { DvcIgnore } from './dvcignore';
import { PluginError, TvcError, throwIfProblems } from './errors';
import type { Executor } from './executor';
import { GitIgnoreRules } from './gitignore';
import {
  createHooks,
  type LoadedPipelineFile,
  type PipelineFileLoader,
  type PipelineFileRequest,
  type TvcHooks,
} from './hooks';
import { withStackGuard } from './input-limits';
import { PARSED_CACHE_DIRECTORY, ParsedValueCache } from './parsed-cache';
import { findUp } from './paths';
import { Pipeline } from './pipeline';
import { guardHooks, type PluginSpec, type Preset, pluginName, type TvcPlugin } from './plugin';
import { defaultPreset } from './preset';
import { decodeUtf8 } from './text-decode';
import { walkPipelineFiles } from './walk';

export interface TvcOptions {
  /** Where the user is; targets and addressing are relative to it. Default: `process.cwd()`. */
  readonly cwd?: string;
  /** The DVC root; found from `cwd` (the nearest directory holding `.dvc/`) when absent. */
  readonly root?: string;
  /** Plugins applied before the config's, e.g. by a test or an embedding program. */
  readonly plugins?: readonly PluginSpec[];
  /** Use this config instead of searching for one. */
  readonly config?: LoadedConfig;
  /**
   * Presets applied after the plugins. Default: core's own preset only (the pipeline loaders and
   * templating, no params format or executor); pass `builtinPreset` of `@tvc/preset-default`, or
   * open with its `openTvc`, for everything the `tvc` CLI has.
   */
  readonly presets?: readonly Preset[];
  /**
   * Keep the values of parsed dvc.yaml and dvc.lock files in `.dvc/tmp/tvc-parsed/` for the next
   * process (the CLI does: a no-op `status` then parses no YAML). Default: `false`, in memory
   * only, so that opening a repository and loading its pipeline writes nothing into it.
   */
  readonly cacheParsedFiles?: boolean;
  /**
   * The root of the repository this one is a copy of (an experiment's temporary or queued
   * workspace); see {@link Tvc.originalRoot}. Set by {@link Tvc.openAt}.
   */
  readonly originalRoot?: string;
}

/** A plugin once applied, for `tvc plugins` and error messages. */
export interface LoadPipelineOptions {
  /** Overlapping outputs are not an error (see {@link Tvc.loadPipeline}). */
  readonly tolerateOverlaps?: boolean | undefined;
}

export interface AppliedPlugin {
  readonly name: string;
  readonly source: 'option' | 'config' | 'preset';
  readonly preset?: string;
}

/**
 * One repository's tvc: its root, config, plugins and the frozen {@link TvcHooks} they tap.
 * Create it with {@link Tvc.open}, which applies the plugins in order: the caller's, the
 * config's, then the presets' built-ins, then `initialize`.
 */
export class Tvc {
  readonly root: string;
  readonly cwd: string;
  /** The git work tree holding the repository, when there is one. */
  readonly scmRoot: string | undefined;
  readonly hooks: TvcHooks;
  readonly configFile: string | undefined;
  /**
   * The repository the user works in: `root` itself, except in an experiment's copy (`exp run
   * --temp`, `--queue`), where it is the original repository's root. A hook that reads files the
   * experiment does not commit (a plugin's own settings, a credentials file) reads them here.
   */
  readonly originalRoot: string;
  /** The project's tvc config (`tvc.config.*`), as read. */
  readonly config: TvcConfig;
  /** Values of parsed dvc.yaml and dvc.lock files by the digest of their text. */
  readonly parsedValues: ParsedValueCache;
  readonly #plugins: AppliedPlugin[] = [];
  #openOptions: TvcOptions = {};
  #config: LoadedConfig = { config: {}, filepath: undefined };
  readonly #hookMapKeys: Map<string, Set<string>>;
  /** The config file of the plugin being applied, and of each tap's plugin (for error locations). */
  #applying: string | undefined;
  readonly #tapConfigFiles = new Map<string, string>();

  private constructor(
    root: string,
    cwd: string,
    configFile: string | undefined,
    options: TvcOptions,
    config: TvcConfig = {},
  ) {
    this.root = root;
    this.config = config;
    this.cwd = cwd;
    this.scmRoot = findUp(root, '.git');
    this.configFile = configFile;
    this.originalRoot = options.originalRoot ? path.resolve(options.originalRoot) : root;
    this.parsedValues = new ParsedValueCache(
      options.cacheParsedFiles ? path.join(root, PARSED_CACHE_DIRECTORY) : undefined,
    );
    this.hooks = createHooks();
    this.#hookMapKeys = guardHooks(this.hooks as unknown as Parameters<typeof guardHooks>[0], (tap) => {
      if (this.#applying !== undefined) this.#tapConfigFiles.set(tap, this.#applying);
      return this.#applying ?? this.#tapConfigFiles.get(tap);
    });
  }

  /** Finds the DVC root from `cwd` (or takes `root`), or throws `NOT_A_DVC_REPO`. */
  static findRoot(cwd: string): string {
    const root = findUp(cwd, '.dvc');
    if (!root) {
      throw new TvcError(
        'NOT_A_DVC_REPO',
        `you are not inside of a DVC repository (checked up to mount point '${path.parse(path.resolve(cwd)).root}')`,
        {
          hint: 'run `tvc init` in a git repository first',
        },
      );
    }
    return root;
  }

  static async open(options: TvcOptions = {}): Promise<Tvc> {
    const cwd = path.resolve(options.cwd ?? process.cwd());
    const root = path.resolve(options.root ?? Tvc.findRoot(cwd));
    const loaded = options.config ?? (await loadConfig(root));
    const tvc = new Tvc(root, cwd, loaded.filepath, options, loaded.config);
    tvc.#config = loaded;
    tvc.#openOptions = options;
    const configDir = loaded.filepath ? path.dirname(loaded.filepath) : root;
    for (const spec of options.plugins ?? []) {
      tvc.apply(await resolvePlugin(spec, configDir, undefined), 'option');
    }
    const fromOriginal = loaded.filepath && path.relative(options.originalRoot ?? root, loaded.filepath);
    const configFile =
      fromOriginal && !fromOriginal.startsWith('..') && !path.isAbsolute(fromOriginal)
        ? fromOriginal
        : loaded.filepath;
    for (const spec of loaded.config.plugins ?? []) {
      tvc.apply(await resolvePlugin(spec, configDir, configFile), 'config', undefined, configFile);
    }
    for (const preset of options.presets ?? [defaultPreset]) {
      for (const plugin of preset.plugins) tvc.apply(plugin, 'preset', preset.name);
    }
    tvc.hooks.initialize.call();
    return tvc;
  }

  /**
   * The same project opened at another root (a copy of it: an experiment's temporary workspace, a
   * revision's snapshot), with the plugins, presets and tvc config this one was opened with: the
   * config's relative plugin paths still resolve against the original repository, and a config
   * that is not committed still applies. Its {@link Tvc.originalRoot} is this one's.
   */
  openAt(root: string, cwd: string = root): Promise<Tvc> {
    return Tvc.open({
      ...this.#openOptions,
      config: this.#config,
      root,
      cwd,
      originalRoot: this.originalRoot,
    });
  }

  /** Whether `Tvc.open` was given presets (the hint of a missing params format depends on it). */
  get hasPresets(): boolean {
    return this.#openOptions.presets !== undefined;
  }

  /**
   * Applies one plugin now; a throwing `apply` is reported with the plugin's name (and
   * `configFile`, the config that named it, where its taps' failures are located too).
   */
  apply(
    plugin: TvcPlugin,
    source: AppliedPlugin['source'] = 'option',
    preset?: string,
    configFile?: string,
  ): void {
    const name = pluginName(plugin);
    if (configFile !== undefined) this.#tapConfigFiles.set(name, configFile);
    this.#applying = configFile;
    try {
      if (typeof plugin === 'function') plugin(this);
      else plugin.apply(this);
    } catch (error) {
      throw error instanceof PluginError ? error : new PluginError(name, 'apply', error, configFile);
    } finally {
      this.#applying = undefined;
    }
    this.#plugins.push(preset ? { name, source, preset } : { name, source });
  }

  /** The tvc config that named a plugin (by its name or the name of one of its taps), if any. */
  pluginConfigFile(name: string): string | undefined {
    return this.#tapConfigFiles.get(name);
  }

  /** The plugins applied, in order. */
  get plugins(): readonly AppliedPlugin[] {
    return this.#plugins;
  }

  /** Which plugins tapped which hook (and which keys a HookMap has), for `tvc plugins`. */
  describeHooks(): { hook: string; taps: string[] }[] {
    const result: { hook: string; taps: string[] }[] = [];
    for (const [name, hook] of Object.entries(this.hooks)) {
      const keys = this.#hookMapKeys.get(name);
      if (keys) {
        for (const key of [...keys].sort()) {
          const inner = (hook as { get(key: string): { taps: { name: string }[] } | undefined }).get(key);
          result.push({ hook: `${name}.for('${key}')`, taps: inner?.taps.map((tap) => tap.name) ?? [] });
        }
      } else {
        result.push({ hook: name, taps: (hook as { taps: { name: string }[] }).taps.map((tap) => tap.name) });
      }
    }
    return result;
  }

  /** The format that reads `file` (by the `paramsFormat` hook), or an error naming the file. */
  paramsFormat(file: string): ParamsFormat {
    const extension = path.extname(file).toLowerCase();
    const format = this.hooks.paramsFormat.call({ path: file, extension });
    if (!format) {
      throw new TvcError('PARAMS_FORMAT_UNKNOWN', `no params format reads '${file}'`, {
        hint: this.hasPresets
          ? 'add a params-format plugin for this kind of file to the tvc config'
          : "Tvc.open was given no preset, so no params format is loaded: open the repository with openTvc() of '@tvc/preset-default' (or pass presets: [builtinPreset])",
      });
    }
    return format;
  }

  /** Reads a params file (relative to the cwd, or absolute) through its format. */
  async readParams(file: string): Promise<ParamsTree> {
    const absolute = path.resolve(this.cwd, file);
    const display = path.relative(this.cwd, absolute) || file;
    const format = this.paramsFormat(absolute);
    await format.prepare?.();
    let bytes: Buffer;
    try {
      bytes = await readFile(absolute);
    } catch (error) {
      throw new TvcError(
        'PARAMS_FILE_MISSING',
        `cannot read params file '${display}': ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const text = decodeUtf8(bytes, display);
    try {
      return withStackGuard(display, () => format.read(text, display));
    } catch (error) {
      if (error instanceof ParamsSyntaxError) {
        throw new TvcError('PARAMS_SYNTAX', error.message, {
          location: { file: display, line: error.line, column: error.column },
          cause: error,
        });
      }
      throw error;
    }
  }

  /** The executor registered under `name`, or an error listing the ones there are. */
  executor(name: string, options: Record<string, unknown> = {}): Executor {
    const executor = this.hooks.executor.get(name)?.call({ name, options });
    if (!executor) {
      const known = [...(this.#hookMapKeys.get('executor') ?? [])].filter(
        (key) => this.hooks.executor.get(key)?.taps.length,
      );
      throw new TvcError('EXECUTOR_UNKNOWN', `no executor named '${name}'`, {
        hint:
          known.length > 0
            ? `available executors: ${known.sort().join(', ')}`
            : 'no executor plugin is loaded',
      });
    }
    return executor;
  }

  /** The CLI commands plugins contribute. */
  commands(): (CommandSpec & { readonly plugin: string })[] {
    const registry = new CommandRegistry();
    this.hooks.commands.call(registry);
    return registry.list();
  }

  /** Whether a file of the repository is a pipeline file a loader reads, and which loader. */
  loaderFor(request: PipelineFileRequest): PipelineFileLoader | undefined {
    return this.hooks.pipelineFileLoader.call(request);
  }

  /**
   * Loads every pipeline file of the repository and builds the {@link Pipeline}. With
   * `tolerateOverlaps`, outputs that overlap are not an error (the first one found produces the
   * path): DVC checks them only where it builds its graph (`dag`, `repro`), not in `status` or
   * `stage list`. Every problem of
   * every file is collected and thrown together (a `TvcErrorList` when there are several).
   */
  async loadPipeline(options: LoadPipelineOptions = {}): Promise<Pipeline> {
    const loaders = new Map<string, PipelineFileLoader>();
    const loaded: LoadedPipelineFile[] = [];
    await walkPipelineFiles(this.root, {
      dvcignore: new DvcIgnore(this.root),
      gitignore: this.scmRoot ? new GitIgnoreRules(this.scmRoot) : undefined,
      accept: (file) => {
        const loader = this.loaderFor(file);
        if (loader) loaders.set(file.repoPath, loader);
        return loader !== undefined;
      },
      load: async (files) => {
        const results = await Promise.all(files.map((file) => loaders.get(file.repoPath)!.load(file)));
        loaded.push(...results);
        return results.flatMap((result) =>
          result.stages.flatMap((stage) => stage.outs.map((output) => output.absolute)),
        );
      },
    });
    const problems = loaded.flatMap((file) => file.problems);
    throwIfProblems(problems);
    const { pipeline, problems: graphProblems } = Pipeline.build(this.root, loaded);
    throwIfProblems(
      options.tolerateOverlaps
        ? graphProblems.filter((problem) => problem.code !== 'OVERLAPPING_OUTPUTS')
        : graphProblems,
    );
    this.hooks.pipelineLoaded.call(pipeline);
    return pipeline;
  }
}
