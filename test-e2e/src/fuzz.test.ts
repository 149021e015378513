import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

/**
 * The fuzz suite: fast-check properties over every reader of untrusted text — dvc.yaml (loaded as
 * a command loads it, templating included), dvc.lock (and a run-cache entry), `.dvc` files, and the
 * four params formats' `read`. Inputs are structured but hostile: mutations of real fixtures
 * (truncation, byte flips, inserted tokens, invalid UTF-8, NUL, repeats), random YAML-ish token
 * soup, and fixed hostile documents (deep nesting, alias bombs, huge numbers, odd keys, `../`
 * paths, non-hex hashes), each fixed one run once before the random ones.
 *
 * Property: each call returns a value, or throws a TvcError carrying a location (every problem of a
 * TvcErrorList too) or the format's ParamsSyntaxError with a line; never another error (TypeError,
 * RangeError…: an internal error, which the CLI would print as "unexpected error"). And each call
 * ends within FUZZ_BOUND_MS (default 5000), a heap within 512 MB, and leaves Object.prototype as
 * it was (a key like `__proto__` stays data).
 *
 * It lives here, not beside each reader, because bounding a hang or a heap needs the reader in a
 * worker thread that can be cut off, and a worker runs the built JavaScript (Node 20 does not load
 * TypeScript), as the rest of test-e2e does. Each reader gets a worker (src/fuzz/worker.mjs); the
 * worker posts each input before the call, so a hang is reported with its input.
 *
 * FUZZ_RUNS (default 200 per reader, what CI runs), FUZZ_SEED (default: fixed under CI, else drawn; printed on failure),
 * FUZZ_READER=<name> to run one. `pnpm test:fuzz` runs 2000 per reader.
 */

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fuzz/worker.mjs');
const READERS = ['dvc.yaml', 'dvc.lock', '.dvc', 'params.yaml', 'params.json', 'params.toml', 'params.py'];
const numRuns = Number(process.env.FUZZ_RUNS ?? 200);
/** FUZZ_SEED, else a fixed seed in CI (the same sample every run), else a new one (printed). */
const seed = process.env.FUZZ_SEED
  ? Number(process.env.FUZZ_SEED)
  : process.env.CI
    ? 20261207
    : Math.floor(Math.random() * 2 ** 31);
const boundMs = Number(process.env.FUZZ_BOUND_MS ?? 5000);
/** No message from the worker for this long: the call in progress hangs. */
const HANG_MS = Math.max(10_000, boundMs * 2);
const only = process.env.FUZZ_READER;

/** An input as a reader saw it, shortened for a message (U+DCxx are raw bytes, see worker.mjs). */
function show(text: string): string {
  const json = JSON.stringify(text);
  return json.length > 300 ? `${json.slice(0, 300)}… (${text.length} characters)` : json;
}

function shorten(report: string): string {
  return report
    .split('\n')
    .map((line) => (line.length > 400 ? `${line.slice(0, 400)}… (${line.length} characters)` : line))
    .join('\n');
}

interface WorkerMessage {
  readonly type: string;
  readonly text?: string;
  readonly verdict?: string;
  readonly report?: string;
  readonly runs?: number;
  readonly index?: number;
  readonly failures?: { text: string; verdict: string }[];
}

/** How one worker run ended. */
type Outcome =
  | { readonly kind: 'passed' }
  | { readonly kind: 'failed'; readonly report: string }
  | {
      readonly kind: 'fixed-done';
      readonly failures: readonly { text: string; verdict: string }[];
      readonly runs: number;
    }
  /** Cut off (a hang, the heap limit, a crash) on the input numbered `index`. */
  | { readonly kind: 'cut'; readonly why: string; readonly text?: string; readonly index?: number };

