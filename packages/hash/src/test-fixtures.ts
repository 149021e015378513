// Fixtures shared by the tests, with the values real DVC 3.67.1 produced for them.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HashError } from './errors.js';

/** [relpath, content, mode]: nested dirs, unicode, names that need JSON escapes, code-point order. */
export const FIXTURE_FILES: readonly [string, string | Buffer, number?][] = [
  ['a', 'A'],
  ['a-b', 'dash'],
  ['a.txt', 'hello\n'],
  ['b.txt', 'b'],
  ['b/x', 'x'],
  ['b-c/y', 'y'],
  ['empty', ''],
  ['nested/deep/er/file.bin', Buffer.from(Array.from({ length: 256 }, (_, index) => index))],
  ['ünï/ф.txt', 'u'],
  ['日本/語.txt', 'ja'],
  ['emoji-😀.txt', 'e'],
  ['fullwidth-ａ.txt', 'f'],
  ['quote"and\\backslash.txt', 'q'],
  ['tab\there', 't'],
  ['del\x7f', 'd'],
  ['new\nline', 'n'],
  ['run.sh', '#!/bin/sh\n', 0o755],
  ['crlf.txt', 'a\r\nb\r\n'],
  // U+FF41 sorts before U+1F600 by code point, after it by UTF-16 code unit
  ['sort-😀', 's1'],
  ['sort-ａ', 's2'],
];

/**
 * Obtained by writing this fixture (plus an empty directory `void/inner`, a symlink
 * `link-to-file` → `../outside.txt` holding "outside\n", and a symlink `link-to-dir` →
 * `../outside-dir`) into a fresh `git init && dvc init` repository and running
 * `/work/dvcenv/bin/dvc add data` (DVC 3.67.1); the values are data.dvc's and the manifest is
 * `cat .dvc/cache/files/md5/f0/c3e1fe240496e448a1ef80f42933fb.dir`.
 */
