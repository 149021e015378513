export type { Definition, PythonParams, Scope } from './python-params';
export { parsePythonParams } from './python-params';
export { pythonParamsFormat } from './python-params-format';
export { PythonParamsPlugin } from './python-params-plugin';
export { renderPython } from './python-render';
export { parsePython } from './python-syntax';
