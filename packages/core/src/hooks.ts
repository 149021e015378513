import type { ParamsFormat } from '@tvc/params';
import type { RemoteStorage, RemoteStorageRequest } from '@tvc/remote';
import {
  AsyncSeriesBailHook,
  AsyncSeriesHook,
  AsyncSeriesWaterfallHook,
  HookMap,
  SyncBailHook,
  SyncHook,
} from 'tapable';
import type { CommandRegistry } from './commands';
import type { SourceLocation, TvcError } from './errors';
import type { Executor, ExecutorRequest } from './executor';
import type { Pipeline } from './pipeline';
import type { ReproResult, ReproRun, StageEvent, StageOutcome } from './repro';
import type { ExternalDependency, Stage } from './stage';
import type { HashProgress } from './workspace';

/** What repro imported again: the source as the user names it and the output, from the cwd. */
export interface ReimportedSource {
  readonly source: string;
  readonly output: string;
}

import type { YamlPath, YamlSource } from './yaml-source';

/**
 * Stage numbers order taps regardless of registration order: a user plugin (stage 0) is asked
 * before a built-in (100), which is asked before a fallback (1000).
 */
export const HOOK_STAGE = Object.freeze({ USER: 0, BUILTIN: 100, FALLBACK: 1000 });

/** A message from core for the user; the CLI decides how (and whether) to show it. */
export interface LogEvent {
  readonly level: 'debug' | 'info' | 'warn';
  readonly message: string;
  readonly location?: SourceLocation | undefined;
}

/** The question asked of `paramsFormat`: which format reads this file? */
export interface ParamsFormatRequest {
  /** The path as given (relative or absolute). */
  readonly path: string;
  /** The lower-case extension with its dot (`.toml`), or `''`. */
  readonly extension: string;
}

/** A file found while walking the repository. */
export interface PipelineFileRequest {
  /** Absolute path. */
  readonly absolute: string;
  /** Relative to the DVC root, with forward slashes. */
  readonly repoPath: string;
  readonly basename: string;
}

/** What a loader makes of one file. Problems are returned, not thrown, so all can be reported. */
export interface LoadedPipelineFile {
  readonly file: string;
  readonly kind: 'pipeline' | 'data';
  readonly stages: readonly Stage[];
  /** dvc.yaml's top-level `params`, `metrics`, `plots`, `artifacts` (when present). */
  readonly topLevel: Readonly<Record<string, unknown>>;
  readonly problems: readonly TvcError[];
}

/** Reads one kind of pipeline file (dvc.yaml, `.dvc`). */
export interface PipelineFileLoader {
  readonly name: string;
  load(request: PipelineFileRequest): Promise<LoadedPipelineFile>;
}

/** One stage entry of a dvc.yaml before it becomes a {@link Stage}: templating expands these. */
export interface StageDefinition {
  /** The stage's name; generated stages have `group@key` names. */
  readonly name: string;
  readonly definition: Readonly<Record<string, unknown>>;
  /** Where the entry sits in the file, for error locations. */
  readonly path: YamlPath;
  /** The name of the `foreach`/`matrix` group that generated this stage. */
  readonly group?: string | undefined;
  /** The params-file values its interpolation used: `{file: {dotted.key: value}}` (see {@link Stage.trackedVars}). */
  readonly trackedVars?: Readonly<Record<string, Readonly<Record<string, unknown>>>> | undefined;
}

/** The file whose definitions are being resolved. */
export interface DefinitionsContext {
  readonly source: YamlSource;
  readonly request: PipelineFileRequest;
  /** Add a problem instead of throwing, so that every problem of the file is reported. */
  readonly report: (problem: TvcError) => void;
  /**
   * The file's top-level `params`, `metrics`, `plots`, `artifacts` and `datasets` (those present):
   * a resolver may replace their values (DVC interpolates them too); the loader returns them.
   */
  readonly topLevel?: Record<string, unknown> | undefined;
}

