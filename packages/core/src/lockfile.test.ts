import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getParam, type ParamsTree, type ParamsValue, PythonFloat } from '@tvc/params';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TvcError } from './errors';
import {
  dumpDvcYaml,
  isLegacyLockItem,
  type LockEntry,
  LockFile,
  type LockItem,
  parseDvcYaml,
  resolvePlainScalarTag,
  toLockEntry,
} from './lockfile';

// Every expected file under __fixtures__/lock was written by DVC 3.67.1 (see generate.sh there).
const FIXTURES = fileURLToPath(new URL('./__fixtures__/lock/', import.meta.url));
const CASES = readdirSync(FIXTURES).filter((name) => existsSync(path.join(FIXTURES, name, 'input')));
const fixture = (...parts: string[]) => readFileSync(path.join(FIXTURES, ...parts), 'utf8');

function readLock(name: string, file = 'expected.lock'): LockFile {
  return LockFile.parse(fixture(name, file), path.join(FIXTURES, name, file), file);
}

/** A reordering that toLockEntry must undo: items reversed, each item's keys reversed. */
function scrambled(items: readonly LockItem[] | undefined): LockItem[] {
  return [...(items ?? [])]
    .reverse()
    .map((item) => Object.fromEntries(Object.entries(item).reverse()) as LockItem);
}

/**
 * Builds the entry of `stage` from the case's inputs as the engine does: the command from
 * dvc.yaml, the params read from their files (through DVC's YAML reading), hashes as recorded.
 */
function rebuild(name: string, stage: string, recorded: LockEntry, paramsAsRecorded = false): LockEntry {
  const pipeline = parseDvcYaml(fixture(name, 'input', 'dvc.yaml'), 'dvc.yaml').value as ParamsTree;
  const definition = getParam(pipeline, `stages.${stage}`) as ParamsTree | undefined;
  const wdir = typeof definition?.wdir === 'string' ? definition.wdir : '.';
  const params = Object.entries(recorded.params ?? {})
    .reverse()
    .map(([file, keys]) => {
      if (paramsAsRecorded) return { file, values: keys };
      const text = readFileSync(path.join(FIXTURES, name, 'input', wdir, file), 'utf8');
      const tree = parseDvcYaml(text, file).value as ParamsTree;
      const values: Record<string, ParamsValue> = {};
      for (const key of Object.keys(keys).reverse()) values[key] = tree[key] ?? getParam(tree, key)!;
      return { file, values };
    });
  return toLockEntry({
    cmd: (definition?.cmd as string | string[] | undefined) ?? recorded.cmd,
    deps: scrambled(recorded.deps),
    params,
    outs: scrambled(recorded.outs),
  });
}

describe('LockFile against lock files DVC wrote', () => {
  it.each(CASES)('%s: reads the file and gives back the same bytes', (name) => {
    const lock = readLock(name);
    expect(lock.serialize()).toBe(fixture(name, 'expected.lock'));
    expect(lock.stages.length).toBeGreaterThan(0);
  });

  it.each(CASES)('%s: writes a new lock file exactly as DVC does', (name) => {
    const recorded = readLock(name);
    const lock = LockFile.parse('', '/nowhere/dvc.lock', 'dvc.lock');
    for (const stage of recorded.stages) {
      const entry = recorded.get(stage)!;
      // An entry of a stage no longer in dvc.yaml is written back as it was read.
      lock.set(stage, name === 'legacy' && stage === 'gone' ? entry : rebuild(name, stage, entry));
    }
    expect(lock.serialize()).toBe(fixture(name, 'expected.lock'));
  });

  it('replaces a changed entry in place and keeps the others byte for byte (chain)', () => {
    const lock = readLock('chain');
    const changed = readLock('chain', 'changed.lock');
    // (The params changed after the first run: take their values from DVC's second lock file.)
    for (const stage of lock.stages) lock.set(stage, rebuild('chain', stage, changed.get(stage)!, true));
    expect(lock.serialize()).toBe(fixture('chain', 'changed.lock'));
  });

  it('keeps legacy entries and orphaned entries when another stage is rewritten (legacy)', () => {
    const lock = readLock('legacy');
    const changed = readLock('legacy', 'changed.lock');
    lock.set('second', rebuild('legacy', 'second', changed.get('second')!));
    expect(lock.serialize()).toBe(fixture('legacy', 'changed.lock'));
  });

  it('flags legacy (DVC 2) items', () => {
    const lock = readLock('legacy', 'changed.lock');
    const first = lock.get('first')!;
    expect(first.deps?.[0]?.hash).toBeUndefined();
    expect(isLegacyLockItem(first.deps![0]!)).toBe(true);
    expect(isLegacyLockItem(lock.get('second')!.outs![0]!)).toBe(false);
    expect(lock.get('gone')?.outs?.[0]).toEqual({
      path: 'gone.txt',
      md5: '7c0cbd0f1d3e8d5f6b2a8a2f0e0e1c7a',
      size: 5,
    });
  });

  it('reads params with their Python types', () => {
    const params = readLock('params').get('use')!.params!;
    const values = params['params.yaml']!;
    expect(values.f1).toBeInstanceOf(PythonFloat);
    expect(values.epochs).toBe(10);
    expect(values.name).toBe('2.0');
    expect(values.huge).toBe(123456789012345678901234567890n);
    expect(values.empty).toBeNull();
    expect(values.nan).toBeNaN();
    // An alias reads as the very object it names, as in Python.
    expect(values.train).toBe(values.base);
    expect(Object.keys(params)).toEqual(['params.yaml', 'extra.yaml', 'params.json']);
  });
});

