import path from 'node:path';
import { RemoteError } from '@tvc/remote';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TIMEOUT_SECONDS,
  expandSshPath,
  maskUrl,
  parseSshUrl,
  readSshOptions,
  resolveSshTarget,
} from './ssh-options';

const home = '/home/ann';
const env = { home, localUser: 'ann', sshConfigText: null };

describe('ssh URLs', () => {
  it('parses user, host, port and path', () => {
    expect(parseSshUrl('ssh://bob@example.org:2222/srv/dvc')).toEqual({
      host: 'example.org',
      port: 2222,
      user: 'bob',
      password: undefined,
      path: '/srv/dvc',
    });
    expect(parseSshUrl('ssh://example.org/')).toMatchObject({
      host: 'example.org',
      port: undefined,
      path: '/',
    });
    expect(parseSshUrl('ssh://[::1]:22/data/')).toMatchObject({ host: '::1', port: 22, path: '/data' });
    expect(parseSshUrl('ssh://host/with%20space')).toMatchObject({ path: '/with space' });
  });

  it('rejects what is not an ssh URL with a CONFIG error that never shows a password', () => {
    expect(() => parseSshUrl('s3://bucket/x')).toThrow(RemoteError);
    try {
      parseSshUrl('ssh://bob:hunter2@/x');
    } catch (error) {
      expect((error as RemoteError).code).toBe('CONFIG');
      expect((error as Error).message).not.toContain('hunter2');
    }
    expect(maskUrl('ssh://bob:hunter2@host/x')).toBe('ssh://bob:***@host/x');
    expect(maskUrl('ssh://bob@host/x')).toBe('ssh://bob@host/x');
  });
});

describe('DVC ssh options', () => {
  it('coerces strings as DVC’s schema does (port, timeout: int; ask_*, allow_agent: bool)', () => {
    expect(
      readSshOptions({
        port: '2200',
        timeout: '30',
        ask_password: 'true',
        allow_agent: 'false',
        max_sessions: 4,
      }),
    ).toMatchObject({ port: 2200, timeout: 30, askPassword: true, allowAgent: false, maxSessions: 4 });
    expect(readSshOptions({})).toMatchObject({ askPassword: false, askPassphrase: false, allowAgent: true });
    for (const bad of [{ port: 'abc' }, { ask_password: 'maybe' }, { timeout: -1 }]) {
      expect(() => readSshOptions(bad)).toThrow(/ssh remote option/);
    }
  });
});

describe('resolving where to connect', () => {
  it('defaults to the local user, port 22, ~/.ssh/id_* and known_hosts', async () => {
    const target = await resolveSshTarget('ssh://example.org/srv/dvc', {}, env);
    expect(target).toMatchObject({
      alias: 'example.org',
      hostname: 'example.org',
      port: 22,
      username: 'ann',
      root: '/srv/dvc',
      explicitIdentity: false,
      readyTimeoutMs: DEFAULT_TIMEOUT_SECONDS * 1000,
      displayUrl: 'ssh://example.org/srv/dvc',
    });
    expect(target.identityFiles).toContain(path.join(home, '.ssh', 'id_ed25519'));
    expect(target.knownHostsFiles[0]).toBe(path.join(home, '.ssh', 'known_hosts'));
  });

  it('lets the remote’s options win over the URL, and the URL over ~/.ssh/config', async () => {
    const sshConfigText = [
      'Host data',
      '  HostName 10.0.0.5',
      '  User carol',
      '  Port 2022',
      '  IdentityFile ~/.ssh/data_key',
      '  IdentityFile %d/.ssh/%r@%h',
      '  UserKnownHostsFile ~/.ssh/data_hosts',
      '  ConnectTimeout 7',
      'Host *',
      '  IdentityFile ~/.ssh/fallback',
    ].join('\n');
    const fromConfig = await resolveSshTarget('ssh://data/x', {}, { ...env, sshConfigText });
    expect(fromConfig).toMatchObject({
      hostname: '10.0.0.5',
      port: 2022,
      username: 'carol',
      readyTimeoutMs: 7000,
    });
    expect(fromConfig.identityFiles).toEqual([
      '/home/ann/.ssh/data_key',
      '/home/ann/.ssh/carol@10.0.0.5',
      '/home/ann/.ssh/fallback',
    ]);
    expect(fromConfig.knownHostsFiles).toEqual(['/home/ann/.ssh/data_hosts']);

    const fromUrl = await resolveSshTarget('ssh://dave@data:2200/x', {}, { ...env, sshConfigText });
    expect(fromUrl).toMatchObject({ hostname: '10.0.0.5', port: 2200, username: 'dave' });
    expect(fromUrl.displayUrl).toBe('ssh://dave@data:2200/x');

    const fromOptions = await resolveSshTarget(
      'ssh://dave@data:2200/x',
      { user: 'erin', port: 2300, keyfile: '~/keys/erin', timeout: 12 },
      { ...env, sshConfigText },
    );
    expect(fromOptions).toMatchObject({
      hostname: '10.0.0.5',
      port: 2300,
      username: 'erin',
      identityFiles: ['/home/ann/keys/erin'],
      explicitIdentity: true,
      readyTimeoutMs: 12_000,
      displayUrl: 'ssh://erin@data:2300/x',
    });
  });

  it('keeps a password of the URL out of the URL it shows', async () => {
    const target = await resolveSshTarget('ssh://bob:hunter2@example.org/x', {}, env);
    expect(target.displayUrl).toBe('ssh://bob@example.org/x');
    expect(target.options.password).toBe('hunter2');
    const configured = await resolveSshTarget('ssh://bob:hunter2@example.org/x', { password: 'other' }, env);
    expect(configured.options.password).toBe('other');
  });

  it('expands ~ and ssh’s % tokens in file names', () => {
    const context = { home, localUser: 'ann', host: 'h.example', user: 'bob', port: 2222 };
    expect(expandSshPath('~/.ssh/id_%u_%r_%h_%p%%', context)).toBe(
      '/home/ann/.ssh/id_ann_bob_h.example_2222%',
    );
    expect(expandSshPath('/abs/key', context)).toBe('/abs/key');
  });
});
