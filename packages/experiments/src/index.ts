export type { CommitExperimentOptions, CommittedExperiment, ExperimentPaths } from './commit';
export { commitExperiment, experimentHash, experimentPaths } from './commit';
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
export { checkName, experimentExists, randomName, unusedRandomName } from './names';
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
export type { RunExperimentOptions, RunExperimentResult } from './run';
export { baselineOf, gitOf, runExperiment } from './run';
export type {
  CollectOptions,
  ExpData,
  ExpDep,
  ExpError,
  ExpFileResult,
  ExpOut,
  ExpRange,
  ExpState,
} from './show-collect';
export { collectExperiments, listRefs, localIsoTime, resolveExperimentRev } from './show-collect';
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
export { ADJECTIVES, NOUNS } from './words';