export const DVC_FIXTURE = {
  md5: 'f0c3e1fe240496e448a1ef80f42933fb.dir',
  size: 307,
  nfiles: 21,
  manifest:
    '[{"md5": "7fc56270e7a70fa81a5935b72eacbe29", "relpath": "a"}, {"md5": "b999a7c3bcc5535b4c8e277e18b7b6e1", "relpath": "a-b"}, {"md5": "b1946ac92492d2347c6235b4d2611184", "relpath": "a.txt"}, {"md5": "415290769594460e2e485922904f345d", "relpath": "b-c/y"}, {"md5": "92eb5ffee6ae2fec3ad71c777531578f", "relpath": "b.txt"}, {"md5": "9dd4e461268c8034f5c8564e155c67a6", "relpath": "b/x"}, {"md5": "59b0d7772f0561efb95518f3cb8abc60", "relpath": "crlf.txt"}, {"md5": "8277e0910d750195b448797616e091ad", "relpath": "del\\u007f"}, {"md5": "e1671797c52e15f763380b45e841ec32", "relpath": "emoji-\\ud83d\\ude00.txt"}, {"md5": "d41d8cd98f00b204e9800998ecf8427e", "relpath": "empty"}, {"md5": "8fa14cdd754f91cc6554c9e71929cce7", "relpath": "fullwidth-\\uff41.txt"}, {"md5": "c20e4cadb22a9940811171c21f086ae2", "relpath": "link-to-file"}, {"md5": "e2c865db4162bed963bfaa9ef6ac18f0", "relpath": "nested/deep/er/file.bin"}, {"md5": "7b8b965ad4bca0e41ab51de7b31363a1", "relpath": "new\\nline"}, {"md5": "7694f4a66316e53c8cdd9d9954bd611d", "relpath": "quote\\"and\\\\backslash.txt"}, {"md5": "3e2b31c72181b87149ff995e7202c0e3", "relpath": "run.sh"}, {"md5": "fac989447cad2edbc89fbcba70003b36", "relpath": "sort-\\uff41"}, {"md5": "8ddf878039b70767c4a5bcf4f0c4f65e", "relpath": "sort-\\ud83d\\ude00"}, {"md5": "e358efa489f58062f10dd7316b65649e", "relpath": "tab\\there"}, {"md5": "7b774effe4a349c6dd82ad4f4f21d34c", "relpath": "\\u00fcn\\u00ef/\\u0444.txt"}, {"md5": "a78c5bf69b40d464b954ef76815c6fa0", "relpath": "\\u65e5\\u672c/\\u8a9e.txt"}]',
  /** `find .dvc/cache -type f` after that `dvc add`, relative to .dvc/cache/files/md5 */
  objects: [
    '3e/2b31c72181b87149ff995e7202c0e3',
    '41/5290769594460e2e485922904f345d',
    '59/b0d7772f0561efb95518f3cb8abc60',
    '76/94f4a66316e53c8cdd9d9954bd611d',
    '7b/774effe4a349c6dd82ad4f4f21d34c',
    '7b/8b965ad4bca0e41ab51de7b31363a1',
    '7f/c56270e7a70fa81a5935b72eacbe29',
    '82/77e0910d750195b448797616e091ad',
    '8d/df878039b70767c4a5bcf4f0c4f65e',
    '8f/a14cdd754f91cc6554c9e71929cce7',
    '92/eb5ffee6ae2fec3ad71c777531578f',
    '9d/d4e461268c8034f5c8564e155c67a6',
    'a7/8c5bf69b40d464b954ef76815c6fa0',
    'b1/946ac92492d2347c6235b4d2611184',
    'b9/99a7c3bcc5535b4c8e277e18b7b6e1',
    'c2/0e4cadb22a9940811171c21f086ae2',
    'd4/1d8cd98f00b204e9800998ecf8427e',
    'e1/671797c52e15f763380b45e841ec32',
    'e2/c865db4162bed963bfaa9ef6ac18f0',
    'e3/58efa489f58062f10dd7316b65649e',
    'f0/c3e1fe240496e448a1ef80f42933fb.dir',
    'fa/c989447cad2edbc89fbcba70003b36',
  ],
} as const;

/** Writes the fixture: `<root>/data` (the directory to hash) and the symlink targets beside it. */
export function writeFixture(root: string): string {
  const data = path.join(root, 'data');
  for (const [relpath, content, mode] of FIXTURE_FILES) {
    const file = path.join(data, relpath);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    if (mode !== undefined) chmodSync(file, mode);
  }
  mkdirSync(path.join(data, 'void/inner'), { recursive: true });
  writeFileSync(path.join(root, 'outside.txt'), 'outside\n');
  mkdirSync(path.join(root, 'outside-dir'));
  writeFileSync(path.join(root, 'outside-dir/f'), 'f');
  symlinkSync('../outside.txt', path.join(data, 'link-to-file'));
  symlinkSync('../outside-dir', path.join(data, 'link-to-dir'));
  return data;
}

/** A fresh temporary directory; `cleanup()` removes all of them. */
const created: string[] = [];
export function temporaryDirectory(): string {
  const directory = mkdtempSync(path.join(tmpdir(), 'tvc-hash-test-'));
  created.push(directory);
  return directory;
}
export function cleanup(): void {
  for (const directory of created.splice(0)) rmSync(directory, { recursive: true, force: true });
}

/** Sets every file's mtime a minute back, out of the memo's racy window. */
export async function ageFiles(directory: string): Promise<void> {
  const past = new Date(Date.now() - 60_000);
  for (const dirent of await readdir(directory, { withFileTypes: true, recursive: true })) {
    if (dirent.isFile()) utimesSync(path.join(dirent.parentPath, dirent.name), past, past);
  }
}

/** The HashError code a promise rejects with ('resolved' when it does not reject). */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof HashError ? error.code : `not a HashError: ${String(error)}`;
  }
  return 'resolved';
}
