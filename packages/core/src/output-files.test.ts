import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutputFileMissingError, OutputFiles } from './output-files';

let base: string;
let root: string;

beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'tvc-output-files-'));
  root = path.join(base, 'repo');
  mkdirSync(root);
  writeFileSync(path.join(base, 'secret.json'), '{"secret": 1}');
  writeFileSync(path.join(root, 'm.json'), '{"a": 1}');
});

afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('OutputFiles outside the repository (issue 14 items 9-10)', () => {
  it('never reads a path that climbs out of the repository; names it as DVC does', async () => {
    const files = new OutputFiles(root, []);
    await expect(files.bytes('../secret.json')).rejects.toThrow(OutputFileMissingError);
    await expect(files.bytes('../secret.json')).rejects.toThrow(
      "[Errno 2] No such file or directory: 'secret.json'",
    );
    await expect(files.bytes(path.join(base, 'secret.json'))).rejects.toThrow(OutputFileMissingError);
    expect((await files.bytes('m.json')).toString()).toBe('{"a": 1}');
  });

  it('finds no owner for an absolute path (it looped forever on `/`)', () => {
    const files = new OutputFiles(root, []);
    expect(files.owner('/tmp/x/outside.json')).toBeUndefined();
    expect(files.owner('../outside.json')).toBeUndefined();
  });
});
