import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fastDvcYamlValue } from './fast-reader';
import { parseDvcYaml } from './reader';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../__fixtures__/lock');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return yamlFiles(full);
    return /\.(lock|yaml|yml)$/.test(name) ? [full] : [];
  });
}

describe('fastDvcYamlValue', () => {
  const files = yamlFiles(fixtures);

  it('reads every lock fixture written by DVC to the same value as the positional reader', () => {
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const fast = fastDvcYamlValue(text);
      if (fast === undefined) continue;
      expect(fast, file).toEqual(parseDvcYaml(text, file).value);
    }
  });

  it('resolves plain scalars as ruamel does, and leaves quoted ones strings', () => {
    const text = "a: 1_000\nb: 1.0\nc: yes\nd: '2.0'\ne: ~\nf: 0x10\ng: .inf\nh: 1e-05\ni: 017\n";
    expect(fastDvcYamlValue(text)).toEqual(parseDvcYaml(text, 'x').value);
  });

  it('hands tagged, merged or malformed text to the positional reader', () => {
    expect(fastDvcYamlValue('a: !!str 1\n')).toBeUndefined();
    expect(fastDvcYamlValue('base: &b {x: 1}\nc:\n  <<: *b\n')).toBeUndefined();
    expect(fastDvcYamlValue('a: [1, 2\n')).toBeUndefined();
    expect(fastDvcYamlValue('a: 1\na: 2\n')).toBeUndefined();
    // Resolves as an int but cannot be built: the positional reader reports it.
    expect(fastDvcYamlValue('a: 0x_\n')).toBeUndefined();
    expect(() => parseDvcYaml('a: 0x_\n', 'x')).toThrow();
  });
});
