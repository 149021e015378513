import {
  defaultPreset,
  type Executor,
  type ExternalDependency,
  type ExternalDependencyResolver,
  extendPreset,
  HOOK_STAGE,
  type Preset,
  Tvc,
  type TvcOptions,
} from '@tvc/core';
import { LocalExecutorPlugin } from '@tvc/executor-local';
import type { ParamsFormat } from '@tvc/params';
import { JsonParamsPlugin } from '@tvc/params-json';
import { YamlParamsPlugin } from '@tvc/params-yaml';

/**
 * A params format whose package (and parser) is imported on first use: TOML and Python parsers
 * cost ~25 ms at start-up, which a project without such files should not pay. It taps the same
 * hook with the same name as the real plugin.
 */
class LazyParamsPlugin {
  readonly name: string;
  readonly #format: ParamsFormat;

  constructor(
    name: string,
    formatName: string,
    extensions: readonly string[],
    load: () => Promise<ParamsFormat>,
  ) {
    this.name = name;
    let real: ParamsFormat | undefined;
    const loaded = (): ParamsFormat => {
      if (!real) throw new Error(`params format '${formatName}' was used before prepare()`);
      return real;
    };
    this.#format = {
      specificationVersion: 'v1',
      name: formatName,
      extensions,
      prepare: async () => {
        real ??= await load();
        await real.prepare?.();
      },
      read: (text, file) => loaded().read(text, file),
      write: (text, edits, file) => loaded().write(text, edits, file),
    };
  }

  apply(tvc: Tvc): void {
    const format = this.#format;
    tvc.hooks.paramsFormat.tap({ name: this.name, stage: HOOK_STAGE.BUILTIN }, (request) =>
      format.extensions.includes(request.extension) ? format : undefined,
    );
  }
}

/**
 * An executor whose package is imported when it is first used: the temp and parallel executors
 * pull in git and the experiments package, which a `status` or `repro` should not load. It taps the
 * executor hook under the same name as the real plugin, and forwards every call.
 */
class LazyExecutorPlugin {
  readonly name: string;
  readonly #executorName: string;
  readonly #capabilities: readonly string[];
  readonly #load: (tvc: Tvc) => Promise<Executor>;

  constructor(
    name: string,
    executorName: string,
    capabilities: readonly string[],
    load: (tvc: Tvc) => Promise<Executor>,
  ) {
    this.name = name;
    this.#executorName = executorName;
    this.#capabilities = capabilities;
    this.#load = load;
  }

  apply(tvc: Tvc): void {
    let real: Promise<Executor> | undefined;
    const load = () => {
      real ??= this.#load(tvc);
      return real;
    };
    const executor: Executor = {
      specificationVersion: 'v1',
      name: this.#executorName,
      supports: (capability) => this.#capabilities.includes(capability),
      run: async (task, context) => (await load()).run(task, context),
      runExperiment: async (task, context) => {
        const loaded = await load();
        if (!loaded.runExperiment)
          throw new Error(`the '${this.#executorName}' executor cannot run experiments`);
        return loaded.runExperiment(task, context);
      },
      runMany: async (source, options) => {
        const loaded = await load();
        if (!loaded.runMany) throw new Error(`the '${this.#executorName}' executor has no pool`);
        return loaded.runMany(source, options);
      },
    };
    tvc.hooks.executor
      .for(this.#executorName)
      .tap({ name: this.name, stage: HOOK_STAGE.BUILTIN }, () => executor);
  }
}

/**
 * The resolvers of @tvc/imports (http(s) URLs and repository imports), with the package imported
 * only when a pipeline has such a dependency: most pipelines have none.
 */
class LazyImportsPlugin {
  readonly name = 'tvc:imports';

  apply(tvc: Tvc): void {
    let real: Promise<(dep: ExternalDependency) => ExternalDependencyResolver | undefined> | undefined;
    const load = () => {
      real ??= import('@tvc/imports').then(({ httpResolver, repoResolver }) => {
        const repo = repoResolver(tvc);
        return (dep: ExternalDependency) => (dep.type === 'repo' ? repo : httpResolver);
      });
      return real;
    };
    tvc.hooks.externalDependency.tap({ name: this.name, stage: HOOK_STAGE.BUILTIN }, (dep) => {
      if (dep.type === 'url' && dep.scheme !== 'http' && dep.scheme !== 'https') return undefined;
      return {
        name: dep.type,
        status: async (target, recorded) => (await load())(target)!.status(target, recorded),
        info: async (target) => (await load())(target)!.info(target),
      };
    });
    // repro of an unfrozen import whose source changed: imported again
    tvc.hooks.reimport.tapPromise({ name: this.name, stage: HOOK_STAGE.BUILTIN }, async (event, dry) =>
      (await import('@tvc/imports')).reimportStage(tvc, event.stage, dry),
    );
  }
}

/**
 * Every built-in plugin: core's pipeline loaders, then the params formats and executors that
 * live in their own packages. They register through the same hooks a third party uses.
 */
export const builtinPreset: Preset = extendPreset(defaultPreset, 'tvc:builtin', [
  new YamlParamsPlugin(),
  new JsonParamsPlugin(),
  new LazyParamsPlugin(
    'tvc:params-python',
    'python',
    ['.py'],
    async () => (await import('@tvc/params-python')).pythonParamsFormat,
  ),
  new LazyParamsPlugin(
    'tvc:params-toml',
    'toml',
    ['.toml'],
    async () => (await import('@tvc/params-toml')).tomlParamsFormat,
  ),
  new LocalExecutorPlugin(),
  new LazyImportsPlugin(),
  new LazyExecutorPlugin(
    'tvc:executor-temp',
    'temp',
    ['experiments', 'commands'],
    async (tvc) => new (await import('@tvc/executor-temp')).TempExecutor(tvc),
  ),
  new LazyExecutorPlugin(
    'tvc:executor-parallel',
    'parallel',
    ['experiments', 'pool'],
    async (tvc) => new (await import('@tvc/executor-parallel')).ParallelExecutor(tvc),
  ),
]);

/** Opens a repository with the built-in preset (what the `tvc` CLI does). */
export function openTvc(options: Omit<TvcOptions, 'presets'> = {}): Promise<Tvc> {
  return Tvc.open({ ...options, presets: [builtinPreset] });
}
