import type { TransferProgress } from '@tvc/remote';
import type { Io } from './io';

const FRAME_MS = 100;
/** Without a terminal, a progress line at most this often (CI logs of long transfers). */
const PLAIN_EVERY_MS = 10_000;

/** 1.5 MiB, as DVC's progress bars show sizes (binary units). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/**
 * The progress of a push, pull or fetch on stderr: on a terminal a live line redrawn in place
 * (files and bytes, rate), cleared at the end; elsewhere a plain line every 10 seconds of a long
 * transfer, and nothing for a short one.
 */
export class TransferReporter {
  readonly #io: Io;
  readonly #verb: string;
  readonly #live: boolean;
  readonly #start = Date.now();
  #latest: TransferProgress | undefined;
  #lastPlain = Date.now();
  #timer: NodeJS.Timeout | undefined;
  #drawn = false;

  constructor(io: Io, verb: string, quiet: boolean) {
    this.#io = io;
    this.#verb = verb;
    this.#live = !quiet && io.isTTY && !io.env.CI;
    if (this.#live) {
      this.#timer = setInterval(() => this.#draw(), FRAME_MS);
      this.#timer.unref();
    }
    if (quiet) this.update = () => {};
  }

  update = (progress: TransferProgress): void => {
    this.#latest = progress;
    if (this.#live) return;
    const now = Date.now();
    if (now - this.#lastPlain >= PLAIN_EVERY_MS && progress.phase === 'transferring') {
      this.#lastPlain = now;
      this.#io.stderr.write(`${this.#text(progress)}\n`);
    }
  };

  #text(progress: TransferProgress): string {
    if (progress.phase === 'querying') return `${this.#verb}: checking the remote…`;
    const elapsed = Math.max(0.001, (Date.now() - this.#start) / 1000);
    const rate = formatBytes(Math.round(progress.bytes / elapsed));
    return `${this.#verb} ${progress.files}/${progress.totalFiles} files, ${formatBytes(progress.bytes)}${
      progress.totalBytes > 0 ? `/${formatBytes(progress.totalBytes)}` : ''
    } (${rate}/s)`;
  }

  #draw(): void {
    if (!this.#latest) return;
    const width = (this.#io.columns ?? 80) - 1;
    this.#io.stderr.write(`\r\x1b[2K${this.#text(this.#latest).slice(0, width)}`);
    this.#drawn = true;
  }

  /** Stops redrawing and clears the line. */
  finish(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#drawn) this.#io.stderr.write('\r\x1b[2K');
    this.#drawn = false;
  }
}
