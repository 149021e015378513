import { RemoteError } from '@tvc/remote';
import { describe, expect, it } from 'vitest';
import { checkAuth, parseHttpOptions } from './options';

function configError(fn: () => unknown): RemoteError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as RemoteError).code).toBe('CONFIG');
    return error as RemoteError;
  }
  throw new Error('expected a CONFIG error');
}

describe('parseHttpOptions', () => {
  it("has DVC's defaults", () => {
    expect(parseHttpOptions('web', { url: 'http://h/p' })).toEqual({
      auth: undefined,
      customAuthHeader: undefined,
      user: undefined,
      password: undefined,
      askPassword: false,
      sslVerify: true,
      method: 'POST',
      readTimeoutMs: 60_000,
      connectTimeoutMs: 60_000,
    });
  });

  it('reads the values as DVC types them, strings from the config included', () => {
    const options = parseHttpOptions('web', {
      auth: 'Basic',
      user: 'alice',
      password: 's3cret',
      ask_password: 'false',
      ssl_verify: 'False',
      method: 'put',
      read_timeout: '2.5',
      connect_timeout: 0,
    });
    expect(options).toMatchObject({
      auth: 'basic',
      askPassword: false,
      sslVerify: false,
      method: 'PUT',
      readTimeoutMs: 2500,
      connectTimeoutMs: 0,
    });
    expect(parseHttpOptions('web', { ssl_verify: 'certs/ca.pem' }).sslVerify).toMatch(/\/certs\/ca\.pem$/);
  });

  it('names the option that is wrong', () => {
    expect(configError(() => parseHttpOptions('web', { auth: 'ntlm' })).message).toContain("'auth'");
    expect(configError(() => parseHttpOptions('web', { method: 'PATCH' })).message).toContain("'method'");
    expect(configError(() => parseHttpOptions('web', { read_timeout: -1 })).path).toBe('read_timeout');
    expect(configError(() => parseHttpOptions('web', { connect_timeout: 'soon' })).path).toBe(
      'connect_timeout',
    );
    expect(configError(() => parseHttpOptions('web', { ask_password: 'maybe' })).path).toBe('ask_password');
    expect(configError(() => parseHttpOptions('web', { ssl_verify: '' })).path).toBe('ssl_verify');
  });

  it('checks that each auth has what it needs', () => {
    const basic = parseHttpOptions('web', { auth: 'basic', user: 'alice' });
    const error = configError(() => checkAuth('web', basic, undefined));
    expect(error.message).toContain("requires both 'user' and 'password'");
    expect(error.hint).toContain('tvc remote modify --local web password');
    expect(() => checkAuth('web', basic, 'pw')).not.toThrow();
    const custom = parseHttpOptions('web', { auth: 'custom' });
    expect(configError(() => checkAuth('web', custom, 'token')).path).toBe('custom_auth_header');
    expect(() => checkAuth('web', parseHttpOptions('web', {}), undefined)).not.toThrow();
  });
});
