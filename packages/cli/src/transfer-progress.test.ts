import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Io } from './io';
import { formatBytes, TransferReporter } from './transfer-progress';

function fakeIo(isTTY: boolean, env: Record<string, string> = {}): { io: Io; err: () => string } {
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const io = { stdout: new PassThrough(), stderr, cwd: '/', env, isTTY, columns: 60 } as unknown as Io;
  return { io, err: () => text };
}

const progress = (files: number, bytes: number) => ({
  phase: 'transferring' as const,
  files,
  totalFiles: 10,
  bytes,
  totalBytes: 10 * 1024 * 1024,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('TransferReporter', () => {
  it('formats sizes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MiB');
  });

  it('redraws one live line with files and bytes on a terminal, and clears it at the end', async () => {
    vi.useFakeTimers();
    const { io, err } = fakeIo(true);
    const reporter = new TransferReporter(io, 'Pushing', false);
    reporter.update(progress(3, 3 * 1024 * 1024));
    vi.advanceTimersByTime(150);
    reporter.finish();
    await vi.runAllTimersAsync();
    expect(err()).toContain('\r\x1b[2KPushing 3/10 files, 3.0 MiB/10.0 MiB');
    expect(err().endsWith('\r\x1b[2K')).toBe(true);
    expect(err()).not.toContain('\n');
  });

  it('prints plain lines (at most every 10 s) without a terminal, or in CI, and nothing when quiet', async () => {
    vi.useFakeTimers();
    const plain = fakeIo(false);
    const reporter = new TransferReporter(plain.io, 'Fetching', false);
    reporter.update(progress(1, 1024));
    expect(plain.err()).toBe('');
    vi.advanceTimersByTime(10_001);
    reporter.update(progress(5, 5 * 1024));
    reporter.update(progress(6, 6 * 1024));
    reporter.finish();
    await vi.runAllTimersAsync();
    expect(plain.err().split('\n').filter(Boolean)).toHaveLength(1);
    expect(plain.err()).toMatch(/^Fetching 5\/10 files, 5.0 KiB\/10.0 MiB/);
    const ci = fakeIo(true, { CI: 'true' });
    const inCi = new TransferReporter(ci.io, 'Pushing', false);
    inCi.update(progress(1, 1));
    vi.advanceTimersByTime(500);
    inCi.finish();
    await vi.runAllTimersAsync();
    expect(ci.err()).toBe('');
    const quiet = fakeIo(true);
    const silent = new TransferReporter(quiet.io, 'Pushing', true);
    silent.update(progress(1, 1));
    vi.advanceTimersByTime(20_000);
    silent.update(progress(2, 2));
    silent.finish();
    await vi.runAllTimersAsync();
    expect(quiet.err()).toBe('');
  });
});
