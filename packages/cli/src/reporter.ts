import { statSync } from 'node:fs';
import path from 'node:path';
import type { ReproRun, Stage, StageEvent, Tvc } from '@tvc/core';
import type { Io } from './io';

const FRAME_MS = 100;
/** Hashing shows once it has lasted this long (no flash for small inputs)… */
const HASHING_AFTER_MS = 500;
/** …and until no progress came for this long (it has ended). */
const HASHING_IDLE_MS = 400;
/** A file at least this big gets a bar (its size is known; a directory's is not). */
export const HASHING_BAR_BYTES = 64 * 1024 * 1024;
const BAR_CELLS = 20;

/** What is being hashed: one path, its progress, when it started and last moved. */
export interface Hashing {
  path: string;
  files: number;
  bytes: number;
  since: number;
  last: number;
  /** A file's size (for the bar); undefined for a directory. */
  total: number | undefined;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The live line's hashing part: `hashing data/ 120 files, 3.4 MB`, or a bar for a large file. */
export function hashingText(hashing: Hashing): string {
  const name = path.basename(hashing.path);
  if (hashing.total !== undefined && hashing.total >= HASHING_BAR_BYTES) {
    const done = Math.min(1, hashing.bytes / hashing.total);
    const filled = Math.round(done * BAR_CELLS);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_CELLS - filled)}`;
    return `hashing ${name} ${bar} ${Math.floor(done * 100)}% ${megabytes(hashing.bytes)} of ${megabytes(hashing.total)}`;
  }
  const files = `${hashing.files} file${hashing.files === 1 ? '' : 's'}`;
  return `hashing ${name} ${files}, ${megabytes(hashing.bytes)}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/**
 * Renders a reproduction as DVC does (`Running stage 'x':`, `> cmd`, `Stage 'x' didn't change,
 * skipping`, lock messages), with the commands' own output passed through. With more than one job,
 * every line of a stage's output is prefixed with `[stage]` so parallel stages stay readable. On a
 * terminal a live line at the bottom shows each running stage with its elapsed time and, while
 * hashing happens, what is hashed (a bar for a large file); elsewhere (CI logs) nothing is redrawn.
 *
 * (Written here rather than with a progress-bar library: the live line must be cleared and redrawn
 * around output streamed from several processes, which those libraries do not coordinate.)
 */
export class ReproReporter {
  readonly #io: Io;
  readonly #live: boolean;
  #parallel = false;
  #previousReproduced = false;
  readonly #running = new Map<Stage, number>();
  readonly #partial = new Map<string, string>();
  #hashing: Hashing | undefined;
  #timer: NodeJS.Timeout | undefined;
  #footerShown = false;

  constructor(io: Io) {
    this.#io = io;
    this.#live = io.isTTY && !io.env.CI;
  }