/** Runs one reader's property (or its fixed documents from `from` on) in a worker. */
function runWorker(reader: string, mode: 'fixed' | 'random', from = 0): Promise<Outcome> {
  return new Promise((resolve) => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'tvc-fuzz-'));
    const worker = new Worker(WORKER, {
      workerData: { reader, mode, seed, numRuns, boundMs, from, scratch },
      resourceLimits: { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 64 },
      stdout: true,
      stderr: true,
    });
    let last: { text: string; index?: number } | undefined;
    let first: { text: string; verdict: string } | undefined;
    let settled = false;
    const finish = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      const clean = (): void => {
        try {
          rmSync(scratch, { recursive: true, force: true });
        } catch {
          // the worker was still writing: the second try, once it has stopped, removes it
        }
      };
      void worker.terminate().finally(clean);
      clean();
      resolve(outcome);
    };
    const cut = (why: string): void =>
      finish({
        kind: 'cut',
        why:
          first && mode === 'random'
            ? `${why}\nan earlier failure: ${first.verdict} on ${show(first.text)}`
            : why,
        ...(last ? { text: last.text, ...(last.index === undefined ? {} : { index: last.index }) } : {}),
      });
    let watchdog = setTimeout(() => {}, 0);
    const arm = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => cut(`hang — no answer in ${HANG_MS} ms`), HANG_MS);
    };
    arm();
    worker.on('message', (message: WorkerMessage) => {
      arm();
      if (message.type === 'input')
        last = { text: message.text!, ...(message.index === undefined ? {} : { index: message.index }) };
      else if (message.type === 'first-failure') first ??= { text: message.text!, verdict: message.verdict! };
      else if (message.type === 'passed') finish({ kind: 'passed' });
      else if (message.type === 'failed') finish({ kind: 'failed', report: message.report! });
      else if (message.type === 'fixed-done')
        finish({ kind: 'fixed-done', failures: message.failures ?? [], runs: message.runs ?? 0 });
    });
    worker.on('error', (error: Error & { code?: string }) =>
      cut(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? 'unbounded memory (over 512 MB of heap)'
          : `worker error: ${error.stack}`,
      ),
    );
    worker.on('exit', (code) => cut(`the worker exited (${code})`));
  });
}

/** Every fixed hostile document of a reader (past one that hangs, too): the failures, or undefined. */
async function fuzzFixed(reader: string): Promise<string | undefined> {
  const failures: { text: string; verdict: string }[] = [];
  let runs = 0;
  for (let from = 0; ; ) {
    const outcome = await runWorker(reader, 'fixed', from);
    if (outcome.kind === 'fixed-done') {
      failures.push(...outcome.failures);
      runs = outcome.runs;
      break;
    }
    if (outcome.kind !== 'cut' || outcome.index === undefined) {
      return `${reader}: the fixed documents' worker ended without a result: ${JSON.stringify(outcome).slice(0, 2000)}`;
    }
    failures.push({ text: outcome.text ?? '', verdict: outcome.why });
    from = outcome.index + 1;
  }
  return failures.length === 0
    ? undefined
    : `${reader}: ${failures.length} of ${runs} hostile documents fail:\n${failures
        .map((failure) => `- ${shorten(failure.verdict)}\n  on ${show(failure.text)}`)
        .join('\n')}\nreplay: FUZZ_READER=${reader}`;
}

/** The seeded random property of a reader: the failure (fast-check's report, shrunk), or undefined. */
async function fuzzRandom(reader: string): Promise<string | undefined> {
  const replay = `replay: FUZZ_SEED=${seed} FUZZ_RUNS=${numRuns} FUZZ_READER=${reader}`;
  const outcome = await runWorker(reader, 'random');
  if (outcome.kind === 'passed') return undefined;
  if (outcome.kind === 'failed') return `${reader}: ${shorten(outcome.report)}\n${replay}`;
  if (outcome.kind === 'cut')
    return `${reader}: ${outcome.why} on input ${show(outcome.text ?? '')}\n${replay}`;
  return `${reader}: unexpected worker result ${JSON.stringify(outcome).slice(0, 2000)}`;
}

describe('fuzz: no input makes a reader fail inside, hang or grow without bound', () => {
  for (const reader of READERS) {
    const skip = only !== undefined && only !== reader;
    it.skipIf(skip)(
      `${reader}: the fixed hostile documents`,
      async () => {
        const failure = await fuzzFixed(reader);
        expect(failure, failure).toBeUndefined();
      },
      120_000,
    );
    it.skipIf(skip)(
      `${reader}: ${numRuns} random inputs (seeded)`,
      async () => {
        const failure = await fuzzRandom(reader);
        expect(failure, failure).toBeUndefined();
      },
      120_000 + numRuns * 200,
    );
  }
});
