import { isParamsMapping, type ParamsTree, type ParamsValue, PythonFloat } from '@tvc/params';
import {
  DocumentBuilder,
  describeFormatProperties,
  floatText,
  SPECIAL_VALUES,
  scalarArbitrary,
} from '../../../packages/params/test/format-properties';
import { tomlParamsFormat } from './toml-params-format';

const isTable = (value: ParamsValue): value is ParamsTree =>
  isParamsMapping(value) && Object.keys(value).length > 0;

function scalarText(value: ParamsValue): string {
  if (typeof value === 'number' && !Number.isInteger(value)) return floatText(value);
  if (value instanceof PythonFloat) return floatText(value);
  return JSON.stringify(value);
}

/** Values before tables at every level, as a TOML file holds them. */
function arrange(tree: ParamsTree): ParamsTree {
  const entries = Object.entries(tree);
  return Object.fromEntries([
    ...entries.filter(([, value]) => !isTable(value)),
    ...entries
      .filter(([, value]) => isTable(value))
      .map(([key, value]) => [key, arrange(value as ParamsTree)]),
  ]);
}

/** `key = value` lines, then `[dotted.table]` sections; inline arrays; comments here and there. */
function renderToml(tree: ParamsTree, comments: readonly boolean[]) {
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
  const table = (node: ParamsTree, path: string[]) => {
    if (path.length > 0) out.add(`\n[${path.join('.')}]${comment() ? ' # table' : ''}\n`);
    for (const [key, value] of Object.entries(node)) {
      if (isTable(value)) continue;
      if (comment()) out.add(`# about ${key}\n`);
      out.add(`${key} = `);
      inline(value, [...path, key]);
      out.add(comment() ? '  # value\n' : '\n');
    }
    for (const [key, value] of Object.entries(node)) {
      if (isTable(value)) table(value, [...path, key]);
    }
  };
  table(tree, []);
  return out.done();
}

describeFormatProperties({
  format: tomlParamsFormat,
  file: 'params.toml',
  scalar: scalarArbitrary(false),
  alphabet: '[]{}=#"\'',
  arrange,
  specials: SPECIAL_VALUES.filter((value) => value !== 2n ** 64n),
  render: renderToml,
});
