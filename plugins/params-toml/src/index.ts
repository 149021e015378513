export { tomlParamsFormat } from './toml-params-format';
export { TomlParamsPlugin } from './toml-params-plugin';
