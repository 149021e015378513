import { describe, expect, it } from 'vitest';
import { decodeUtf8, NotUtf8Error } from './text-decode';

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));

function failure(input: Buffer): NotUtf8Error {
  try {
    decodeUtf8(input, 'params.yaml');
  } catch (error) {
    return error as NotUtf8Error;
  }
  throw new Error('decoded');
}

describe('decodeUtf8', () => {
  it('decodes UTF-8, keeping a byte-order mark as Python does', () => {
    expect(decodeUtf8(bytes('a: é\n'), 'f')).toBe('a: é\n');
    expect(decodeUtf8(bytes([0xef, 0xbb, 0xbf], 'a: 1'), 'f')).toBe('\ufeffa: 1');
  });

  it("refuses invalid UTF-8 with Python's message and the place (issue 14 item 14)", () => {
    const error = failure(bytes('a: 1\nb: "x', [0xff], 'y"\n'));
    expect(error).toBeInstanceOf(NotUtf8Error);
    expect(error.message).toBe(
      "unable to read: 'params.yaml', is not valid utf-8: 'utf-8' codec can't decode byte 0xff in position 10: invalid start byte",
    );
    expect(error.location).toEqual({ file: 'params.yaml', line: 2, column: 6 });
  });

  it('names truncated and broken sequences as Python does', () => {
    expect(failure(bytes('é', [0xe2, 0x82])).message).toMatch(
      /byte 0xe2 in position 2: unexpected end of data$/,
    );
    expect(failure(bytes([0xe2, 0x41, 0x41])).message).toMatch(
      /byte 0xe2 in position 0: invalid continuation byte$/,
    );
    expect(failure(bytes([0xed, 0xa0, 0x80])).message).toMatch(
      /byte 0xed in position 0: invalid continuation byte$/,
    );
    expect(failure(bytes([0xc0, 0x80])).message).toMatch(/byte 0xc0 in position 0: invalid start byte$/);
  });
});
