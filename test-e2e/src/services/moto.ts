import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from '../harness';
import { freePort } from './net';

/**
 * moto in server mode: an S3-compatible server on a free loopback port (the server DVC's own S3
 * tests use). `.ci/run` installs it into .venv beside DVC; each test file starts its own.
 */

/** Where `moto_server` is: TVC_MOTO_SERVER, the repository's .venv, or beside TVC_DVC. */
export function motoBinary(): string | undefined {
  const candidates = [
    process.env.TVC_MOTO_SERVER,
    path.join(REPO_ROOT, '.venv/bin/moto_server'),
    process.env.TVC_DVC ? path.join(path.dirname(process.env.TVC_DVC), 'moto_server') : undefined,
  ];
  return candidates.find((candidate): candidate is string => !!candidate && existsSync(candidate));
}

export interface MotoServer {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  readonly port: number;
  /** What the server printed (for a failing test's message). */
  log(): string;
  stop(): Promise<void>;
}

export interface MotoOptions {
  /**
   * Extra environment: `INITIAL_NO_AUTH_ACTION_COUNT=0` makes moto check every request's
   * credentials against its IAM (which knows none), so that any key is refused.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** How long to wait for the server to answer (default 30 s). */
  readonly timeoutMs?: number;
  /** Serve https with this certificate and key (PEM files) instead of http. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function answers(endpoint: string): Promise<boolean> {
  // Any certificate will do here: the tests check the storage's own verification.
  const get = endpoint.startsWith('https:') ? httpsGet : httpGet;
  return new Promise((resolve) => {
    const request = get(`${endpoint}/moto-api/`, { rejectUnauthorized: false, timeout: 2000 }, (response) => {
      response.resume();
      resolve((response.statusCode ?? 500) < 500);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve(false));
  });
}

async function startOnce(binary: string, options: MotoOptions): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const tlsArgs = options.tls ? ['-s', '-c', options.tls.cert, '-k', options.tls.key] : [];
  const child = spawn(binary, ['-H', '127.0.0.1', '-p', String(port), ...tlsArgs], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      running.delete(child);
      resolve();
    });
    child.once('error', (error) => {
      output += `\n${String(error)}`;
      exited = true;
      running.delete(child);
      resolve();
    });
  });
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const killed = await Promise.race([exit.then(() => true), sleep(5000).then(() => false)]);
    if (!killed) {
      child.kill('SIGKILL');
      await exit;
    }
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (exited) break;
    if (await answers(endpoint)) return { endpoint, port, log: () => output, stop };
    await sleep(100);
  }
  await stop();
  throw new Error(`moto_server did not answer on ${endpoint}${exited ? ' (it exited)' : ''}:\n${output}`);
}

/** Starts moto on a free loopback port; retries twice when another process took the port first. */
export async function startMoto(options: MotoOptions = {}): Promise<MotoServer> {
  const binary = motoBinary();
  if (!binary)
    throw new Error('moto_server is not installed: run .ci/run (it installs moto[server] in .venv)');
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(binary, options);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/**
 * A moto server for `what`, or undefined (with one line saying how to enable it) when moto is not
 * installed here. Under CI a missing or failing server fails the run instead.
 */
export async function motoForTests(what: string, options: MotoOptions = {}): Promise<MotoServer | undefined> {
  if (!motoBinary()) {
    if (process.env.CI) {
      throw new Error(
        `CI must test ${what} on moto, but moto_server is missing (.ci/run installs it in .venv)`,
      );
    }
    console.warn(
      `${what}: skipped; run \`.ci/run\` once (it installs moto[server] in .venv) or set TVC_MOTO_SERVER=/path/to/moto_server`,
    );
    return undefined;
  }
  return startMoto(options);
}
