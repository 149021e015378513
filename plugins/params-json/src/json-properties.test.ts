import { isParamsMapping, type ParamsTree, type ParamsValue, PythonFloat } from '@tvc/params';
import {
  DocumentBuilder,
  describeFormatProperties,
  floatText,
  SPECIAL_VALUES,
  scalarArbitrary,
} from '../../../packages/params/test/format-properties';
import { jsonParamsFormat } from './json-params-format';

function scalarText(value: ParamsValue): string {
  if (typeof value === 'number' && !Number.isInteger(value)) return floatText(value);
  if (value instanceof PythonFloat) return floatText(value);
  return JSON.stringify(value);
}

function renderJson(tree: ParamsTree): ReturnType<DocumentBuilder['done']> {
  const out = new DocumentBuilder();
  const visit = (value: ParamsValue, path: string[], indent: string): void => {
    if (Array.isArray(value)) {
      out.add('[');
      value.forEach((item, index) => {
        if (index > 0) out.add(', ');
        visit(item, [...path, String(index)], indent);
      });
      out.add(']');
    } else if (isParamsMapping(value)) {
      const entries = Object.entries(value);
      if (entries.length === 0) {
        out.add('{}');
        return;
      }
      out.add('{\n');
      entries.forEach(([key, item], index) => {
        out.add(`${indent}  ${JSON.stringify(key)}: `);
        visit(item, [...path, key], `${indent}  `);
        out.add(index < entries.length - 1 ? ',\n' : '\n');
      });
      out.add(`${indent}}`);
    } else {
      out.value(path, scalarText(value));
    }
  };
  visit(tree, [], '');
  out.add('\n');
  return out.done();
}

describeFormatProperties({
  format: jsonParamsFormat,
  file: 'params.json',
  scalar: scalarArbitrary(true),
  alphabet: 'NaInfity',
  specials: SPECIAL_VALUES,
  render: (tree) => renderJson(tree),
});
