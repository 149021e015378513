import { isUtf8 } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { TvcError } from './errors';

/**
 * A file that is not valid UTF-8. DVC reads its files with Python's strict `utf-8` codec and
 * refuses such a file by name (`unable to read: 'params.yaml', is not valid utf-8: …`), where
 * Node's lossy decoding would turn each bad byte into U+FFFD and let it flow into commands and
 * the lock file.
 */
export class NotUtf8Error extends TvcError {
  /** The offset of the first byte that cannot be decoded. */
  readonly offset: number;

  constructor(file: string, offset: number, reason: string, byte: number, line: number, column: number) {
    super(
      'FILE_NOT_UTF8',
      `unable to read: '${file}', is not valid utf-8: 'utf-8' codec can't decode byte 0x${byte
        .toString(16)
        .padStart(2, '0')} in position ${offset}: ${reason}`,
      {
        location: { file, line, column },
        hint: 'save the file as UTF-8 (tvc, like DVC, reads every pipeline, lock and params file as UTF-8)',
      },
    );
    this.name = 'NotUtf8Error';
    this.offset = offset;
  }
}

/** Where and why Python's strict `utf-8` decoder stops on `bytes` (which is not valid UTF-8). */
function firstInvalid(bytes: Uint8Array): { offset: number; reason: string } {
  let index = 0;
  while (index < bytes.length) {
    const byte = bytes[index]!;
    if (byte < 0x80) {
      index++;
      continue;
    }
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (byte >= 0xc2 && byte <= 0xdf) length = 2;
    else if (byte >= 0xe0 && byte <= 0xef) {
      length = 3;
      if (byte === 0xe0) low = 0xa0;
      if (byte === 0xed) high = 0x9f; // no surrogates
    } else if (byte >= 0xf0 && byte <= 0xf4) {
      length = 4;
      if (byte === 0xf0) low = 0x90;
      if (byte === 0xf4) high = 0x8f;
    } else return { offset: index, reason: 'invalid start byte' };
    for (let next = 1; next < length; next++) {
      if (index + next >= bytes.length) return { offset: index, reason: 'unexpected end of data' };
      const continuation = bytes[index + next]!;
      const [min, max] = next === 1 ? [low, high] : [0x80, 0xbf];
      if (continuation < min || continuation > max)
        return { offset: index, reason: 'invalid continuation byte' };
    }
    index += length;
  }
  return { offset: bytes.length, reason: 'unexpected end of data' };
}

/**
 * Decodes `bytes` as strict UTF-8, as DVC reads its files (a byte-order mark is kept, as Python's
 * `utf-8` codec keeps it), or throws {@link NotUtf8Error} naming `file` and the line and column of
 * the first byte that is not UTF-8.
 */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buffer)) return buffer.toString('utf8');
  const { offset, reason } = firstInvalid(buffer);
  const before = buffer.subarray(0, offset);
  let line = 1;
  let lineStart = 0;
  for (let index = 0; index < before.length; index++) {
    if (before[index] === 0x0a) {
      line++;
      lineStart = index + 1;
    }
  }
  const column = buffer.subarray(lineStart, offset).toString('utf8').length + 1;
  throw new NotUtf8Error(file, offset, reason, buffer[offset] ?? 0, line, column);
}

/** Reads a file as strict UTF-8 ({@link decodeUtf8}); `file` is the name errors give it. */
export async function readUtf8File(absolute: string, file: string): Promise<string> {
  return decodeUtf8(await readFile(absolute), file);
}