describe('LockFile edits', () => {
  const twoStages = `schema: '2.0'\nstages:\n  a:\n    cmd: echo a\n  b:\n    cmd: echo b\n`;

  it('appends a new stage and deletes one', () => {
    const lock = LockFile.parse(twoStages, '/x/dvc.lock', 'dvc.lock');
    lock.set(
      'c',
      toLockEntry({ cmd: 'echo c', deps: [], params: [], outs: [{ path: 'c.txt', hash: 'md5' }] }),
    );
    lock.delete('a');
    expect(lock.serialize()).toBe(
      `schema: '2.0'\nstages:\n  b:\n    cmd: echo b\n  c:\n    cmd: echo c\n    outs:\n    - path: c.txt\n      hash: md5\n`,
    );
    lock.delete('b');
    lock.delete('c');
    expect(lock.serialize()).toBe('');
  });

  it('changes nothing when the entry is the same', () => {
    const lock = LockFile.parse(twoStages, '/x/dvc.lock', 'dvc.lock');
    lock.set('a', { cmd: 'echo a' });
    expect(lock.serialize()).toBe(twoStages);
  });

  it('keeps hand-written entries (indentation, comments, flow style) that it does not touch', () => {
    const text = [
      "schema: '2.0'",
      '# written by hand',
      'stages:',
      '    a:',
      '        cmd: [echo, a]   # a list',
      '        outs: [{path: a.txt, md5: 60b725f10c9c85c70d97880dfe8191b3}]',
      '    b:',
      '        cmd: echo b',
      'datasets: []',
      '',
    ].join('\n');
    const lock = LockFile.parse(text, '/x/dvc.lock', 'dvc.lock');
    lock.set('b', { cmd: 'echo B', outs: [{ path: 'b.txt', hash: 'md5', md5: 'x'.repeat(32), size: 1 }] });
    lock.set('c', { cmd: 'echo c' });
    const written = lock.serialize();
    expect(written).toBe(
      [
        "schema: '2.0'",
        '# written by hand',
        'stages:',
        '    a:',
        '        cmd: [echo, a]   # a list',
        '        outs: [{path: a.txt, md5: 60b725f10c9c85c70d97880dfe8191b3}]',
        '    b:',
        '      cmd: echo B',
        '      outs:',
        '      - path: b.txt',
        '        hash: md5',
        `        md5: ${'x'.repeat(32)}`,
        '        size: 1',
        '    c:',
        '      cmd: echo c',
        'datasets: []',
        '',
      ].join('\n'),
    );
    const reread = LockFile.parse(written, '/x/dvc.lock', 'dvc.lock');
    expect(reread.stages).toEqual(['a', 'b', 'c']);
    expect(reread.get('a')?.cmd).toEqual(['echo', 'a']);
    expect(reread.get('b')?.outs?.[0]?.size).toBe(1);
  });

  it('writes a whole file when there is no block `stages` mapping to splice into', () => {
    const lock = LockFile.parse("schema: '2.0'\nstages: {}\n", '/x/dvc.lock', 'dvc.lock');
    lock.set('a', { cmd: 'echo a' });
    expect(lock.serialize()).toBe("schema: '2.0'\nstages:\n  a:\n    cmd: echo a\n");
  });

  it('writes a new file with the schema first', () => {
    const lock = LockFile.parse('', '/x/dvc.lock', 'dvc.lock');
    expect(lock.serialize()).toBe('');
    lock.set('a', {
      cmd: ['echo a', 'echo b'],
      deps: [{ path: 'x', hash: 'md5', md5: 'd41d8cd98f00b204e9800998ecf8427e', size: 0 }],
    });
    expect(lock.serialize()).toBe(
      "schema: '2.0'\nstages:\n  a:\n    cmd:\n    - echo a\n    - echo b\n    deps:\n    - path: x\n      hash: md5\n      md5: d41d8cd98f00b204e9800998ecf8427e\n      size: 0\n",
    );
  });

  it('keeps unknown keys of entries and items', () => {
    const lock = LockFile.parse(
      "schema: '2.0'\nstages:\n  a:\n    cmd: x\n    outs:\n    - path: d\n      hash: md5\n      md5: 0123456789abcdef0123456789abcdef.dir\n      size: 3\n      nfiles: 1\n      files:\n      - relpath: f\n        md5: 0123456789abcdef0123456789abcdef\n",
      '/x/dvc.lock',
      'dvc.lock',
    );
    const entry = lock.get('a')!;
    expect(entry.outs?.[0]?.files).toEqual([{ relpath: 'f', md5: '0123456789abcdef0123456789abcdef' }]);
    const rebuilt = toLockEntry({ cmd: 'x', deps: [], params: [], outs: [{ ...entry.outs![0]!, size: 4 }] });
    lock.set('a', rebuilt);
    expect(lock.serialize()).toContain('      nfiles: 1\n      files:\n      - relpath: f\n');
  });
});

