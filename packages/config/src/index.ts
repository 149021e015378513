export type { ConfigOptions } from './config';
export { Config, displayValue, findDvcDir, flattenTree, isTree, mergeTrees } from './config';
export type { IniData, IniDocument, IniValue } from './configobj';
export { emptyIniDocument, formatIniValue, parseIni, writeIni } from './configobj';
export type { ConfigLocation } from './errors';
export { ConfigError } from './errors';
export type { ConfigLevel, LocationOptions } from './locations';
export {
  configFiles,
  globalConfigDir,
  LEVELS,
  REPO_LEVELS,
  SYSTEM_LEVELS,
  systemConfigDir,
} from './locations';
export type { ConfigName, RemoteOptions } from './operations';
export {
  addRemote,
  CONFIG_NAME_ERROR,
  defaultRemote,
  getConfigValue,
  listConfig,
  listRemotes,
  modifyRemote,
  parseConfigName,
  removeRemote,
  renameRemote,
  setConfigValue,
  setDefaultRemote,
} from './operations';
export type { ConfigNode, ConfigTree, SchemaProblem } from './schema';
export { REMOTE_SCHEMAS, remoteScheme, SECTIONS, validateTree } from './schema';
