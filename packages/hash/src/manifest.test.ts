import { describe, expect, it } from 'vitest';
import { HashError } from './errors.js';
import {
  compareRelpaths,
  manifestMd5,
  parseManifest,
  pythonJsonString,
  serializeManifest,
} from './manifest.js';
import { DVC_FIXTURE } from './test-fixtures.js';

const HELLO = 'b1946ac92492d2347c6235b4d2611184';

describe('manifestMd5', () => {
  it('gives the check values of COMPAT.md §3', () => {
    expect(manifestMd5([])).toBe('d751713988987e9331980363e24189ce.dir');
    expect(
      manifestMd5([
        { md5: HELLO, relpath: 'b.txt' },
        { md5: HELLO, relpath: 'a/hello.txt' },
      ]),
    ).toBe('88b5f8961922506bd34388878727befd.dir');
  });

  it('serialises like json.dumps(sort_keys=True), entries sorted by relpath', () => {
    expect(serializeManifest([])).toBe('[]');
    expect(
      serializeManifest([
        { md5: HELLO, relpath: 'b.txt' },
        { md5: HELLO, relpath: 'a/hello.txt' },
      ]),
    ).toBe(`[{"md5": "${HELLO}", "relpath": "a/hello.txt"}, {"md5": "${HELLO}", "relpath": "b.txt"}]`);
  });

  it('reproduces the manifest DVC wrote for the fixture, byte for byte', () => {
    const entries = parseManifest(DVC_FIXTURE.manifest, 'fixture');
    // parse → serialise round trip, from shuffled input
    expect(serializeManifest([...entries].reverse())).toBe(DVC_FIXTURE.manifest);
    expect(manifestMd5(entries)).toBe(DVC_FIXTURE.md5);
  });
});

describe('pythonJsonString', () => {
  it('escapes as Python json.dumps with ensure_ascii', () => {
    // python -c 'import json; print(json.dumps("a\x7fb\x01\"\\\n\t\u00e9\U0001F600\uff41"))'
    expect(pythonJsonString('a\x7fb\x01"\\\n\t\u00e9\u{1F600}\uff41')).toBe(
      '"a\\u007fb\\u0001\\"\\\\\\n\\t\\u00e9\\ud83d\\ude00\\uff41"',
    );
    expect(pythonJsonString('\b\f\r\x1f ~')).toBe('"\\b\\f\\r\\u001f ~"');
    expect(pythonJsonString('plain/path-1.txt')).toBe('"plain/path-1.txt"');
  });
});

describe('compareRelpaths', () => {
  it('orders by code point, as Python sorts str', () => {
    // sorted(['ａ', '😀', 'a', 'a/b', 'a.txt', 'a-b', 'A']) in Python
    const sorted = ['\uff41', '\u{1F600}', 'a', 'a/b', 'a.txt', 'a-b', 'A'].sort(compareRelpaths);
    expect(sorted).toEqual(['A', 'a', 'a-b', 'a.txt', 'a/b', '\uff41', '\u{1F600}']);
    expect(compareRelpaths('x\u{1F600}', 'x\uffff')).toBeGreaterThan(0);
    expect(compareRelpaths('x\u{1F600}', 'x\u{1F601}')).toBeLessThan(0);
    expect(compareRelpaths('a', 'a')).toBe(0);
  });
});

describe('parseManifest', () => {
  const corrupt = (text: string) => {
    try {
      parseManifest(text, 'm.dir');
    } catch (error) {
      return error instanceof HashError ? error.code : String(error);
    }
    return 'accepted';
  };

  it('refuses manifests that could not have come from DVC', () => {
    expect(corrupt('not json')).toBe('CACHE_CORRUPT');
    expect(corrupt('{}')).toBe('CACHE_CORRUPT');
    expect(corrupt('[1]')).toBe('CACHE_CORRUPT');
    expect(corrupt(`[{"md5": "../../x", "relpath": "a"}]`)).toBe('CACHE_CORRUPT');
    for (const relpath of ['../escape', '/etc/passwd', 'a/../../b', 'a//b', './a', 'a/', '', 'a\u0000b']) {
      expect(corrupt(`[{"md5": "${HELLO}", "relpath": ${JSON.stringify(relpath)}}]`), relpath).toBe(
        'CACHE_CORRUPT',
      );
    }
    expect(corrupt(`[{"md5": "${HELLO}", "relpath": "a"}, {"md5": "${HELLO}", "relpath": "a"}]`)).toBe(
      'CACHE_CORRUPT',
    );
    expect(corrupt(`[{"md5": "${HELLO}", "relpath": "a"}, {"md5": "${HELLO}", "relpath": "a/b"}]`)).toBe(
      'CACHE_CORRUPT',
    );
  });

  it('accepts DVC 2 manifests with extra keys', () => {
    expect(parseManifest(`[{"md5": "${HELLO}", "relpath": "a", "size": 6, "isexec": true}]`, 'm')).toEqual([
      { md5: HELLO, relpath: 'a' },
    ]);
  });
});
