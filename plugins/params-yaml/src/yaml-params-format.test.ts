import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HOOK_STAGE, Tvc } from '@tvc/core';
import {
  type ParamsEdit,
  type ParamsFormat,
  ParamsSyntaxError,
  type ParamsValue,
  PythonFloat,
} from '@tvc/params';
import { describe, expect, it } from 'vitest';
import { yamlParamsFormat as format } from './yaml-params-format';
import { YamlParamsPlugin } from './yaml-params-plugin';

const set = (key: string, value: ParamsValue): ParamsEdit => ({ kind: 'set', path: key.split('.'), value });
const remove = (key: string): ParamsEdit => ({ kind: 'delete', path: key.split('.') });

function syntaxError(text: string): ParamsSyntaxError {
  try {
    format.read(text, 'params.yaml');
  } catch (error) {
    return error as ParamsSyntaxError;
  }
  throw new Error('no error');
}

describe('reading YAML params as DVC does', () => {
  it('keeps Python types apart', () => {
    const tree = format.read(
      'lr: 1.0\nepochs: 10\nscale: 2e3\nword: yes\ncount: 1_000\nnothing:\nname: "2.0"\nbig: 123456789012345678901\n',
      'params.yaml',
    );
    expect(tree.lr).toBeInstanceOf(PythonFloat);
    expect(tree.scale).toEqual(new PythonFloat(2000));
    expect(tree.epochs).toBe(10);
    expect(tree.word).toBe('yes');
    expect(tree.count).toBe(1000);
    expect(tree.nothing).toBeNull();
    expect(tree.name).toBe('2.0');
    expect(tree.big).toBe(123456789012345678901n);
  });

  it('shares aliased values and applies merge keys', () => {
    const tree = format.read('base: &b {lr: 1}\ntrain: *b\nother:\n  <<: *b\n  epochs: 2\n', 'params.yaml');
    expect(tree.train).toBe(tree.base);
    expect(tree.other).toEqual({ lr: 1, epochs: 2 });
  });

  it('reads an empty file as empty params', () => {
    expect(format.read('', 'params.yaml')).toEqual({});
    expect(format.read('# nothing yet\n', 'params.yaml')).toEqual({});
    expect(format.read('{}\n', 'params.yaml')).toEqual({});
    // DVC's `yaml.load(text) or {}`: any false document, `0.0` and `-0.0` included.
    for (const text of ['null\n', 'false\n', '0\n', '0.0\n', '-0.0\n', "''\n", '[]\n']) {
      expect(format.read(text, 'params.yaml')).toEqual({});
    }
  });

  it('reports syntax errors with their line and column', () => {
    const error = syntaxError('train:\n  lr: [0.1\n');
    expect(error).toBeInstanceOf(ParamsSyntaxError);
    expect(error.file).toBe('params.yaml');
    expect(error.line).toBeGreaterThan(1);
    expect(error.column).toBeGreaterThan(0);
    expect(syntaxError('a: 1\na: 2\n').message).toMatch(/unique/);
    expect(syntaxError('- 1\n- 2\n').message).toMatch(/mapping at the top level/);
    expect(syntaxError('a: 0x_\n')).toMatchObject({ line: 1, column: 4 });
  });
});