describe('LockFile on disk', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'tvc-lock-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('reads a missing file as empty, writes atomically, and does not write when unchanged', async () => {
    const file = path.join(directory, 'dvc.lock');
    const lock = await LockFile.read(file, 'dvc.lock');
    expect(lock.stages).toEqual([]);
    expect(lock.path).toBe(file);
    await lock.write();
    expect(existsSync(file)).toBe(false);
    lock.set('a', { cmd: 'echo a' });
    await lock.write();
    expect(await readFile(file, 'utf8')).toBe("schema: '2.0'\nstages:\n  a:\n    cmd: echo a\n");
    expect(readdirSync(directory)).toEqual(['dvc.lock']);

    const again = await LockFile.read(file, 'dvc.lock');
    await writeFile(file, 'changed behind its back\n');
    again.set('a', { cmd: 'echo a' });
    await again.write();
    expect(await readFile(file, 'utf8')).toBe('changed behind its back\n');
  });

  it('removes the file when its last entry is deleted, as DVC does', async () => {
    const file = path.join(directory, 'dvc.lock');
    await writeFile(file, "schema: '2.0'\nstages:\n  a:\n    cmd: echo a\n");
    const lock = await LockFile.read(file, 'dvc.lock');
    lock.delete('a');
    await lock.write();
    expect(existsSync(file)).toBe(false);
  });
});

describe('LockFile problems', () => {
  const parse = (text: string) => () => LockFile.parse(text, '/x/dvc.lock', 'dvc.lock');
  const problem = (text: string): TvcError => {
    try {
      parse(text)();
    } catch (error) {
      return error as TvcError;
    }
    throw new Error('no error');
  };

  it('reports malformed YAML with its line and column', () => {
    const error = problem("schema: '2.0'\nstages:\n  a:\n    cmd: [unclosed\n");
    expect(error).toBeInstanceOf(TvcError);
    expect(error.code).toBe('YAML_SYNTAX');
    expect(error.describe()).toMatch(/^dvc\.lock:\d+:\d+: malformed YAML/);
  });

  it('reports schema problems at their place, all at once', () => {
    const error = problem("schema: '2.0'\nstages:\n  a:\n    deps:\n    - size: 1\n  b:\n    cmd: 3\n");
    expect(error.describe()).toBe(
      [
        "dvc.lock:3:3: 'dvc.lock' is invalid: entry 'a' has no 'cmd'",
        "dvc.lock:5:7: 'dvc.lock' is invalid: each item must be a mapping with a 'path'",
        "dvc.lock:7:10: 'dvc.lock' is invalid: 'cmd' must be a string or a list of strings",
      ].join('\n'),
    );
  });

  it('requires schema 2.0', () => {
    expect(problem('stages: {}\n').describe()).toMatch(/missing 'schema: '2.0''/);
    expect(problem("schema: '1.0'\n").describe()).toBe(
      "dvc.lock:1:9: 'dvc.lock' is invalid: invalid schema version (expected '2.0')",
    );
  });

  it('reads an empty file as an empty lock file', () => {
    expect(parse('')().stages).toEqual([]);
    expect(parse('# nothing\n')().stages).toEqual([]);
  });
});

