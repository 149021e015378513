import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  REMOTE_STORAGE_SPECIFICATION_VERSION,
  RemoteError,
  type RemoteStorage,
  type RemoteStorageRequest,
  type TransferOptions,
} from '@tvc/remote';
import type {
  AgentAuthMethod,
  Client,
  ConnectConfig,
  KeyboardInteractiveAuthMethod,
  NoAuthMethod,
  PasswordAuthMethod,
  PublicKeyAuthMethod,
  SFTPWrapper,
  Stats,
} from 'ssh2';
import { checkHostKeyInFiles, knownHostsName } from './known-hosts';
import { type SecretPrompt, terminalPrompt } from './prompt';
import { isConnectionError, isNoSuchFile, SFTP_STATUS, sftpCode, toRemoteError } from './ssh-errors';
import { DEFAULT_MAX_SESSIONS, resolveSshTarget, type SshEnvironment, type SshTarget } from './ssh-options';

const posix = path.posix;

/** What a test or an embedder may set besides the remote's options. */
export interface SshStorageEnvironment extends SshEnvironment {
  /** Asks for a password or passphrase (`ask_password`, `ask_passphrase`); the terminal by default. */
  readonly prompt?: SecretPrompt | undefined;
  /** ssh-agent's socket; `SSH_AUTH_SOCK` by default. */
  readonly agentSocket?: string | undefined;
}

/** A temporary upload's name: `<key>.<24 hex>.tmp` beside the object. */
const TMP_SUFFIX = /\.[0-9a-f]{24}\.tmp$/;
/** DVC's temporary upload names: `.<token_urlsafe(16)>.tmp` in the object's directory. */
const DVC_TMP_NAME = /^\.[A-Za-z0-9_-]{16,}\.tmp$/;

function isTemporaryName(name: string): boolean {
  return TMP_SUFFIX.test(name) || DVC_TMP_NAME.test(name);
}

/** Secrets asked on the terminal, once per host, user and port, as DVC memoizes them. */
const askedSecrets = new Map<string, Promise<string | undefined>>();

function askOnce(prompt: SecretPrompt, cacheKey: string, question: string): Promise<string | undefined> {
  let answer = askedSecrets.get(cacheKey);
  if (!answer) {
    answer = prompt(question);
    askedSecrets.set(cacheKey, answer);
  }
  return answer;
}

type AuthStep =
  | NoAuthMethod
  | PasswordAuthMethod
  | PublicKeyAuthMethod
  | AgentAuthMethod
  | KeyboardInteractiveAuthMethod;

type KeyParser = (data: Buffer, passphrase?: string) => unknown;

