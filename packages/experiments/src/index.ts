export type { CommitExperimentOptions, CommittedExperiment, ExperimentPaths } from './commit';
export { commitExperiment, experimentHash, experimentPaths } from './commit';
export { Git } from './git';
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
export { ADJECTIVES, NOUNS } from './words';
