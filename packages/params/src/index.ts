export type { AppliedOverrides } from './apply-overrides';
export { applyOverrides } from './apply-overrides';
export { applyEditsToTree } from './edit-tree';
export { flattenParams, getParam, splitKey } from './key-path';
export type { OverrideErrorCode } from './override-error';
export { ParamsOverrideError } from './override-error';
export type {
  OverrideDictKey,
  OverrideElement,
  OverrideKind,
  OverrideNumber,
  OverrideSweep,
} from './override-grammar';
export { OverrideDict, QuotedString } from './override-grammar';
export type { Override, OverridesByFile } from './overrides';
export {
  assertNoSweep,
  DEFAULT_OVERRIDE_FILE,
  expandSweeps,
  hasSweep,
  overrideElementText,
  overrideValue,
  parseOverride,
  parseOverrides,
  splitOverrideFile,
  sweepValues,
} from './overrides';
export type {
  DiffParamsOptions,
  DiffValue,
  ParamsChange,
  ParamsDiff,
  ParamsDiffRow,
  ParamsFileResult,
  ParamsRevisionResult,
} from './params-diff';
export {
  diffParams,
  flattenForDiff,
  hasParamsErrors,
  paramsDiffJson,
  paramsDiffRows,
  pythonStr,
  pythonStringRepr,
  pythonValueRepr,
  selectParams,
} from './params-diff';
export type { PythonJsonDumpsOptions } from './python-float';
export {
  comparePythonStrings,
  isParamsMapping,
  isPythonFloat,
  PythonFloat,
  paramsEqual,
  pythonFloatRepr,
  pythonJsonDumps,
  pythonNumberKind,
  pythonRepr,
  pythonTruthy,
  sameParams,
} from './python-float';
export { formatMetricValue, pythonRound } from './python-round';
export type { ParamsEdit, ParamsFormat, ParamsTree, ParamsValue } from './types';
export { ParamsSyntaxError } from './types';
export type { ParamsTextEditor } from './write-edits';
export { writeEdits } from './write-edits';
