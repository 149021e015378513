// The contracts a plugin implements, so that a plugin depends on @tvc/core alone.
export type { ParamsEdit, ParamsFormat, ParamsTextEditor, ParamsTree, ParamsValue } from '@tvc/params';
export { ParamsSyntaxError, PythonFloat, writeEdits } from '@tvc/params';
export type {
  RemoteErrorCode,
  RemoteErrorOptions,
  RemoteStorage,
  RemoteStorageFactory,
  RemoteStorageRequest,
  TransferOptions,
} from '@tvc/remote';
export { REMOTE_STORAGE_SPECIFICATION_VERSION, RemoteError } from '@tvc/remote';
export { writeFileAtomic } from './atomic-write';
export type { CheckoutResult } from './checkout';
export { checkoutRecorded } from './checkout';
export type { CheckpointWatch } from './checkpoint-signal';
export {
  CHECKPOINT_ENV_FILE,
  CHECKPOINT_ENV_FLAG,
  CHECKPOINT_ENV_PID,
  CHECKPOINT_POLL_MS,
  CHECKPOINT_SIGNAL_FILE,
  checkpointSignalPath,
  watchCheckpoints,
} from './checkpoint-signal';
export type { CommandArgument, CommandInvocation, CommandIo, CommandOption, CommandSpec } from './commands';
export { CommandRegistry } from './commands';
export type { LoadedConfig, TvcConfig } from './config';
export { loadConfig } from './config';
export type { DvcConfig } from './dvc-config';
export { configFlag, configProblem, configValue, readDvcConfig } from './dvc-config';
export type { DvcYamlDumpOptions, DvcYamlSource } from './dvc-yaml';
export { dumpDvcYaml, dvcYamlValue, fastDvcYamlValue, parseDvcYaml, resolvePlainScalarTag } from './dvc-yaml';
export { DvcIgnore } from './dvcignore';
export type { SourceLocation, TvcErrorOptions } from './errors';
export {
  formatLocation,
  InternalError,
  PluginError,
  TvcError,
  TvcErrorList,
  throwIfProblems,
} from './errors';
export type {
  Executor,
  ExecutorContext,
  ExecutorRequest,
  ExecutorResult,
  ExecutorTask,
  ExperimentCheckpointStart,
  ExperimentContext,
  ExperimentOutcome,
  ExperimentReproOptions,
  ExperimentSource,
  ExperimentTask,
} from './executor';
export type { GitignoreOptions } from './gitignore';
export { addToGitignore, GitIgnoreRules, gitignoreEntry, removeFromGitignore } from './gitignore';
export { DependencyGraph } from './graph';
export type {
  DefinitionsContext,
  ExternalDependencyResolver,
  LoadedPipelineFile,
  LogEvent,
  ParamsFormatRequest,
  PipelineFileLoader,
  PipelineFileRequest,
  ReimportedSource,
  StageDefinition,
  TvcHooks,
} from './hooks';
export { createHooks, HOOK_STAGE } from './hooks';
export {
  isStackOverflow,
  lineColumn,
  MAX_ALIAS_NODES,
  MAX_NESTING,
  nestingError,
  nestingProblem,
  sharedExpansion,
  withStackGuard,
  yamlCharacterProblem,
} from './input-limits';
export {
  DATA_FILE_SUFFIX,
  DEFAULT_PARAMS_FILE,
  loadDataFile,
  loadPipelineFile,
  PIPELINE_FILE,
  PipelineFilesPlugin,
  stageAddressing,
} from './loaders';
export type { LockEntry, LockItem } from './lockfile';
export {
  isLegacyLockItem,
  LockFile,
  lockEntryData,
  readLockEntry,
  toLockEntry,
} from './lockfile';
export type { GatherMetricsOptions } from './metrics-show';
export {
  collectMetricsFiles,
  extractMetrics,
  gatherMetrics,
  MetricsReadError,
  readMetricsText,
  revisionError,
} from './metrics-show';
export type { CachedOutputRef } from './output-files';
export { DirectoryUnavailableError, OutputFileMissingError, OutputFiles } from './output-files';
export type { ProducedOutput } from './output-trie';
export { OutputTrie } from './output-trie';
export type { GatherParamsOptions, ParamsFileKeys } from './params-show';
export {
  collectParamsFiles,
  gatherParams,
  mergeParamsFileKeys,
  notAGitRepository,
  trackedVars,
} from './params-show';
export type { ResolvedPath } from './paths';
export {
  findUp,
  isContainedRepoPath,
  isPathPrefix,
  isWithin,
  isWithinReal,
  realPathOfExisting,
  repoFsName,
  resolvePath,
  toPosix,
} from './paths';
export { Pipeline } from './pipeline';
export type { PluginSpec, Preset, TvcPlugin, TvcPluginFunction, TvcPluginObject } from './plugin';
export { pluginName } from './plugin';
export { defaultPreset, extendPreset } from './preset';
export {
  processesWithEnv,
  processGroup,
  processStartTime,
  processTree,
  signalAll,
} from './process-tree';
export { processAlive, REPO_LOCK_FILE, RepoLock } from './repo-lock';
export type {
  CommitStagesResult,
  ReproOptions,
  ReproResult,
  ReproRun,
  StageEvent,
  StageOutcome,
} from './repro';
export { commitStages, joinNames, planRepro, reproduce, StageFailedError } from './repro';
export type { GitTreeEntry, OpenSnapshotTvc, SnapshotOptions } from './revision';
export {
  DEFAULT_PARAMS_SIZE_LIMIT,
  GitRevisionReader,
  isRevisionFile,
  parseLsTree,
  RevisionSnapshot,
  withRevisionTvc,
} from './revision';
export type { RunCacheStage } from './run-cache';
export { canUseRunCache, RunCache, runCacheKey, runCacheValue } from './run-cache';
export type { RunningRecord, StaleRun } from './running-stages';
export {
  clearRunning,
  describeStaleRun,
  RUNNING_DIR,
  recordRunning,
  staleRuns,
} from './running-stages';
export { suggest } from './schema';
export type { ParamsFileChange, PlannedParamsFile, SetParamsResult } from './set-params';
export { planParams, setParams } from './set-params';
export type {
  ExternalDependency,
  OutputKind,
  RepoDependency,
  RepoSource,
  Stage,
  StageKind,
  StageOutput,
  StageParams,
  StagePath,
  UrlDependency,
} from './stage';
export {
  dataFileMd5,
  externalLabel,
  isImportStage,
  isLoadableStageName,
  isRepoImport,
  isValidStageName,
  stageCommands,
  urlScheme,
} from './stage';
export type { StageOutputSpec, StageSpec, StageWriteOptions, StageWriteResult } from './stage-writer';
export { addStageToText, checkStageSpec, parseParamsOptions, stageOutputs } from './stage-writer';
export type { StageStatus } from './status';
export {
  dvcStatusEntry,
  isCallbackStage,
  isChanged,
  isCheckpointStage,
  LOCK_FILE,
  lockItem,
  needsRun,
  StatusChecker,
} from './status';
export type { TargetOptions } from './targets';
export { resolveTarget, resolveTargets } from './targets';
export type { DictExpansionConfig } from './templating/format';
export { expandDict, shellQuote, toText } from './templating/format';
export { readParsingConfig, TemplatingPlugin } from './templating/plugin';
export { FileResolver, needsResolution, TEMPLATING_ERROR } from './templating/resolver';
export { decodeUtf8, NotUtf8Error, readUtf8File } from './text-decode';
export type { AppliedPlugin, LoadPipelineOptions, TvcOptions } from './tvc';
export { Tvc } from './tvc';
export type { FoundFile, WalkOptions } from './walk';
export { walkPipelineFiles } from './walk';
export type { HashProgress } from './workspace';
export { MEMO_FILE, Workspace } from './workspace';
export { isAlias, isMap, isPair, isScalar, isSeq, yaml } from './yaml-lib';
export type { YamlPath, YamlSource } from './yaml-source';
export { locate, parseYamlSource } from './yaml-source';
