export { applyEditsToTree } from './edit-tree';
export { flattenParams, getParam, splitKey } from './key-path';
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
export type { ParamsEdit, ParamsFormat, ParamsTree, ParamsValue } from './types';
export { ParamsSyntaxError } from './types';
