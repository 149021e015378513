export { flattenParams, getParam, splitKey } from './key-path';
export type { ParamsEdit, ParamsFormat, ParamsTree, ParamsValue } from './types';
export { ParamsSyntaxError } from './types';