/**
 * Answers for one kind of {@link ExternalDependency} (a URL scheme, repository imports). Nothing
 * here may fail for being offline: an unreachable URL is `'deleted'`, as in DVC, and a source
 * repository that cannot be reached is reported through `log` and left unchanged.
 */
export interface ExternalDependencyResolver {
  readonly name: string;
  /**
   * `''` when the dependency matches what was recorded (`recorded` is the `.dvc` file's or
   * dvc.lock's entry without `path`; `undefined` when nothing is recorded), else DVC's word:
   * `'modified'`, `'deleted'`, or `'update available'` for a repository import.
   */
  status(dep: ExternalDependency, recorded: Readonly<Record<string, unknown>> | undefined): Promise<string>;
  /** What DVC records for it in dvc.lock beside `path` (`hash`, `checksum` or `etag`, `size`). */
  info(dep: ExternalDependency): Promise<Record<string, unknown>>;
}

/** The hooks of a {@link Tvc}; plugins tap them, and only them. */
export type TvcHooks = Readonly<{
  /** Once, after every plugin has been applied. */
  initialize: SyncHook<[]>;
  /** Messages for the user (core never prints). */
  log: SyncHook<[LogEvent]>;
  /** Which format reads a params file: the first plugin that returns one wins. */
  paramsFormat: SyncBailHook<[ParamsFormatRequest], ParamsFormat | undefined>;
  /** Executors by name (`local`, `temp`, `parallel`, …). */
  executor: HookMap<SyncBailHook<[ExecutorRequest], Executor | undefined>>;
  /** Plugins add CLI commands to the registry. */
  commands: SyncHook<[CommandRegistry]>;
  /** Which loader reads a file found in the repository (dvc.yaml, `.dvc`); none means not a pipeline file. */
  pipelineFileLoader: SyncBailHook<[PipelineFileRequest], PipelineFileLoader | undefined>;
  /**
   * Transforms a dvc.yaml's stage definitions before they are built: templating (`vars`, `${…}`,
   * `foreach`, `matrix`) expands here. Async, since vars files are read through the params formats.
   */
  resolveDefinitions: AsyncSeriesWaterfallHook<[StageDefinition[], DefinitionsContext]>;
  /** Which resolver checks an external dependency (a URL, an import from another repository). */
  externalDependency: SyncBailHook<[ExternalDependency], ExternalDependencyResolver | undefined>;
  /**
   * Opens a remote storage, keyed by the URL's scheme (`local` for a filesystem path, `s3`, `ssh`,
   * `http`, `https`, …): the remote plugins tap `remoteStorage.for(scheme)`; the first to return a
   * storage serves it. Async so that a plugin can load its SDK only when its scheme is used.
   */
  remoteStorage: HookMap<AsyncSeriesBailHook<[RemoteStorageRequest], RemoteStorage | undefined>>;
  /** After the whole pipeline is loaded and checked. */
  pipelineLoaded: SyncHook<[Pipeline]>;
  /** A reproduction is about to start, with its plan. */
  beforeRepro: AsyncSeriesHook<[ReproRun]>;
  /** A stage is about to run its commands (also in a dry run). */
  stageStart: AsyncSeriesHook<[StageEvent]>;
  /** One of the stage's commands starts (DVC prints `> command`). */
  stageCommand: SyncHook<[StageEvent, string]>;
  /** Output of a running stage's command. */
  stageOutput: SyncHook<[StageEvent, Buffer, 'stdout' | 'stderr']>;
  /** A stage did not change and is skipped. */
  stageSkipped: AsyncSeriesHook<[StageEvent]>;
  /** A stage's outputs are restored from the cache instead of running it. */
  stageCached: AsyncSeriesHook<[StageEvent]>;
  /** A data source (`.dvc` file) or frozen stage is verified instead of run. */
  stageVerify: AsyncSeriesHook<[StageEvent]>;
  /**
   * An import (`.dvc` file with dependencies) that is not frozen and whose source changed, in
   * `repro`: a plugin (the imports) fetches it again — in a dry run only says what it would
   * import — and returns its source and output; none: the stage is verified as a data source.
   */
  reimport: AsyncSeriesBailHook<[StageEvent, boolean], ReimportedSource | undefined>;
  /** An import is fetched again by repro (also in a dry run): DVC's `Importing 'source' -> 'out'`. */
  stageImport: SyncHook<[StageEvent, ReimportedSource]>;
  /** A stage finished: ran, restored, verified, skipped or dry-run. */
  stageDone: AsyncSeriesHook<[StageEvent, StageOutcome]>;
  /** A stage failed (its command, or a missing dependency or output). */
  stageFailed: SyncHook<[StageEvent, TvcError]>;
  /** A lock file was written (`created` when it did not exist). */
  lockWritten: SyncHook<[{ readonly file: string; readonly created: boolean }]>;
  /** Hashing progress, for long hashes. */
  hashProgress: SyncHook<[HashProgress]>;
  /** The reproduction ended (also when stages failed). */
  afterRepro: AsyncSeriesHook<[ReproRun, ReproResult]>;
  /** Before the process exits: close what plugins opened. */
  shutdown: AsyncSeriesHook<[]>;
}>;

