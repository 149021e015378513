/**
 * A real Redis (Debian's `redis-server`) for the distributed queue's tests: one server per test file
 * on a free loopback port, with its data in a temporary directory and the append-only file on
 * (fsync always), so that a restart keeps every job — as a production Redis for BullMQ must be set up.
 * Under `CI=true` a server that cannot start fails the test; elsewhere the tests skip with the reason.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForGreeting } from './net';

export const REDIS_BINARY = '/usr/bin/redis-server';

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly dir: string;
  /** The server's output so far. */
  log(): string;
  /** Stops it (SIGTERM: Redis writes its data and exits). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

async function launch(): Promise<RedisServer> {
  if (!existsSync(REDIS_BINARY)) throw new Error(`${REDIS_BINARY} is missing`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tvc-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';
  const start = async () => {
    const server = spawn(
      REDIS_BINARY,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--daemonize',
        'no',
        // BullMQ refuses an eviction policy that could drop its keys
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    server.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child = server;
    await waitForGreeting(port, server, {
      name: 'redis-server',
      send: 'PING\r\n',
      answered: (text) => text.startsWith('+PONG'),
      timeoutMs: 10_000,
      intervalMs: 50,
    });
  };
  const stop = async () => {
    const server = child;
    child = undefined;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    server.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    log: () => output,
    stop,
    start,
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts redis-server, or explains why it cannot: under CI it throws; elsewhere it returns the
 * reason (the caller skips its tests with it).
 */
export async function startRedis(): Promise<RedisServer | string> {
  try {
    return await launch();
  } catch (error) {
    const reason = `the distributed queue tests need redis-server (apt-get install redis-server): ${
      error instanceof Error ? error.message : String(error)
    }`;
    if (process.env.CI) throw new Error(`CI must run the distributed queue tests, but ${reason}`);
    return reason;
  }
}