/** The authentication methods to offer, in order: keys, ssh-agent, password (also keyboard-interactive). */
async function authMethods(
  target: SshTarget,
  parseKey: KeyParser,
  environment: SshStorageEnvironment,
): Promise<AuthStep[]> {
  const { options, username } = target;
  const prompt = environment.prompt ?? terminalPrompt;
  const hostLabel = `${username}@${target.hostname}:${target.port}`;
  const methods: AuthStep[] = [];
  for (const file of target.identityFiles) {
    let data: Buffer;
    try {
      data = await fs.readFile(file);
    } catch (error) {
      if (target.explicitIdentity) {
        throw new RemoteError('CONFIG', `ssh ${target.displayUrl}: cannot read the key file ${file}`, {
          path: file,
          hint: "set the right path with 'tvc remote modify <name> keyfile <path>'",
          cause: error,
        });
      }
      continue;
    }
    let passphrase = options.passphrase;
    let parsed = parseKey(data, passphrase);
    if (parsed instanceof Error && /passphrase|decrypt|bad/i.test(parsed.message) && options.askPassphrase) {
      for (let attempt = 0; attempt < 3 && parsed instanceof Error; attempt++) {
        const answer =
          attempt === 0
            ? await askOnce(prompt, `passphrase\0${file}`, `Enter a passphrase for ${file}: `)
            : await prompt(`Enter a passphrase for ${file}: `);
        if (answer === undefined) break;
        passphrase = answer;
        parsed = parseKey(data, passphrase);
        if (!(parsed instanceof Error)) askedSecrets.set(`passphrase\0${file}`, Promise.resolve(answer));
      }
    }
    if (parsed instanceof Error) {
      if (target.explicitIdentity) {
        const encrypted = /passphrase|decrypt/i.test(parsed.message);
        throw new RemoteError(
          encrypted ? 'AUTH' : 'CONFIG',
          `ssh ${target.displayUrl}: cannot use the key file ${file}: ${parsed.message}`,
          {
            path: file,
            hint: encrypted
              ? "give its passphrase with 'tvc remote modify --local <name> passphrase <passphrase>' or 'ask_passphrase true'"
              : 'give an OpenSSH, PEM or PuTTY private key',
          },
        );
      }
      continue;
    }
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    methods.push({ type: 'publickey', username, key: key as Buffer });
  }
  const agent = environment.agentSocket ?? process.env.SSH_AUTH_SOCK;
  if (options.allowAgent && agent) methods.push({ type: 'agent', username, agent });
  let password = options.password;
  if (password === undefined && options.askPassword) {
    password = await askOnce(prompt, `password\0${hostLabel}`, `Enter a password for ${hostLabel}: `);
    if (password === undefined) {
      throw new RemoteError(
        'AUTH',
        `ssh ${target.displayUrl}: a password is asked for, but there is no terminal`,
        {
          hint: "set it with 'tvc remote modify --local <name> password <password>'",
        },
      );
    }
  }
  if (password !== undefined) {
    const secret = password;
    methods.push({ type: 'password', username, password: secret });
    methods.push({
      type: 'keyboard-interactive',
      username,
      prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => secret)),
    });
  }
  if (methods.length === 0) methods.push({ type: 'none', username });
  return methods;
}

interface PooledSession {
  readonly sftp: SFTPWrapper;
  readonly connection: Connection;
  broken: boolean;
}

interface Connection {
  readonly client: Client;
  alive: boolean;
}

function callback<T = void>(
  run: (done: (error: Error | null | undefined, value?: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    run((error, value) => (error ? reject(error) : resolve(value as T)));
  });
}

/** An SFTP storage: one SSH connection, a small pool of SFTP sessions on it, reopened when it drops. */
export class SshStorage implements RemoteStorage {
  readonly specificationVersion = REMOTE_STORAGE_SPECIFICATION_VERSION;
  readonly kind = 'ssh';
  readonly canList = true;
  readonly url: string;
  readonly target: SshTarget;

  readonly #environment: SshStorageEnvironment;
  readonly #idle: PooledSession[] = [];
  readonly #waiters: Array<() => void> = [];
  readonly #dirs = new Map<string, Promise<void>>();
  #maxSessions: number;
  #open = 0;
  #connection: Promise<Connection> | undefined;
  #closed = false;

  constructor(target: SshTarget, environment: SshStorageEnvironment = {}) {
    this.target = target;
    this.url = target.displayUrl;
    this.#environment = environment;
    // sshd allows 10 sessions a connection by default (MaxSessions); sshfs keeps 2 for other channels.
    this.#maxSessions = Math.max(1, (target.options.maxSessions ?? DEFAULT_MAX_SESSIONS) - 2);
  }