  attach(tvc: Tvc): void {
    const name = 'tvc:cli-reporter';
    tvc.hooks.beforeRepro.tap(name, (run: ReproRun) => {
      this.#parallel = run.jobs > 1;
      if (this.#live) {
        this.#timer = setInterval(() => this.#drawFooter(), FRAME_MS);
        this.#timer.unref();
      }
    });
    tvc.hooks.stageSkipped.tap(name, ({ stage }: StageEvent) => {
      this.#separate(false);
      this.#line(
        stage.kind === 'data'
          ? `'${stage.addressing}' didn't change, skipping`
          : `Stage '${stage.addressing}' didn't change, skipping`,
      );
    });
    tvc.hooks.stageStart.tap(name, ({ stage }: StageEvent) => {
      this.#separate(true);
      this.#running.set(stage, Date.now());
      this.#line(`Running stage '${stage.addressing}':`);
    });
    tvc.hooks.stageCommand.tap(name, ({ stage }: StageEvent, command: string) => {
      this.#line(`> ${command}`, stage);
    });
    tvc.hooks.stageCached.tap(name, ({ stage }: StageEvent) => {
      this.#separate(true);
      this.#line(`Stage '${stage.addressing}' is cached - skipping run, checking out outputs`);
    });
    tvc.hooks.stageVerify.tap(name, ({ stage, run }: StageEvent) => {
      this.#separate(true);
      // DVC verifies nothing in a dry run and says nothing, but still separates the next stage.
      if (run.options.dry) return;
      this.#line(
        stage.kind === 'data'
          ? `Verifying data sources in stage: '${stage.addressing}'`
          : `Verifying outputs in frozen stage: '${stage.addressing}'`,
      );
    });
    tvc.hooks.stageImport.tap(name, (_event: StageEvent, imported) => {
      this.#separate(true);
      this.#line(`Importing '${imported.source}' -> '${imported.output}'`);
    });
    tvc.hooks.stageOutput.tap(name, ({ stage }: StageEvent, chunk: Buffer, stream) =>
      this.#output(stage, chunk, stream),
    );
    tvc.hooks.stageDone.tap(name, ({ stage }: StageEvent) => this.#finish(stage));
    tvc.hooks.stageFailed.tap(name, ({ stage }: StageEvent) => {
      // Failing before it started (a missing dependency): DVC still separated it from the last.
      if (!this.#running.has(stage)) this.#separate(false);
      this.#finish(stage);
    });
    tvc.hooks.lockWritten.tap(name, ({ file, created }) => {
      if (created) this.#line(`Generating lock file '${file}'`);
      this.#line(`Updating lock file '${file}'`);
    });
    tvc.hooks.hashProgress.tap(name, (progress) => {
      const now = Date.now();
      if (!this.#hashing || this.#hashing.path !== progress.path) {
        let total: number | undefined;
        try {
          const stats = statSync(progress.path);
          if (stats.isFile()) total = stats.size;
        } catch {
          // gone meanwhile: no bar
        }
        this.#hashing = { ...progress, since: now, last: now, total };
      } else {
        Object.assign(this.#hashing, { files: progress.files, bytes: progress.bytes, last: now });
      }
    });
    tvc.hooks.afterRepro.tap(name, (_run, result) => {
      for (const stage of result.outcomes.keys()) this.#finish(stage);
      if (this.#timer) clearInterval(this.#timer);
      this.#clearFooter();
    });
    tvc.hooks.log.tap(name, (event) => {
      if (event.level === 'warn') this.#write(this.#io.stderr, `WARNING: ${event.message}\n`);
    });
  }

  /** DVC prints an empty line before a stage when the previous one was reproduced. */
  #separate(reproduced: boolean): void {
    if (this.#previousReproduced && !this.#parallel) this.#line('');
    this.#previousReproduced = reproduced;
  }

  #finish(stage: Stage): void {
    this.#running.delete(stage);
    for (const stream of ['stdout', 'stderr'] as const) {
      const key = `${stage.addressing}\0${stream}`;
      const rest = this.#partial.get(key);
      if (rest) {
        this.#partial.delete(key);
        this.#write(
          stream === 'stdout' ? this.#io.stdout : this.#io.stderr,
          `[${stage.addressing}] ${rest}\n`,
        );
      }
    }
  }

  #line(text: string, stage?: Stage): void {
    const prefix = this.#parallel && stage ? `[${stage.addressing}] ` : '';
    this.#write(this.#io.stdout, `${prefix}${text}\n`);
  }

  #output(stage: Stage, chunk: Buffer, stream: 'stdout' | 'stderr'): void {
    const target = stream === 'stdout' ? this.#io.stdout : this.#io.stderr;
    if (!this.#parallel) {
      this.#write(target, chunk.toString());
      return;
    }
    // Whole lines only, each prefixed with its stage, so parallel outputs never interleave mid-line.
    const key = `${stage.addressing}\0${stream}`;
    const text = (this.#partial.get(key) ?? '') + chunk.toString();
    const lines = text.split('\n');
    this.#partial.set(key, lines.pop() ?? '');
    if (lines.length > 0)
      this.#write(target, lines.map((line) => `[${stage.addressing}] ${line}\n`).join(''));
  }

  #write(stream: NodeJS.WritableStream, text: string): void {
    this.#clearFooter();
    stream.write(text);
  }

  #clearFooter(): void {
    if (this.#footerShown) {
      this.#io.stdout.write('\r\x1b[2K');
      this.#footerShown = false;
    }
  }

  #drawFooter(): void {
    const parts = [...this.#running].map(
      ([stage, since]) => `${stage.addressing} ${seconds(Date.now() - since)}`,
    );
    // Hashing only while it happens: progress stops coming when it is over.
    const now = Date.now();
    const hashing = this.#hashing;
    if (hashing && now - hashing.last > HASHING_IDLE_MS) this.#hashing = undefined;
    else if (hashing && now - hashing.since >= HASHING_AFTER_MS) parts.push(hashingText(hashing));
    if (parts.length === 0) {
      this.#clearFooter();
      return;
    }
    const reported = (this.#io.stdout as NodeJS.WriteStream).columns;
    const columns = reported && reported > 0 ? reported : 80;
    const text = `⏵ ${parts.join(' │ ')}`.slice(0, Math.max(10, columns - 1));
    this.#io.stdout.write(`\r\x1b[2K${text}`);
    this.#footerShown = true;
  }
}
