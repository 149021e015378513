export { yamlParamsFormat } from './yaml-params-format';
export { YamlParamsPlugin } from './yaml-params-plugin';