  #remotePath(key: string): string {
    const clean = key.replace(/^\/+/, '');
    return clean === '' ? this.target.root || '/' : `${this.target.root}/${clean}`;
  }

  #error(error: unknown, operation: string, key?: string): RemoteError {
    return toRemoteError(error, {
      url: this.url,
      path: key,
      operation,
      username: this.target.username,
    });
  }

  async #connect(): Promise<Connection> {
    const ssh2 = await import('ssh2');
    const { Client } = ssh2.default ?? ssh2;
    const parseKey = (ssh2.default ?? ssh2).utils.parseKey as KeyParser;
    const target = this.target;
    const authHandler = await authMethods(target, parseKey, this.#environment);
    const client = new Client();
    // every operation in flight listens for the connection's close
    client.setMaxListeners(0);
    const connection: Connection = { client, alive: true };
    let hostKeyProblem: RemoteError | undefined;
    const hostName = knownHostsName(target.hostname, target.port);
    const config: ConnectConfig = {
      host: target.hostname,
      port: target.port,
      username: target.username,
      readyTimeout: target.readyTimeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      authHandler,
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        checkHostKeyInFiles(target.knownHostsFiles, hostName, key).then(
          ({ verdict, file }) => {
            if (verdict === 'mismatch' || verdict === 'revoked') {
              hostKeyProblem = new RemoteError(
                'AUTH',
                `ssh ${this.url}: the server's host key ${verdict === 'revoked' ? 'is revoked in' : 'differs from the one for'} '${hostName}' in ${file}`,
                {
                  hint: `if the server's key changed on purpose, remove the old line with 'ssh-keygen -R "${hostName}"${file ? ` -f ${file}` : ''}'; otherwise someone may be impersonating the server`,
                  retryable: false,
                },
              );
              verify(false);
            } else {
              verify(true);
            }
          },
          () => verify(true),
        );
      },
    };
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => {
        connection.alive = false;
        reject(hostKeyProblem ?? error);
      };
      client.once('ready', () => {
        client.off('error', onError);
        resolve();
      });
      client.once('error', onError);
      client.connect(config);
    });
    client.on('error', () => {
      connection.alive = false;
    });
    client.on('close', () => {
      connection.alive = false;
      this.#dropIdle(connection);
    });
    client.on('end', () => {
      connection.alive = false;
    });
    return connection;
  }

  #dropIdle(connection: Connection): void {
    for (let i = this.#idle.length - 1; i >= 0; i--) {
      if (this.#idle[i]?.connection === connection) {
        this.#idle.splice(i, 1);
        this.#open--;
        this.#waiters.shift()?.();
      }
    }
  }

  async #getConnection(): Promise<Connection> {
    if (this.#closed) throw new RemoteError('ABORTED', `ssh ${this.url}: the storage is closed`);
    const current = this.#connection;
    if (current) {
      const connection = await current.catch(() => undefined);
      if (connection?.alive) return connection;
      if (this.#connection === current) this.#connection = undefined;
    }
    if (!this.#connection) {
      const attempt = this.#connect();
      this.#connection = attempt;
      attempt.catch(() => {
        if (this.#connection === attempt) this.#connection = undefined;
      });
    }
    return this.#connection;
  }

  async #openSession(): Promise<PooledSession> {
    const connection = await this.#getConnection();
    const sftp = await callback<SFTPWrapper>((done) => connection.client.sftp(done));
    const session: PooledSession = { sftp, connection, broken: false };
    sftp.on('close', () => {
      session.broken = true;
    });
    sftp.on('error', () => {
      session.broken = true;
    });
    return session;
  }

  async #acquire(signal?: AbortSignal): Promise<PooledSession> {
    for (;;) {
      signal?.throwIfAborted();
      const idle = this.#idle.pop();
      if (idle) {
        if (!idle.broken && idle.connection.alive) return idle;
        this.#open--;
        continue;
      }
      if (this.#open < this.#maxSessions) {
        this.#open++;
        try {
          return await this.#openSession();
        } catch (error) {
          this.#open--;
          this.#waiters.shift()?.();
          // The server allows fewer sessions than asked (sshd's MaxSessions): wait for one in use.
          if (this.#open > 0 && /open failure|open failed|administratively prohibited/i.test(String(error))) {
            this.#maxSessions = Math.max(1, this.#open);
          } else {
            throw error;
          }
        }
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #release(session: PooledSession): void {
    if (session.broken || !session.connection.alive || this.#closed) {
      this.#open--;
      if (!session.broken) session.sftp.end();
    } else {
      this.#idle.push(session);
    }
    this.#waiters.shift()?.();
  }

  /**
   * Runs `work` with a session of the pool. A connection that dropped before the work started is
   * reopened once; a failure is mapped to a {@link RemoteError}.
   */
  async #use<T>(
    operation: string,
    key: string | undefined,
    signal: AbortSignal | undefined,
    work: (sftp: SFTPWrapper) => Promise<T>,
  ): Promise<T> {
    let session: PooledSession;
    try {
      session = await this.#acquire(signal);
    } catch (error) {
      if (signal?.aborted)
        throw new RemoteError('ABORTED', `${operation} ${key ?? ''} aborted`.trim(), { path: key });
      throw this.#error(error, operation, key);
    }
    const onAbort = () => {
      session.broken = true;
      session.sftp.end();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    // ssh2 may never call back a request in flight when the connection drops: settle on the drop.
    let onGone = () => {};
    const gone = new Promise<never>((_resolve, reject) => {
      onGone = () => {
        session.broken = true;
        reject(Object.assign(new Error('the connection was closed'), { code: 'ECONNRESET' }));
      };
    });
    session.sftp.once('close', onGone);
    session.connection.client.once('close', onGone);
    try {
      return await Promise.race([work(session.sftp), gone]);
    } catch (error) {
      if (signal?.aborted)
        throw new RemoteError('ABORTED', `${operation} ${key ?? ''} aborted`.trim(), { path: key });
      if (isConnectionError(error)) session.broken = true;
      throw this.#error(error, operation, key);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      session.sftp.off('close', onGone);
      session.connection.client.off('close', onGone);
      this.#release(session);
    }
  }

  async #stat(sftp: SFTPWrapper, remotePath: string): Promise<Stats | undefined> {
    try {
      return await callback<Stats>((done) => sftp.stat(remotePath, done));
    } catch (error) {
      if (isNoSuchFile(error)) return undefined;
      throw error;
    }
  }

  /** mkdir -p, each directory once per storage (concurrent callers share one attempt). */
  #ensureDir(sftp: SFTPWrapper, dir: string): Promise<void> {
    if (dir === '' || dir === '/' || dir === '.') return Promise.resolve();
    let made = this.#dirs.get(dir);
    if (!made) {
      made = this.#makeDir(sftp, dir);
      this.#dirs.set(dir, made);
      made.catch(() => this.#dirs.delete(dir));
    }
    return made;
  }

  async #makeDir(sftp: SFTPWrapper, dir: string): Promise<void> {
    const mkdir = () => callback((done) => sftp.mkdir(dir, done));
    try {
      await mkdir();
      return;
    } catch (error) {
      if (isNoSuchFile(error)) {
        await this.#ensureDir(sftp, posix.dirname(dir));
        try {
          await mkdir();
          return;
        } catch (again) {
          if ((await this.#stat(sftp, dir))?.isDirectory()) return;
          throw again;
        }
      }
      // OpenSSH answers FAILURE for a directory that exists (maybe made by a concurrent writer).
      if ((await this.#stat(sftp, dir))?.isDirectory()) return;
      throw error;
    }
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<string> {
    const clean = prefix.replace(/^\/+/, '').replace(/\/{2,}/g, '/');
    const startDir = clean.endsWith('/') || clean === '' ? clean.replace(/\/+$/, '') : posix.dirname(clean);
    const start = startDir === '.' ? '' : startDir;
    const found: string[] = [];
    const pending: string[] = [start];
    let running = 0;
    let failure: unknown;
    let wake: (() => void) | undefined;
    const notify = () => {
      const resolve = wake;
      wake = undefined;
      resolve?.();
    };
    const readDir = async (relative: string) => {
      const remote = this.#remotePath(relative);
      let entries: Array<{ filename: string; attrs: Stats }>;
      try {
        entries = await this.#use('list', relative || '.', signal, (sftp) =>
          callback<Array<{ filename: string; attrs: Stats }>>((done) =>
            sftp.readdir(remote, done as (error: Error | undefined, list: unknown) => void),
          ),
        );
      } catch (error) {
        if (error instanceof RemoteError && error.code === 'NOT_FOUND') return;
        // A path under the prefix that is a file, not a directory.
        if (error instanceof RemoteError && sftpCode(error.cause) === SFTP_STATUS.FAILURE) return;
        throw error;
      }
      for (const entry of entries) {
        const child = relative === '' ? entry.filename : `${relative}/${entry.filename}`;
        if (entry.attrs.isDirectory()) pending.push(child);
        else if (!isTemporaryName(entry.filename) && child.startsWith(clean)) found.push(child);
      }
    };
    const pump = () => {
      while (failure === undefined && pending.length > 0 && running < this.#maxSessions) {
        const next = pending.shift() as string;
        running++;
        readDir(next).then(
          () => {
            running--;
            pump();
            notify();
          },
          (error: unknown) => {
            running--;
            failure ??= error;
            notify();
          },
        );
      }
    };
    pump();
    for (;;) {
      while (found.length > 0) yield found.shift() as string;
      if (failure !== undefined) throw failure;
      if (running === 0 && pending.length === 0) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }

  async exists(key: string, signal?: AbortSignal): Promise<boolean> {
    const stats = await this.#use('exists', key, signal, (sftp) => this.#stat(sftp, this.#remotePath(key)));
    return stats?.isFile() ?? false;
  }

  async upload(localPath: string, key: string, options: TransferOptions = {}): Promise<void> {
    const { signal, onProgress } = options;
    signal?.throwIfAborted();
    try {
      const stats = await fs.stat(localPath);
      if (!stats.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    } catch (error) {
      throw new RemoteError('NOT_FOUND', `upload: cannot read the local file ${localPath}`, {
        path: localPath,
        retryable: false,
        cause: error,
      });
    }
    const remote = this.#remotePath(key);
    const dir = posix.dirname(remote);
    const temporary = `${remote}.${randomBytes(12).toString('hex')}.tmp`;
    let wrote = false;
    try {
      await this.#use('upload', key, signal, async (sftp) => {
        await this.#ensureDir(sftp, dir);
        const put = () =>
          callback((done) =>
            sftp.fastPut(
              localPath,
              temporary,
              {
                step: (_total, chunk) => onProgress?.(chunk),
              },
              done,
            ),
          );
        wrote = true;
        try {
          await put();
        } catch (error) {
          // The directory was removed behind our back (its creation is cached): make it again.
          if (!isNoSuchFile(error)) throw error;
          this.#dirs.delete(dir);
          await this.#ensureDir(sftp, dir);
          await put();
        }
        await this.#rename(sftp, temporary, remote);
        wrote = false;
      });
    } catch (error) {
      if (wrote) await this.#removeQuietly(temporary);
      throw error;
    }
  }

  async #rename(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
    try {
      await callback((done) => sftp.ext_openssh_rename(from, to, done));
      return;
    } catch (error) {
      if (!/does not support/i.test(String(error))) throw error;
    }
    // No posix-rename@openssh.com: plain SFTP rename refuses to overwrite, so remove the old object first.
    try {
      await callback((done) => sftp.rename(from, to, done));
    } catch (error) {
      if (!(await this.#stat(sftp, to))) throw error;
      await callback((done) => sftp.unlink(to, done));
      await callback((done) => sftp.rename(from, to, done));
    }
  }

  /** Removes a temporary upload after a failure, best effort (a leftover is never taken as an object). */
  async #removeQuietly(remote: string): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#use('cleanup', undefined, undefined, (sftp) =>
        callback((done) => sftp.unlink(remote, done)),
      );
    } catch {
      // the connection is gone: the leftover `.tmp` file is skipped by list() and overwritten by nothing
    }
  }

  async download(key: string, localPath: string, options: TransferOptions = {}): Promise<void> {
    const { signal, onProgress } = options;
    signal?.throwIfAborted();
    const remote = this.#remotePath(key);
    try {
      await this.#use('download', key, signal, (sftp) =>
        callback((done) =>
          sftp.fastGet(
            remote,
            localPath,
            {
              step: (_total, chunk) => onProgress?.(chunk),
            },
            done,
          ),
        ),
      );
    } catch (error) {
      await fs.rm(localPath, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  async remove(key: string, signal?: AbortSignal): Promise<void> {
    await this.#use('remove', key, signal, async (sftp) => {
      try {
        await callback((done) => sftp.unlink(this.#remotePath(key), done));
      } catch (error) {
        if (!isNoSuchFile(error)) throw error;
      }
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const session of this.#idle.splice(0)) session.sftp.end();
    this.#open = 0;
    for (const waiter of this.#waiters.splice(0)) waiter();
    const connection = await this.#connection?.catch(() => undefined);
    this.#connection = undefined;
    connection?.client.end();
  }
}

/** Opens an ssh storage for a remote (nothing is connected until the first operation). */
export async function createSshStorage(
  request: Pick<RemoteStorageRequest, 'url' | 'options'>,
  environment: SshStorageEnvironment = {},
): Promise<SshStorage> {
  const target = await resolveSshTarget(request.url, request.options, environment);
  return new SshStorage(target, environment);
}
