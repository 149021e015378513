import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createHooks, type ReproResult, type ReproRun, type Stage, type Tvc } from '@tvc/core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Io } from './io';
import { HASHING_BAR_BYTES, hashingText, ReproReporter } from './reporter';

/** A terminal's stdout that keeps what was written, and a Tvc with nothing but hooks. */
function terminal(): { io: Io; out: () => string; tvc: Tvc } {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const io = { stdout, stderr: new PassThrough(), cwd: '/', env: {}, isTTY: true, columns: 120 } as Io;
  return { io, out: () => text, tvc: { hooks: createHooks() } as unknown as Tvc };
}

/** The live line as it last reads on screen (after the last line clear). */
function liveLine(text: string): string {
  return text.slice(text.lastIndexOf('\r\x1b[2K') + 5);
}

const run = { jobs: 1, options: {} } as unknown as ReproRun;
const stage = { addressing: 'train', kind: 'pipeline' } as unknown as Stage;

describe('the live line', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tvc-reporter-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shows hashing only while it happens, after half a second, and drops it when it stops', async () => {
    vi.useFakeTimers();
    const { io, out, tvc } = terminal();
    new ReproReporter(io).attach(tvc);
    await tvc.hooks.beforeRepro.promise(run);
    await tvc.hooks.stageStart.promise({ stage, run });
    const data = path.join(dir, 'data');
    tvc.hooks.hashProgress.call({ path: data, files: 1, bytes: 1000 });
    vi.advanceTimersByTime(300);
    expect(liveLine(out())).toBe('⏵ train 0.3s');
    for (let files = 2; files <= 10; files++) {
      tvc.hooks.hashProgress.call({ path: data, files, bytes: files * 1_000_000 });
      vi.advanceTimersByTime(100);
    }
    expect(liveLine(out())).toBe('⏵ train 1.2s │ hashing data 10 files, 10.0 MB');
    // The stage keeps running for seconds after hashing ends: the hashing part goes.
    vi.advanceTimersByTime(3000);
    expect(liveLine(out())).toBe('⏵ train 4.2s');
    await tvc.hooks.afterRepro.promise(run, { outcomes: new Map() } as unknown as ReproResult);
    expect(out().endsWith('\r\x1b[2K')).toBe(true);
  });

  it('draws a bar for a large file, with its share read', () => {
    const big = path.join(dir, 'big.bin');
    writeFileSync(big, '');
    const hashing = { path: big, files: 0, since: 0, last: 0, total: 4 * HASHING_BAR_BYTES };
    expect(hashingText({ ...hashing, bytes: HASHING_BAR_BYTES })).toBe(
      'hashing big.bin █████░░░░░░░░░░░░░░░ 25% 67.1 MB of 268.4 MB',
    );
    expect(hashingText({ ...hashing, total: 1000, bytes: 500, files: 1 })).toBe(
      'hashing big.bin 1 file, 0.0 MB',
    );
  });

  it('stats the file being hashed for its size', async () => {
    vi.useFakeTimers();
    const { io, out, tvc } = terminal();
    const big = path.join(dir, 'sparse.bin');
    writeFileSync(big, '');
    const { truncateSync } = await import('node:fs');
    truncateSync(big, 2 * HASHING_BAR_BYTES);
    new ReproReporter(io).attach(tvc);
    await tvc.hooks.beforeRepro.promise(run);
    for (let step = 1; step <= 8; step++) {
      tvc.hooks.hashProgress.call({ path: big, files: 0, bytes: step * (HASHING_BAR_BYTES / 8) });
      vi.advanceTimersByTime(100);
    }
    expect(liveLine(out())).toBe('⏵ hashing sparse.bin ██████████░░░░░░░░░░ 50% 67.1 MB of 134.2 MB');
  });
});
