import { isParamsMapping, type ParamsTree, type ParamsValue, PythonFloat } from '@tvc/params';
import {
  DocumentBuilder,
  describeFormatProperties,
  floatText,
  SPECIAL_VALUES,
  scalarArbitrary,
} from '../../../packages/params/test/format-properties';
import { yamlParamsFormat } from './yaml-params-format';

function scalarText(value: ParamsValue): string {
  if (value === null) return 'null';
  if (typeof value === 'number' && !Number.isInteger(value)) return floatText(value);
  if (value instanceof PythonFloat) return floatText(value);
  return JSON.stringify(value);
}

/** Block mappings indented by two, lists in flow style, comment lines and trailing comments here and there. */
function renderYaml(tree: ParamsTree, comments: readonly boolean[]) {
  const out = new DocumentBuilder();
  let turn = 0;
  const comment = () => comments[turn++ % comments.length];
  const inline = (value: ParamsValue, path: string[]) => {
    if (Array.isArray(value)) {
      out.add('[');
      value.forEach((item, index) => {
        if (index > 0) out.add(', ');
        inline(item, [...path, String(index)]);
      });
      out.add(']');
    } else if (isParamsMapping(value)) {
      out.add('{}');
    } else {
      out.value(path, scalarText(value));
    }
  };
  const block = (node: ParamsTree, path: string[], indent: string) => {
    for (const [key, value] of Object.entries(node)) {
      if (comment()) out.add(`${indent}# about ${key}\n`);
      out.add(`${indent}${key}:`);
      if (isParamsMapping(value) && Object.keys(value).length > 0) {
        out.add(comment() ? '  # section\n' : '\n');
        block(value as ParamsTree, [...path, key], `${indent}  `);
      } else {
        out.add(' ');
        inline(value, [...path, key]);
        out.add(comment() ? '  # value\n' : '\n');
      }
    }
  };
  block(tree, [], '');
  return out.done();
}

describeFormatProperties({
  format: yamlParamsFormat,
  file: 'params.yaml',
  scalar: scalarArbitrary(true),
  alphabet: '&*!|>%@`?~',
  specials: SPECIAL_VALUES,
  render: renderYaml,
});