describe('editing YAML params', () => {
  const text = [
    '# training setup',
    'train:',
    '    lr: 0.01   # learning rate',
    '    epochs: 10',
    '    layers:',
    '    - 64',
    '    - 32',
    "model: 'cnn'",
    'flags: {fast: true, seed: 1}',
    'sizes: [1, 2]',
    'empty:',
    '',
  ].join('\n');
  const write = (edits: readonly ParamsEdit[]) => format.write(text, edits, 'params.yaml');

  it('changes only the bytes of the value it sets', () => {
    expect(write([set('train.lr', 0.1)])).toBe(text.replace('lr: 0.01', 'lr: 0.1'));
    expect(write([set('train.epochs', new PythonFloat(20))])).toBe(
      text.replace('epochs: 10', 'epochs: 20.0'),
    );
    expect(write([set('model', 'rnn')])).toBe(text.replace("'cnn'", "'rnn'"));
    expect(write([set('flags.seed', 2)])).toBe(text.replace('seed: 1', 'seed: 2'));
    expect(write([set('sizes.1', 3)])).toBe(text.replace('[1, 2]', '[1, 3]'));
    expect(write([set('train.layers.0', 128)])).toBe(text.replace('- 64', '- 128'));
    expect(write([set('empty', 'x')])).toBe(text.replace('empty:', 'empty: x'));
  });

  it('quotes strings that would read as something else', () => {
    expect(write([set('empty', '2.0')])).toBe(text.replace('empty:', "empty: '2.0'"));
    expect(write([set('empty', 'true')])).toBe(text.replace('empty:', "empty: 'true'"));
    expect(write([set('empty', 'a: b')])).toBe(text.replace('empty:', "empty: 'a: b'"));
    expect(write([set('empty', 'line\nbreak')])).toBe(text.replace('empty:', 'empty: "line\\nbreak"'));
    expect(write([set('empty', 'yes')])).toBe(text.replace('empty:', 'empty: yes'));
  });

  it('adds keys where they belong, in the indentation of their neighbours', () => {
    expect(write([set('train.momentum', 0.9)])).toBe(
      text.replace('    - 32\n', '    - 32\n    momentum: 0.9\n'),
    );
    expect(write([set('optimizer.name', 'adam')])).toBe(`${text}optimizer:\n    name: adam\n`);
    expect(write([set('flags.deep', false)])).toBe(text.replace('seed: 1}', 'seed: 1, deep: false}'));
    expect(write([set('sizes.2', 3)])).toBe(text.replace('[1, 2]', '[1, 2, 3]'));
    expect(write([set('train.layers.2', 16)])).toBe(text.replace('    - 32\n', '    - 32\n    - 16\n'));
  });

  it('writes lists and mappings that replace a value in flow style', () => {
    expect(write([set('model', ['a', 'b c'])])).toBe(text.replace("'cnn'", '[a, b c]'));
    expect(write([set('train.layers', [1])])).toBe(
      text.replace('layers:\n    - 64\n    - 32', 'layers: [1]'),
    );
    expect(write([set('sizes', { a: 1 })])).toBe(text.replace('[1, 2]', '{a: 1}'));
  });

  it('deletes keys and items with their lines', () => {
    expect(write([remove('train.epochs')])).toBe(text.replace('    epochs: 10\n', ''));
    expect(write([remove('train.layers')])).toBe(text.replace('    layers:\n    - 64\n    - 32\n', ''));
    expect(write([remove('train.layers.0')])).toBe(text.replace('    - 64\n', ''));
    expect(write([remove('flags.fast')])).toBe(text.replace('fast: true, ', ''));
    expect(write([remove('flags.seed')])).toBe(text.replace(', seed: 1', ''));
    expect(write([remove('model')])).toBe(text.replace("model: 'cnn'\n", ''));
    expect(write([remove('missing.key')])).toBe(text);
  });

  it('keeps an emptied mapping a mapping', () => {
    const nested = 'a:\n  b: 1\nc: 2\n';
    expect(format.write(nested, [remove('a.b')], 'params.yaml')).toBe('a: {}\nc: 2\n');
    expect(format.read(format.write(nested, [remove('a.b')], 'params.yaml'), 'p')).toEqual({ a: {}, c: 2 });
  });

  it('applies several edits in order', () => {
    const written = write([set('train.lr', 1), set('train.new', 'x'), remove('sizes'), set('z', null)]);
    expect(format.read(written, 'params.yaml')).toEqual({
      train: { lr: 1, epochs: 10, layers: [64, 32], new: 'x' },
      model: 'cnn',
      flags: { fast: true, seed: 1 },
      empty: null,
      z: null,
    });
    expect(written.startsWith('# training setup\ntrain:\n    lr: 1   # learning rate\n')).toBe(true);
  });

  it('writes into an empty file', () => {
    expect(format.write('', [set('a.b', 1)], 'params.yaml')).toBe('a:\n  b: 1\n');
    expect(format.write('# header\n', [set('a', 'x')], 'params.yaml')).toBe('# header\na: x\n');
  });

  it('keeps CRLF line endings', () => {
    const crlf = 'a: 1\r\nb:\r\n  c: 2\r\n';
    expect(format.write(crlf, [set('b.d', 3)], 'params.yaml')).toBe('a: 1\r\nb:\r\n  c: 2\r\n  d: 3\r\n');
    expect(format.write(crlf, [remove('a')], 'params.yaml')).toBe('b:\r\n  c: 2\r\n');
    expect(format.write(crlf, [set('a', 5)], 'params.yaml')).toBe('a: 5\r\nb:\r\n  c: 2\r\n');
  });

  it('replaces block scalars and keeps the line after them', () => {
    expect(format.write('cmd: |\n  one\n  two\nnext: 1\n', [set('cmd', 'x')], 'p.yaml')).toBe(
      'cmd: x\nnext: 1\n',
    );
  });

  it('refuses to set below a scalar', () => {
    expect(() => write([set('model.name', 'x')])).toThrow(/'model' is not a mapping or a list/);
  });
});

describe('YamlParamsPlugin', () => {
  it('reads .yaml and .yml, and every extension no other format claims', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'tvc-params-yaml-'));
    try {
      await mkdir(path.join(root, '.dvc'));
      const toml: ParamsFormat = { ...format, name: 'toml', extensions: ['.toml'] };
      const tvc = await Tvc.open({
        root,
        cwd: root,
        config: { config: {}, filepath: undefined },
        presets: [],
        plugins: [
          new YamlParamsPlugin(),
          (instance: Tvc) => {
            instance.hooks.paramsFormat.tap({ name: 'toml', stage: HOOK_STAGE.BUILTIN }, (request) =>
              request.extension === '.toml' ? toml : undefined,
            );
          },
        ],
      });
      expect(tvc.paramsFormat('params.yaml').name).toBe('yaml');
      expect(tvc.paramsFormat('conf/params.YML').name).toBe('yaml');
      expect(tvc.paramsFormat('params.toml').name).toBe('toml');
      expect(tvc.paramsFormat('params.cfg').name).toBe('yaml');
      expect(tvc.paramsFormat('params').name).toBe('yaml');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('regressions found by the property tests', () => {
  it('quotes a string set into a flow collection when it holds a flow indicator', () => {
    expect(format.write('k: [null]\n', [set('k.0', 'a,')], 'params.yaml')).toBe("k: ['a,']\n");
    expect(format.write('k: {a: 1}\n', [set('k.a', 'x]')], 'params.yaml')).toBe("k: {a: 'x]'}\n");
  });
});
