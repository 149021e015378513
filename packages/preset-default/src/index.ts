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
import { RemoteError, type RemoteStorage, type RemoteStorageRequest } from '@tvc/remote';

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

type StorageTap = (
  request: RemoteStorageRequest,
) => Promise<RemoteStorage | undefined> | RemoteStorage | undefined;

/**
 * A remote storage plugin whose package is imported when a remote of its scheme is first opened
 * (the S3 and SSH SDKs cost start-up time every other command should not pay). On first use the
 * real plugin is applied to a stand-in that collects its `remoteStorage` taps, which then serve
 * every request; a package that is not installed is reported as an unsupported scheme.
 */
class LazyRemotePlugin {
  readonly name: string;
  readonly #schemes: readonly string[];
  readonly #load: () => Promise<{ apply(tvc: Tvc): void }>;
  readonly #packageName: string;

  constructor(
    name: string,
    schemes: readonly string[],
    packageName: string,
    load: () => Promise<{ apply(tvc: Tvc): void }>,
  ) {
    this.name = name;
    this.#schemes = schemes;
    this.#packageName = packageName;
    this.#load = load;
  }

  apply(tvc: Tvc): void {
    let taps: Promise<Map<string, StorageTap[]>> | undefined;
    const load = (): Promise<Map<string, StorageTap[]>> => {
      taps ??= this.#load().then((plugin) => {
        const collected = new Map<string, StorageTap[]>();
        const hookFor = (scheme: string) => {
          const add = (_options: unknown, tap: StorageTap) => {
            collected.set(scheme, [...(collected.get(scheme) ?? []), tap]);
          };
          return { tap: add, tapPromise: add, tapAsync: add };
        };
        const stand = Object.create(tvc, {
          hooks: { value: { ...tvc.hooks, remoteStorage: { for: hookFor } } },
        }) as Tvc;
        plugin.apply(stand);
        return collected;
      });
      return taps;
    };
    for (const scheme of this.#schemes) {
      tvc.hooks.remoteStorage
        .for(scheme)
        .tapPromise({ name: this.name, stage: HOOK_STAGE.BUILTIN }, async (request) => {
          let collected: Map<string, StorageTap[]>;
          try {
            collected = await load();
          } catch (error) {
            taps = undefined;
            throw new RemoteError(
              'UNSUPPORTED',
              `the '${scheme}' remote needs the ${this.#packageName} plugin`,
              {
                hint: `install ${this.#packageName} beside tvc`,
                cause: error,
              },
            );
          }
          for (const tap of collected.get(scheme) ?? []) {
            const storage = await tap(request);
            if (storage) return storage;
          }
          return undefined;
        });
    }
  }
}

/** Imports a package by a name the bundler and type checker do not follow (an optional plugin). */
function importOptional(name: string): Promise<Record<string, unknown>> {
  return import(/* @vite-ignore */ name) as Promise<Record<string, unknown>>;
}

function remotePlugin(packageName: string, exportName: string) {
  return async () => {
    const module = await importOptional(packageName);
    const Plugin = module[exportName] as (new () => { apply(tvc: Tvc): void }) | undefined;
    if (typeof Plugin !== 'function') throw new Error(`${packageName} has no ${exportName}`);
    return new Plugin();
  };
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
  new LazyRemotePlugin('tvc:remote-local', ['local'], '@tvc/remote-local', async () => {
    const { LocalRemotePlugin } = await import('@tvc/remote-local');
    return new LocalRemotePlugin();
  }),
  new LazyRemotePlugin(
    'tvc:remote-s3',
    ['s3'],
    '@tvc/remote-s3',
    remotePlugin('@tvc/remote-s3', 'S3RemotePlugin'),
  ),
  new LazyRemotePlugin(
    'tvc:remote-ssh',
    ['ssh'],
    '@tvc/remote-ssh',
    remotePlugin('@tvc/remote-ssh', 'SshRemotePlugin'),
  ),
  new LazyRemotePlugin(
    'tvc:remote-http',
    ['http', 'https'],
    '@tvc/remote-http',
    remotePlugin('@tvc/remote-http', 'HttpRemotePlugin'),
  ),
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
