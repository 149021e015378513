export type {
  CheckpointRecorderOptions,
  CheckpointStart,
  CheckpointStartOptions,
  LastCheckpoint,
} from './checkpoint';
export {
  CheckpointRecorder,
  checkpointChain,
  checkpointStart,
  forgetLastCheckpoint,
  hasCheckpoints,
  LAST_CHECKPOINT_FILE,
  readLastCheckpoint,
  removeCheckpointOutputs,
  resolveExperimentOrCheckpoint,
  writeLastCheckpoint,
} from './checkpoint';
export { tvcCheckpoint } from './checkpoint-helper';
export type {
  CommitExperimentOptions,
  CommittedExperiment,
  ExperimentPaths,
  FetchExperimentOptions,
} from './commit';
export { commitExperiment, experimentHash, experimentPaths, fetchExperiment } from './commit';
export type { ExpChange, ExpDiff } from './diff';
export { diffExperiments, diffRows } from './diff';
export { Git } from './git';
export type { ApplyResult, ListedBaseline, ListOptions, RemoveOptions, SaveOptions } from './manage';
export {
  APPLY_SAVED,
  applyExperiment,
  branchExperiment,
  describe,
  listByBaseline,
  removeExperiments,
  saveExperiment,
} from './manage';
export { flattenMetrics } from './metrics-flatten';
export { checkName, chooseName, experimentExists, randomName, unusedRandomName } from './names';
export type {
  QueueExperimentOptions,
  QueueState,
  QueueWorkerOptions,
  RemoveQueuedOptions,
  WorkerEvent,
} from './queue';
export {
  clearStop,
  findQueueEntry,
  killQueued,
  queueExperiments,
  queueLog,
  queueState,
  removeQueued,
  runQueueWorker,
  stopQueue,
} from './queue';
export type { QueueEntry, QueueStatus, WorkerRecord } from './queue-store';
export {
  QUEUE_DIRECTORY,
  QUEUE_REF_NAMESPACE,
  QueueStore,
  queueRef,
  taskOf,
} from './queue-store';
export type { ExpRef } from './refs';
export {
  APPLY_HEAD,
  EXEC_APPLY,
  EXPS_NAMESPACE,
  expRefName,
  findExperiment,
  listExperiments,
  parseExpRef,
  resolveExperiment,
} from './refs';
export type { CheckpointMade, CheckpointRunInfo, RunExperimentOptions, RunExperimentResult } from './run';
export { baselineOf, CheckpointRunError, dryRunExperiment, gitOf, runExperiment } from './run';
export type { RunTempOptions } from './run-temp';
export { cacheDirectory, experimentExecutor, runTempExperiment, TEMP_REF_NAMESPACE } from './run-temp';
export type {
  CollectOptions,
  ExpData,
  ExpDep,
  ExpError,
  ExpExecutor,
  ExpFileResult,
  ExpOut,
  ExpRange,
  ExpState,
} from './show-collect';
export {
  collectExperiments,
  listRefs,
  localIsoTime,
  QUEUE_EXECUTOR_NAME,
  resolveExperimentRev,
} from './show-collect';
export type { ColorSystem, RichTableOptions, WidthOf } from './show-render';
export { renderCsv, renderRichTable } from './show-render';
export type {
  ColumnKind,
  ExpRow,
  ExpTable,
  ShownTable,
  ShowTableOptions,
  TabulateOptions,
} from './show-table';
export {
  DEFAULT_PRECISION,
  formatCreated,
  formatField,
  formatGeneral,
  shapeTable,
  sortColumn,
  tabulateExperiments,
} from './show-table';
export type { StashedExperiment, StashOptions } from './stash';
export { commitDataSources, parseStashMessage, stashExperiment, stashMessage } from './stash';
export {
  claimWorkspace,
  keepWorkspace,
  removeWorkspace,
  sweepWorkspaces,
  TEMP_WORKSPACES,
  WORKSPACE_OWNER_FILE,
} from './temp-workspaces';
export { ADJECTIVES, NOUNS } from './words';
