import { describe, expect, it } from 'vitest';
import { checkHostKey, hostFieldMatches, keyTypeOf, knownHostsName } from './known-hosts';

// A host key and the line OpenSSH's 'ssh-keygen -H' wrote for it as '[127.0.0.1]:2222'.
const KEY = 'AAAAC3NzaC1lZDI1NTE5AAAAIHIl75PDYyeTcSHUnMQWsto6io+XJS1FN17fKocJHBQ5';
const HASHED =
  '|1|C9nTQfTXthgf6ograzvlzxbQzJc=|iB6IeioFHBeo7uCsDypbz96qkOQ= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHIl75PDYyeTcSHUnMQWsto6io+XJS1FN17fKocJHBQ5';
const blob = Buffer.from(KEY, 'base64');
const OTHER = Buffer.from(KEY, 'base64');
OTHER[OTHER.length - 1] = (OTHER[OTHER.length - 1] ?? 0) ^ 0xff;

describe('known_hosts', () => {
  it('reads the key type from the wire-format blob', () => {
    expect(keyTypeOf(blob)).toBe('ssh-ed25519');
    expect(keyTypeOf(Buffer.from([0, 0]))).toBeUndefined();
  });

  it('names a server as ssh does: the host on port 22, [host]:port elsewhere', () => {
    expect(knownHostsName('example.org', 22)).toBe('example.org');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('matches lines hashed by ssh-keygen -H', () => {
    expect(hostFieldMatches(HASHED.split(' ')[0] as string, '[127.0.0.1]:2222')).toBe(true);
    expect(hostFieldMatches(HASHED.split(' ')[0] as string, '127.0.0.1')).toBe(false);
    expect(checkHostKey(HASHED, '[127.0.0.1]:2222', blob)).toBe('match');
    expect(checkHostKey(HASHED, '[127.0.0.1]:2222', OTHER)).toBe('mismatch');
    expect(checkHostKey(HASHED, '[127.0.0.1]:2223', OTHER)).toBe('unknown');
  });

  it('matches comma-separated patterns with wildcards and negations', () => {
    expect(hostFieldMatches('a.example.org,b.example.org', 'b.example.org')).toBe(true);
    expect(hostFieldMatches('*.example.org', 'B.Example.org')).toBe(true);
    expect(hostFieldMatches('*.example.org,!bad.example.org', 'bad.example.org')).toBe(false);
    expect(hostFieldMatches('host?', 'host1')).toBe(true);
    expect(hostFieldMatches('host?', 'host12')).toBe(false);
  });

  it('tells a known key, a changed key, a revoked key and an unknown host apart', () => {
    const text = ['# comment', '', `example.org ssh-ed25519 ${KEY} me@laptop`].join('\n');
    expect(checkHostKey(text, 'example.org', blob)).toBe('match');
    expect(checkHostKey(text, 'example.org', OTHER)).toBe('mismatch');
    expect(checkHostKey(text, 'other.org', OTHER)).toBe('unknown');
    // another key type for the host is not a mismatch (the server may offer several)
    expect(checkHostKey('example.org ssh-rsa AAAAB3NzaC1yc2E=', 'example.org', blob)).toBe('unknown');
    expect(checkHostKey(`@revoked * ssh-ed25519 ${KEY}\n${text}`, 'example.org', blob)).toBe('revoked');
    expect(
      checkHostKey(`@cert-authority *.org ssh-ed25519 ${OTHER.toString('base64')}`, 'example.org', blob),
    ).toBe('unknown');
  });
});
