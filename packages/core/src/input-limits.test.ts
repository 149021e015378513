import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDvcYaml } from './dvc-yaml';
import { fastDvcYamlValue } from './dvc-yaml/fast-reader';
import {
  MAX_ALIAS_NODES,
  MAX_NESTING,
  nestingProblem,
  sharedExpansion,
  yamlCharacterProblem,
} from './input-limits';
import { LockFile } from './lockfile';
import { ParsedValueCache } from './parsed-cache';
import { parseYamlFast } from './yaml-source';

/** The "billion laughs" document of issue 14 item 12: 9 levels of 9 aliases each, a few hundred bytes. */
export function aliasBomb(indent = ''): string {
  const lines = [`${indent}a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`];
  let previous = 'a';
  for (const name of 'bcdefghi') {
    lines.push(`${indent}${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    previous = name;
  }
  return `${lines.join('\n')}\n`;
}

/** Fails the test if `run` takes longer than `ms` (it must not expand anything). */
function quickly<T>(run: () => T, ms = 2000): T {
  const start = Date.now();
  const result = run();
  expect(Date.now() - start).toBeLessThan(ms);
  return result;
}

describe('nestingProblem', () => {
  it('finds brackets nested past the limit, with the offset of the first one too deep', () => {
    const depth = MAX_NESTING + 5;
    const text = `{"a": ${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const found = nestingProblem(text);
    expect(found).toEqual({ offset: 6 + MAX_NESTING - 1, depth: MAX_NESTING + 1 });
  });

  it('leaves ordinary files alone, and brackets inside strings and comments', () => {
    const depth = MAX_NESTING + 5;
    expect(nestingProblem(`a = "${'['.repeat(depth)}"\n`)).toBeUndefined();
    expect(nestingProblem(`a: 1 # ${'{'.repeat(depth)}\n`, { yaml: true })).toBeUndefined();
    expect(nestingProblem(`a: '${'['.repeat(depth)}'\n`, { yaml: true })).toBeUndefined();
    expect(nestingProblem(`${'[1, '.repeat(10)}${']'.repeat(10)}`)).toBeUndefined();
  });

  it('counts YAML block nesting: compact `- - -` and deeper indentation', () => {
    const compact = `a:\n  ${'- '.repeat(MAX_NESTING + 1)}x\n`;
    expect(nestingProblem(compact, { yaml: true })?.depth).toBeGreaterThan(MAX_NESTING);
    const indented = Array.from(
      { length: MAX_NESTING + 2 },
      (_, level) => `${' '.repeat(level)}k${level}:`,
    ).join('\n');
    expect(nestingProblem(indented, { yaml: true })).toBeDefined();
    const flat = Array.from({ length: MAX_NESTING + 2 }, (_, index) => `k${index}: [1, [2]]`).join('\n');
    expect(nestingProblem(flat, { yaml: true })).toBeUndefined();
  });

  it('counts parentheses for Python only', () => {
    const text = `a = ${'('.repeat(MAX_NESTING + 1)}1${')'.repeat(MAX_NESTING + 1)}`;
    expect(nestingProblem(text)).toBeUndefined();
    expect(nestingProblem(text, { parentheses: true })).toBeDefined();
  });
});

describe('yamlCharacterProblem', () => {
  it("refuses what ruamel's reader refuses, and only that", () => {
    for (const char of ['\0', '\x01', '\x1b', '\x7f', '\x80', '\x9f', '\ufffe', '\uffff', '\ud800']) {
      expect(yamlCharacterProblem(`a: "x${char}y"`)).toEqual({ offset: 5, code: char.codePointAt(0) });
    }
    for (const char of ['\t', '\n', '\r', '\x85', '\xa0', 'é', '\ufeff', '😀']) {
      expect(yamlCharacterProblem(`a: "x${char}y"`)).toBeUndefined();
    }
  });
});

describe('sharedExpansion', () => {
  it('counts what shared objects would add, without expanding them', () => {
    const shared = { x: 1, y: [1, 2] };
    expect(sharedExpansion({ a: shared, b: shared })).toBe(5);
    expect(sharedExpansion({ a: { x: 1 }, b: { x: 1 } })).toBe(0);
  });

  it('stops at the limit on an alias bomb', () => {
    let level: unknown = Array(9).fill('lol');
    for (let index = 0; index < 8; index++) level = Array(9).fill(level);
    expect(quickly(() => sharedExpansion(level))).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('hostile YAML on every reading path (issue 14 items 12-14)', () => {
  const bomb = aliasBomb();

  it('an alias bomb is declined by the fast reader and refused, located, by the full reader', () => {
    expect(quickly(() => fastDvcYamlValue(bomb))).toBeUndefined();
    const error = quickly(() => {
      try {
        parseDvcYaml(bomb, 'params.yaml');
      } catch (caught) {
        return caught as { code: string; location: unknown; message: string };
      }
      return undefined;
    });
    expect(error?.message).toMatch(/aliases expand to more than/);
    expect(error?.location).toEqual({ file: 'params.yaml', line: 6, column: 8 });
  });

  it('the positional dvc.yaml reader refuses it too', () => {
    const result = quickly(() =>
      parseYamlFast('dvc.yaml', `vars:\n  - ${bomb.replace(/\n(?=.)/g, '\n    ')}`),
    );
    expect(result.source).toBeUndefined();
    expect(result.problems[0]?.location?.file).toBe('dvc.yaml');
    expect(result.problems[0]?.message).toMatch(/aliases expand/);
  });

  it('a few aliases of shared settings still read', () => {
    const text = 'base: &base {lr: 0.1, epochs: 3}\ntrain: *base\ntest: *base\n';
    expect(fastDvcYamlValue(text)).toEqual({
      base: { lr: 0.1, epochs: 3 },
      train: { lr: 0.1, epochs: 3 },
      test: { lr: 0.1, epochs: 3 },
    });
    expect(parseDvcYaml(text, 'p.yaml').value).toEqual(fastDvcYamlValue(text));
    expect(MAX_ALIAS_NODES).toBeGreaterThanOrEqual(10_000);
  });

  it('control characters and deep nesting are refused with their place', () => {
    expect(fastDvcYamlValue('a: "x\x01y"\n')).toBeUndefined();
    expect(() => parseDvcYaml('a: 1\nb: "x\x01y"\n', 'p.yaml')).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(/unacceptable character #x0001: special characters are not allowed/),
        location: { file: 'p.yaml', line: 2, column: 6 },
      }),
    );
    const deep = `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
    expect(fastDvcYamlValue(deep)).toBeUndefined();
    expect(() => parseDvcYaml(deep, 'p.yaml')).toThrow(
      expect.objectContaining({
        code: 'NESTING_TOO_DEEP',
        location: { file: 'p.yaml', line: 1, column: 1003 },
      }),
    );
    const block = `a:\n  ${'- '.repeat(50_000)}x\n`;
    expect(() => parseDvcYaml(block, 'p.yaml')).toThrow(
      expect.objectContaining({ code: 'NESTING_TOO_DEEP' }),
    );
  });

  it('a refused dvc.lock is never cached as a value', () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'tvc-limits-'));
    try {
      const cache = new ParsedValueCache(directory);
      const lock = `schema: '2.0'\nstages:\n  s:\n    cmd: echo\n    x:\n${aliasBomb('      ')}`;
      for (let attempt = 0; attempt < 2; attempt++) {
        expect(() => quickly(() => LockFile.parse(lock, '/r/dvc.lock', 'dvc.lock', cache))).toThrow(
          /aliases expand/,
        );
      }
      expect(() =>
        LockFile.parse('schema: "2.0"\nstages: {s: {cmd: "\x00"}}\n', '/r/dvc.lock', 'dvc.lock', cache),
      ).toThrow(/special characters/);
      expect(readdirSync(directory).filter((name) => name.endsWith('.json'))).toEqual([]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
