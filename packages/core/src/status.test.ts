import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HashError } from '@tvc/hash';
import { afterEach, describe, expect, it } from 'vitest';
import { isHashRace } from './status';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function directory(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tvc-status-'));
  roots.push(root);
  return root;
}

const failure = (code: string, file: string) => new HashError(code, `${code}: ${file}`, { path: file });

describe('isHashRace', () => {
  it('is a race when the path failed on is gone or swapped for a directory since', () => {
    const root = directory();
    expect(isHashRace(failure('NOT_FOUND', path.join(root, 'gone')))).toBe(true);
    const enoent = Object.assign(new Error('ENOENT'), { code: 'ENOENT', path: path.join(root, 'gone') });
    expect(isHashRace(enoent)).toBe(true);
    mkdirSync(path.join(root, 'now-a-directory'));
    expect(isHashRace(failure('NOT_A_FILE', path.join(root, 'now-a-directory')))).toBe(true);
    writeFileSync(path.join(root, 'file'), '');
    expect(isHashRace(failure('ENOTDIR', path.join(root, 'file', 'below')))).toBe(true);
  });

  it('is not a race when what failed is still there as it was', () => {
    const root = directory();
    symlinkSync(path.join(root, 'nowhere'), path.join(root, 'broken'));
    expect(isHashRace(failure('NOT_FOUND', path.join(root, 'broken')))).toBe(false);
    execFileSync('mkfifo', [path.join(root, 'fifo')]);
    expect(isHashRace(failure('NOT_A_FILE', path.join(root, 'fifo')))).toBe(false);
    writeFileSync(path.join(root, 'unreadable'), '');
    expect(isHashRace(failure('EACCES', path.join(root, 'unreadable')))).toBe(false);
    expect(isHashRace(new Error('no code'))).toBe(false);
  });
});
