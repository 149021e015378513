import { describe, expect, it } from 'vitest';
import { dumpDvcYaml } from './emitter';

// Expected texts from DVC 3.67.1's `dumps_yaml`, the entry nested one or two levels deep and the
// lines of the enclosing keys cut off.

describe('dumpDvcYaml at a given indentation', () => {
  const words = Array.from({ length: 20 }, () => 'word').join(' ');
  const entry = new Map<string, unknown>([
    ['desc', words],
    ['outs', ['a', new Map([['b.txt', { cache: false }]])]],
    ['n', 3],
  ]);

  it('writes a Map in its order, nested from the given column and wrapped at column 80', () => {
    expect(dumpDvcYaml(new Map([['train', entry]]), { indent: 2 })).toBe(
      '  train:\n    desc: word word word word word word word word word word word word word word \n      word word word word word word\n    outs:\n    - a\n    - b.txt:\n        cache: false\n    n: 3\n',
    );
    expect(dumpDvcYaml(new Map([['train', entry]]), { indent: 4 })).toBe(
      '    train:\n      desc: word word word word word word word word word word word word word \n        word word word word word word word\n      outs:\n      - a\n      - b.txt:\n          cache: false\n      n: 3\n',
    );
  });

  it('is the whole document at indentation 0', () => {
    expect(dumpDvcYaml({ a: [1] }, { indent: 0 })).toBe(dumpDvcYaml({ a: [1] }));
  });
});
