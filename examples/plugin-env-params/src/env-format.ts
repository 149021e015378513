import {
  type ParamsEdit,
  type ParamsFormat,
  ParamsSyntaxError,
  type ParamsTree,
  type ParamsValue,
} from '@tvc/core';

const LINE = /^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*?)\s*$/;

/** `0.1` → 0.1, `true` → true, `"a b"` → 'a b', anything else stays a string. */
function parseValue(raw: string): ParamsValue {
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw)) return Number(raw);
  if (raw === 'true' || raw === 'false') return raw === 'true';
  const quoted = /^"(.*)"$/.exec(raw);
  return quoted ? quoted[1]! : raw;
}

function formatValue(value: ParamsValue): string {
  if (typeof value === 'string') return /[\s#"]/.test(value) ? JSON.stringify(value) : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`a .env value is a string, number or boolean, not ${JSON.stringify(value)}`);
}

/**
 * `.env` files as params: `KEY=value` lines, `#` comments and blank lines kept. Keys are flat
 * (`-S train.env:lr=0.2`); a line that is not `KEY=value` is a {@link ParamsSyntaxError} with its
 * line and column, which tvc reports as `train.env:3:1: …`.
 */
export const envParamsFormat: ParamsFormat = {
  specificationVersion: 'v1',
  name: 'env',
  extensions: ['.env'],

  read(text: string, file: string): ParamsTree {
    const tree: ParamsTree = {};
    for (const [index, line] of text.split(/\r?\n/).entries()) {
      if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
      const match = LINE.exec(line);
      if (!match) throw new ParamsSyntaxError(`expected KEY=value, got '${line.trim()}'`, file, index + 1, 1);
      tree[match[1]!] = parseValue(match[2]!);
    }
    return tree;
  },

  write(text: string, edits: readonly ParamsEdit[], file: string): string {
    const lines = text.split('\n');
    for (const edit of edits) {
      if (edit.path.length !== 1)
        throw new Error(`${file}: .env keys are flat, not '${edit.path.join('.')}'`);
      const key = edit.path[0]!;
      const at = lines.findIndex((line) => LINE.exec(line)?.[1] === key);
      if (edit.kind === 'delete') {
        if (at >= 0) lines.splice(at, 1);
      } else if (at >= 0) {
        lines[at] = `${key}=${formatValue(edit.value)}`;
      } else {
        const end = lines.at(-1) === '' ? lines.length - 1 : lines.length;
        lines.splice(end, 0, `${key}=${formatValue(edit.value)}`);
      }
    }
    return lines.join('\n');
  },
};
