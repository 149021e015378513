export type { DvcYamlDumpOptions } from './emitter';
export { DVC_YAML_INDENT, dumpDvcYaml } from './emitter';
export { fastDvcYamlValue } from './fast-reader';
export { copyKeyTags } from './key-tags';
export type { DvcYamlSource } from './reader';
export { dvcYamlValue, nodeLocation, parseDvcYaml } from './reader';
export type { ScalarTag } from './resolver';
export { resolvePlainScalarTag } from './resolver';
