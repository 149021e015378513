/**
 * A real OpenSSH server (Debian's `openssh-server`) for the ssh remote tests: `/usr/sbin/sshd -D -e`
 * on a free loopback port, with a generated host key, a generated user key authorized for the
 * current user, and SFTP served by `internal-sftp`. Under `CI=true` a server that cannot start
 * fails the test; elsewhere the tests skip with one line saying why.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitForGreeting } from './net';

const run = promisify(execFile);

export const SSHD_BINARY = '/usr/sbin/sshd';

export interface SshdServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The user the server lets in (the current user). */
  readonly user: string;
  /** A private key the server accepts for {@link user} (ed25519, no passphrase). */
  readonly keyFile: string;
  /** The server's host public key, `ssh-ed25519 AAAA…`. */
  readonly hostPublicKey: string;
  /** A scratch directory of the test run (keys, config, log). */
  readonly dir: string;
  /** `ssh://user@127.0.0.1:port<remotePath>` */
  url(remotePath: string): string;
  /** The server's log so far (its stderr). */
  log(): string;
  /** Stops the server and every session it forked (as killing the machine's sshd would). */
  stop(): Promise<void>;
  /**
   * Finds the server's processes now and returns a function that kills them at once, synchronously
   * (for a kill in the middle of a transfer, from a progress callback); then call {@link stop}.
   */
  prepareKill(): Promise<() => void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

/** The ids of the processes descended from `pid` (from /proc: Linux). */
async function descendants(pid: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isInteger(ppid)) continue;
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of parents.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

async function keygen(file: string, comment: string, passphrase = ''): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', comment, '-f', file]);
}

/** Makes one more ed25519 key pair in the server's directory (for wrong-key and passphrase tests). */
export async function makeKey(dir: string, name: string, passphrase = ''): Promise<string> {
  const file = path.join(dir, name);
  await keygen(file, name, passphrase);
  return file;
}

/**
 * Starts sshd, or explains why it cannot: under CI it throws; elsewhere it returns the reason
 * (the caller skips its tests with it).
 */
export async function startSshd(): Promise<SshdServer | string> {
  try {
    return await launch();
  } catch (error) {
    const reason = `the ssh remote tests need OpenSSH's sshd (apt-get install openssh-server): ${
      error instanceof Error ? error.message : String(error)
    }`;
    if (process.env.CI) throw new Error(`CI must run the ssh remote tests, but ${reason}`);
    return reason;
  }
}

async function launch(): Promise<SshdServer> {
  if (!existsSync(SSHD_BINARY)) throw new Error(`${SSHD_BINARY} is missing`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tvc-sshd-'));
  const user = os.userInfo().username;
  const isRoot = process.getuid?.() === 0;
  const hostKey = path.join(dir, 'host_ed25519');
  const userKey = path.join(dir, 'user_ed25519');
  await keygen(hostKey, 'tvc-test-host');
  await keygen(userKey, 'tvc-test-user');
  const authorized = path.join(dir, 'authorized_keys');
  await writeFile(authorized, await readFile(`${userKey}.pub`, 'utf8'));
  await chmod(authorized, 0o600);
  // sshd's privilege separation directory (Debian's package makes it at boot, not at install).
  if (isRoot) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });

  let port = 0;
  let child: ChildProcess | undefined;
  let log = '';
  const config = path.join(dir, 'sshd_config');
  const writeConfig = async () => {
    await writeFile(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${authorized}`,
        'AuthenticationMethods publickey',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        isRoot ? 'PermitRootLogin yes' : '',
        'StrictModes no',
        'MaxSessions 10',
        'MaxStartups 100',
        'Subsystem sftp internal-sftp',
        'LogLevel INFO',
        '',
      ].join('\n'),
    );
  };

  const spawnServer = async () => {
    log = '';
    const spawned = spawn(SSHD_BINARY, ['-D', '-e', '-f', config], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = spawned;
    // never outlive the test run, even one that timed out before its afterAll
    const reap = () => spawned.kill('SIGKILL');
    process.once('exit', reap);
    spawned.once('exit', () => process.off('exit', reap));
    spawned.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    await waitForGreeting(port, spawned, {
      name: 'sshd',
      answered: (text) => text.startsWith('SSH-'),
      timeoutMs: 10_000,
      intervalMs: 100,
    });
  };

  const start = async () => {
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      await writeConfig();
      try {
        await spawnServer();
        return;
      } catch (error) {
        await stop();
        if (attempt >= 2) throw new Error(`${(error as Error).message}\n${log}`);
      }
    }
  };

  const stop = async () => {
    const current = child;
    child = undefined;
    if (!current?.pid || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    // the sessions it forked first (each in a session of its own, so not in its process group)
    const sessions = await descendants(current.pid);
    current.kill('SIGKILL');
    for (const pid of sessions) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exited;
  };

  try {
    await start();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const hostPublicKey = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  return {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    user,
    keyFile: userKey,
    hostPublicKey,
    dir,
    url: (remotePath: string) => `ssh://${user}@127.0.0.1:${port}${remotePath}`,
    log: () => log,
    stop,
    prepareKill: async () => {
      const current = child;
      if (!current?.pid) return () => undefined;
      const pids = [current.pid, ...(await descendants(current.pid))];
      return () => {
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      };
    },
    start: async () => {
      await stop();
      // the same port, so that a storage opened before finds the server again
      await spawnServer();
    },
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