export function createHooks(): TvcHooks {
  return Object.freeze({
    initialize: new SyncHook<[]>([]),
    log: new SyncHook<[LogEvent]>(['event']),
    paramsFormat: new SyncBailHook<[ParamsFormatRequest], ParamsFormat | undefined>(['request']),
    executor: new HookMap(() => new SyncBailHook<[ExecutorRequest], Executor | undefined>(['request'])),
    commands: new SyncHook<[CommandRegistry]>(['registry']),
    pipelineFileLoader: new SyncBailHook<[PipelineFileRequest], PipelineFileLoader | undefined>(['request']),
    resolveDefinitions: new AsyncSeriesWaterfallHook<[StageDefinition[], DefinitionsContext]>([
      'definitions',
      'context',
    ]),
    externalDependency: new SyncBailHook<[ExternalDependency], ExternalDependencyResolver | undefined>([
      'dependency',
    ]),
    remoteStorage: new HookMap(
      () => new AsyncSeriesBailHook<[RemoteStorageRequest], RemoteStorage | undefined>(['request']),
    ),
    pipelineLoaded: new SyncHook<[Pipeline]>(['pipeline']),
    beforeRepro: new AsyncSeriesHook<[ReproRun]>(['run']),
    stageStart: new AsyncSeriesHook<[StageEvent]>(['event']),
    stageCommand: new SyncHook<[StageEvent, string]>(['event', 'command']),
    stageOutput: new SyncHook<[StageEvent, Buffer, 'stdout' | 'stderr']>(['event', 'chunk', 'stream']),
    stageSkipped: new AsyncSeriesHook<[StageEvent]>(['event']),
    stageCached: new AsyncSeriesHook<[StageEvent]>(['event']),
    stageVerify: new AsyncSeriesHook<[StageEvent]>(['event']),
    reimport: new AsyncSeriesBailHook<[StageEvent, boolean], ReimportedSource | undefined>(['event', 'dry']),
    stageImport: new SyncHook<[StageEvent, ReimportedSource]>(['event', 'imported']),
    stageDone: new AsyncSeriesHook<[StageEvent, StageOutcome]>(['event', 'outcome']),
    stageFailed: new SyncHook<[StageEvent, TvcError]>(['event', 'error']),
    lockWritten: new SyncHook<[{ readonly file: string; readonly created: boolean }]>(['lock']),
    hashProgress: new SyncHook<[HashProgress]>(['progress']),
    afterRepro: new AsyncSeriesHook<[ReproRun, ReproResult]>(['run', 'result']),
    shutdown: new AsyncSeriesHook<[]>([]),
  });
}
