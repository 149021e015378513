import os from 'node:os';
import path from 'node:path';
import { RemoteError } from '@tvc/remote';

/** DVC's ssh remote options (dvc/config_schema.py), as the config gives them. */
export interface SshRemoteOptions {
  readonly user?: string | undefined;
  readonly port?: number | undefined;
  readonly keyfile?: string | undefined;
  readonly password?: string | undefined;
  readonly askPassword: boolean;
  readonly passphrase?: string | undefined;
  readonly askPassphrase: boolean;
  /** seconds */
  readonly timeout?: number | undefined;
  readonly allowAgent: boolean;
  readonly maxSessions?: number | undefined;
}

/** Where to connect and how, after the URL, the remote's options and ~/.ssh/config are merged. */
export interface SshTarget {
  /** The host as written in the URL (the name ~/.ssh/config's `Host` patterns match). */
  readonly alias: string;
  /** The host to connect to (`HostName` of ~/.ssh/config, else the URL's host). */
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  /** The remote's root directory on the server, absolute, without a trailing `/`. */
  readonly root: string;
  /** The key files to try, in order: `keyfile`, else ~/.ssh/config's `IdentityFile`s, else the default ones. */
  readonly identityFiles: readonly string[];
  /** Whether the key files are the explicit ones (a missing explicit key is an error). */
  readonly explicitIdentity: boolean;
  /** known_hosts files to check the server's key against. */
  readonly knownHostsFiles: readonly string[];
  /** How long connecting and the handshake may take (`timeout`, else `ConnectTimeout`, else DVC's 1800 s). */
  readonly readyTimeoutMs: number;
  readonly options: SshRemoteOptions;
  /** The URL as shown to the user: `ssh://user@host:port/path`, never a password. */
  readonly displayUrl: string;
}

/** The environment the options are resolved in (the tests give their own home). */
export interface SshEnvironment {
  readonly home?: string | undefined;
  /** The text of ~/.ssh/config; read from `home` when undefined, none when `null`. */
  readonly sshConfigText?: string | null | undefined;
  readonly localUser?: string | undefined;
}

/** DVC's default `timeout` (seconds), used for the connection and handshake. */
export const DEFAULT_TIMEOUT_SECONDS = 1800;
/** DVC's (sshfs's) default `max_sessions`; two of them are kept for other channels, as sshfs does. */
export const DEFAULT_MAX_SESSIONS = 10;

/** OpenSSH's default identity files, in the order ssh(1) tries them. */
const DEFAULT_IDENTITY_FILES = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_dsa'];

function optionalString(options: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = options[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new RemoteError('CONFIG', `ssh remote option '${key}' must be a string`, {
    hint: `set it with: tvc remote modify <name> ${key} <value>`,
  });
}

function optionalBool(options: Readonly<Record<string, unknown>>, key: string, fallback: boolean): boolean {
  const value = options[key];
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (['true', 'yes', '1', 'on'].includes(lower)) return true;
    if (['false', 'no', '0', 'off'].includes(lower)) return false;
  }
  throw new RemoteError(
    'CONFIG',
    `ssh remote option '${key}' must be true or false, not '${String(value)}'`,
    {
      hint: `set it with: tvc remote modify <name> ${key} true`,
    },
  );
}

function optionalInt(options: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const value = options[key];
  if (value === undefined || value === null || value === '') return undefined;
  const number =
    typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (!Number.isInteger(number) || number < 0) {
    throw new RemoteError(
      'CONFIG',
      `ssh remote option '${key}' must be a whole number, not '${String(value)}'`,
      {
        hint: `set it with: tvc remote modify <name> ${key} <number>`,
      },
    );
  }
  return number;
}

/** Reads DVC's ssh options from a remote's config section (values may still be strings). */
export function readSshOptions(options: Readonly<Record<string, unknown>>): SshRemoteOptions {
  return {
    user: optionalString(options, 'user'),
    port: optionalInt(options, 'port'),
    keyfile: optionalString(options, 'keyfile'),
    password: optionalString(options, 'password'),
    askPassword: optionalBool(options, 'ask_password', false),
    passphrase: optionalString(options, 'passphrase'),
    askPassphrase: optionalBool(options, 'ask_passphrase', false),
    timeout: optionalInt(options, 'timeout'),
    allowAgent: optionalBool(options, 'allow_agent', true),
    maxSessions: optionalInt(options, 'max_sessions'),
  };
}

interface ParsedSshUrl {
  readonly host: string;
  readonly port?: number | undefined;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  readonly path: string;
}

/** Parses `ssh://[user[:password]@]host[:port]/path`. */
export function parseSshUrl(url: string): ParsedSshUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RemoteError('CONFIG', `'${maskUrl(url)}' is not a valid ssh URL`, {
      hint: 'write it as ssh://user@host:port/absolute/path',
    });
  }
  if (parsed.protocol !== 'ssh:') {
    throw new RemoteError('CONFIG', `'${maskUrl(url)}' is not an ssh:// URL`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') {
    throw new RemoteError('CONFIG', `the ssh URL '${maskUrl(url)}' names no host`, {
      hint: 'write it as ssh://user@host:port/absolute/path',
    });
  }
  let remotePath = decodeURIComponent(parsed.pathname);
  remotePath = remotePath.replace(/\/+$/, '');
  return {
    host,
    port: parsed.port === '' ? undefined : Number(parsed.port),
    user: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    path: remotePath === '' ? '/' : remotePath,
  };
}

/** The URL with any password replaced by `***`. */
export function maskUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1:***@');
}