describe('DVC YAML dialect', () => {
  it('resolves plain scalars as ruamel.yaml does', () => {
    expect(resolvePlainScalarTag('yes')).toBe('str');
    expect(resolvePlainScalarTag('1_000')).toBe('int');
    expect(resolvePlainScalarTag('_1')).toBe('str');
    expect(resolvePlainScalarTag('1e3')).toBe('float');
    expect(resolvePlainScalarTag('.5e3')).toBe('str');
    expect(resolvePlainScalarTag('2020-01-01')).toBe('timestamp');
    expect(resolvePlainScalarTag('')).toBe('null');
    expect(resolvePlainScalarTag('=')).toBe('value');
  });

  it('reads numbers as Python does', () => {
    const value = parseDvcYaml('a: 1.0\nb: 2e3\nc: 1\nd: 0x1F\ne: 1e400\nf: -0.0\ng: 0.5\n', 'p.yaml').value;
    expect(value).toEqual({
      a: new PythonFloat(1),
      b: new PythonFloat(2000),
      c: 1,
      d: 31,
      e: Number.POSITIVE_INFINITY,
      f: new PythonFloat(-0),
      g: 0.5,
    });
  });

  it('applies merge keys as ruamel does', () => {
    const value = parseDvcYaml(
      'x: &x {a: 1, b: 2}\ny: &y {b: 3, c: 4}\nz:\n  <<: [*x, *y]\n  c: 5\n',
      'p.yaml',
    ).value;
    expect(JSON.stringify((value as ParamsTree).z)).toBe('{"b":2,"c":5,"a":1}');
  });

  it('writes what DVC writes (checked against ruamel with random documents during development)', () => {
    expect(
      dumpDvcYaml({
        s: ['yes', '1.0', '', 'a: b', "it's", "'q'", 'x\ny', 'tab\there', 'é😀'],
        n: [
          1,
          new PythonFloat(1),
          1e-5,
          new PythonFloat(1e16),
          Number.NaN,
          Number.NEGATIVE_INFINITY,
          10n ** 20n,
        ],
        e: { a: [], b: {}, c: null, d: true },
      }),
    ).toBe(
      [
        's:',
        '- yes',
        "- '1.0'",
        "- ''",
        "- 'a: b'",
        "- it's",
        '- "\'q\'"',
        '- "x\\ny"',
        '- "tab\\there"',
        '- é😀',
        'n:',
        '- 1',
        '- 1.0',
        '- 1e-05',
        '- 1e+16',
        '- .nan',
        '- -.inf',
        '- 100000000000000000000',
        'e:',
        '  a: []',
        '  b: {}',
        '  c:',
        '  d: true',
        '',
      ].join('\n'),
    );
  });

  it('wraps long plain and quoted scalars at width 80 as ruamel does', () => {
    const words = Array.from({ length: 30 }, (_, index) => `word${index}`).join(' ');
    expect(dumpDvcYaml({ key: words })).toBe(
      // A word that would pass column 80 starts a new line; the space before it stays behind.
      'key: word0 word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 word11 \n' +
        '  word12 word13 word14 word15 word16 word17 word18 word19 word20 word21 word22 \n' +
        '  word23 word24 word25 word26 word27 word28 word29\n',
    );
    expect(dumpDvcYaml({ path: 'x'.repeat(90) })).toBe(`path: \n  ${'x'.repeat(90)}\n`);
  });
});
