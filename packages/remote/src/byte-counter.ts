import { Transform } from 'node:stream';

/** A pass-through stream that reports each chunk's size to `onProgress` (a storage's transfer progress). */
export function byteCounter(onProgress: ((bytes: number) => void) | undefined): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onProgress?.(chunk.length);
      callback(null, chunk);
    },
  });
}