/** A value of a computed ~/.ssh/config section, keys matched case-insensitively as ssh(1) does. */
function configValue(section: Record<string, string | string[]>, key: string): string | string[] | undefined {
  const lower = key.toLowerCase();
  for (const [name, value] of Object.entries(section)) {
    if (name.toLowerCase() === lower) return value;
  }
  return undefined;
}

function configString(section: Record<string, string | string[]>, key: string): string | undefined {
  const value = configValue(section, key);
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value[0] : value;
}

function configList(section: Record<string, string | string[]>, key: string): string[] {
  const value = configValue(section, key);
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).flatMap((item) => item.split(/\s+/).filter(Boolean));
}

/** Expands `~` and the tokens ssh(1) expands in file names (`%d` home, `%u` local user, `%h` host, `%r` remote user, `%p` port, `%%`). */
export function expandSshPath(
  file: string,
  context: { home: string; localUser: string; host: string; user: string; port: number },
): string {
  let expanded = file.replace(/%([%dDuhrpn])/g, (_match, token: string) => {
    switch (token) {
      case '%':
        return '%';
      case 'd':
        return context.home;
      case 'u':
        return context.localUser;
      case 'h':
        return context.host;
      case 'r':
        return context.user;
      case 'p':
        return String(context.port);
      default:
        return `%${token}`;
    }
  });
  if (expanded === '~') expanded = context.home;
  else if (expanded.startsWith('~/')) expanded = path.join(context.home, expanded.slice(2));
  return expanded;
}

/**
 * Merges what decides where and as whom to connect, with DVC's precedence: the remote's options
 * (`user`, `port`, `keyfile`) over the URL's, over ~/.ssh/config's (`HostName`, `User`, `Port`,
 * `IdentityFile`), over the defaults (the local user, port 22, ~/.ssh/id_*).
 */
export async function resolveSshTarget(
  url: string,
  rawOptions: Readonly<Record<string, unknown>>,
  environment: SshEnvironment = {},
): Promise<SshTarget> {
  const options = readSshOptions(rawOptions);
  const parsed = parseSshUrl(url);
  const home = environment.home ?? os.homedir();
  const localUser = environment.localUser ?? safeLocalUser();

  let section: Record<string, string | string[]> = {};
  let configText = environment.sshConfigText;
  if (configText === undefined) {
    try {
      const fs = await import('node:fs/promises');
      configText = await fs.readFile(path.join(home, '.ssh', 'config'), 'utf8');
    } catch {
      configText = null;
    }
  }
  if (configText) {
    const { default: SSHConfig } = await import('ssh-config');
    try {
      section = SSHConfig.parse(configText).compute(parsed.host);
    } catch (error) {
      throw new RemoteError('CONFIG', `cannot read ${path.join(home, '.ssh', 'config')}: ${String(error)}`, {
        cause: error,
      });
    }
  }

  const hostname = configString(section, 'HostName') ?? parsed.host;
  const configPort = configString(section, 'Port');
  const port =
    options.port ?? parsed.port ?? (configPort === undefined ? undefined : Number(configPort)) ?? 22;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new RemoteError('CONFIG', `ssh port '${String(port)}' is not a port number`, {
      hint: 'set it with: tvc remote modify <name> port 22',
    });
  }
  const username = options.user ?? parsed.user ?? configString(section, 'User') ?? localUser;
  const context = { home, localUser, host: hostname, user: username, port };
  const expand = (file: string) => expandSshPath(file, context);

  let identityFiles: string[];
  let explicitIdentity = false;
  if (options.keyfile) {
    identityFiles = [expand(options.keyfile)];
    explicitIdentity = true;
  } else {
    const fromConfig = configList(section, 'IdentityFile');
    identityFiles =
      fromConfig.length > 0
        ? fromConfig.map(expand)
        : DEFAULT_IDENTITY_FILES.map((name) => path.join(home, '.ssh', name));
  }

  const userKnownHosts = configList(section, 'UserKnownHostsFile').filter(
    (file) => file.toLowerCase() !== 'none',
  );
  const knownHostsFiles = (
    userKnownHosts.length > 0
      ? userKnownHosts.map(expand)
      : [path.join(home, '.ssh', 'known_hosts'), path.join(home, '.ssh', 'known_hosts2')]
  ).concat(configList(section, 'GlobalKnownHostsFile').map(expand));

  const configTimeout = configString(section, 'ConnectTimeout');
  const timeoutSeconds =
    options.timeout ??
    (configTimeout === undefined ? undefined : Number(configTimeout)) ??
    DEFAULT_TIMEOUT_SECONDS;

  const displayHost = parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host;
  const displayPort = options.port ?? parsed.port;
  const displayUser = options.user ?? parsed.user;
  const displayUrl = `ssh://${displayUser ? `${encodeURIComponent(displayUser)}@` : ''}${displayHost}${
    displayPort === undefined ? '' : `:${displayPort}`
  }${parsed.path === '/' ? '' : parsed.path}`;

  return {
    alias: parsed.host,
    hostname,
    port,
    username,
    root: parsed.path === '/' ? '' : parsed.path,
    identityFiles,
    explicitIdentity,
    knownHostsFiles,
    readyTimeoutMs: Math.max(1, timeoutSeconds > 0 ? timeoutSeconds : DEFAULT_TIMEOUT_SECONDS) * 1000,
    options: { ...options, password: options.password ?? parsed.password },
    displayUrl,
  };
}

function safeLocalUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? 'root';
  }
}
