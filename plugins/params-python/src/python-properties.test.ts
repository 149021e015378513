import { isParamsMapping, type ParamsTree, type ParamsValue, PythonFloat } from '@tvc/params';
import {
  DocumentBuilder,
  describeFormatProperties,
  floatText,
  SPECIAL_VALUES,
  scalarArbitrary,
} from '../../../packages/params/test/format-properties';
import { pythonParamsFormat } from './python-params-format';

function scalarText(value: ParamsValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number' && !Number.isInteger(value)) return floatText(value);
  if (value instanceof PythonFloat) return floatText(value);
  return JSON.stringify(value);
}

/** Top-level assignments, a class for each top-level mapping, dict literals below; comments here and there. */
function renderPython(tree: ParamsTree, comments: readonly boolean[]) {
  const out = new DocumentBuilder();
  let turn = 0;
  const comment = () => comments[turn++ % comments.length];
  const literal = (value: ParamsValue, path: string[]) => {
    if (Array.isArray(value)) {
      out.add('[');
      value.forEach((item, index) => {
        if (index > 0) out.add(', ');
        literal(item, [...path, String(index)]);
      });
      out.add(']');
    } else if (isParamsMapping(value)) {
      out.add('{');
      Object.entries(value).forEach(([key, item], index) => {
        if (index > 0) out.add(', ');
        out.add(`'${key}': `);
        literal(item, [...path, key]);
      });
      out.add('}');
    } else {
      out.value(path, scalarText(value));
    }
  };
  const assignments = (node: ParamsTree, path: string[], indent: string) => {
    for (const [key, value] of Object.entries(node)) {
      if (comment()) out.add(`${indent}# about ${key}\n`);
      if (path.length === 0 && isParamsMapping(value) && Object.keys(value).length > 0) {
        out.add(`class ${key}:${comment() ? '  # section' : ''}\n`);
        assignments(value as ParamsTree, [key], '    ');
        out.add('\n');
        continue;
      }
      out.add(`${indent}${key} = `);
      literal(value, [...path, key]);
      out.add(comment() ? '  # value\n' : '\n');
    }
  };
  assignments(tree, [], '');
  return out.done();
}

describeFormatProperties({
  format: pythonParamsFormat,
  file: 'params.py',
  scalar: scalarArbitrary(true),
  alphabet: '()[]{}:=#"\'\\@;',
  specials: SPECIAL_VALUES,
  render: renderPython,
});
