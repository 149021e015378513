import { RemoteError } from '@tvc/remote';
import { describe, expect, it } from 'vitest';
import { isConnectionError, SFTP_STATUS, toRemoteError } from './ssh-errors';

const context = {
  url: 'ssh://bob@host:22/srv',
  operation: 'upload',
  username: 'bob',
  path: 'files/md5/ab/cd',
};

function mapped(error: unknown): RemoteError {
  return toRemoteError(error, context);
}

describe('ssh errors as RemoteError', () => {
  it('maps SFTP statuses: no such file → NOT_FOUND, permission denied → AUTH, failure → OTHER', () => {
    expect(
      mapped(Object.assign(new Error('No such file'), { code: SFTP_STATUS.NO_SUCH_FILE })),
    ).toMatchObject({
      code: 'NOT_FOUND',
      path: 'files/md5/ab/cd',
      retryable: false,
    });
    const denied = mapped(
      Object.assign(new Error('Permission denied'), { code: SFTP_STATUS.PERMISSION_DENIED }),
    );
    expect(denied.code).toBe('AUTH');
    expect(denied.hint).toContain("'bob'");
    expect(mapped(Object.assign(new Error('Failure'), { code: SFTP_STATUS.FAILURE })).code).toBe('OTHER');
  });

  it('maps refused, reset, timed-out and lost connections to retryable NETWORK errors', () => {
    for (const error of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:22'), {
        code: 'ECONNREFUSED',
        level: 'client-socket',
      }),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' }),
      Object.assign(new Error('getaddrinfo ENOTFOUND nohost'), { code: 'ENOTFOUND', level: 'client-dns' }),
      Object.assign(new Error('lost'), { code: SFTP_STATUS.CONNECTION_LOST }),
      new Error('No response from server'),
      new Error('Not connected'),
    ]) {
      expect(isConnectionError(error)).toBe(true);
      expect(mapped(error)).toMatchObject({ code: 'NETWORK', retryable: true });
    }
    expect(mapped(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })).hint).toMatch(/port/);
  });

  it('maps an authentication failure to AUTH with a hint naming the options', () => {
    const error = mapped(
      Object.assign(new Error('All configured authentication methods failed'), {
        level: 'client-authentication',
      }),
    );
    expect(error.code).toBe('AUTH');
    expect(error.retryable).toBe(false);
    expect(error.hint).toMatch(/keyfile/);
    expect(error.hint).toMatch(/ask_password/);
    expect(error.message).not.toMatch(/dvc/i);
  });

  it('passes a RemoteError through and never calls an unknown failure unexpected', () => {
    const original = new RemoteError('CONFIG', 'bad');
    expect(mapped(original)).toBe(original);
    const other = mapped('something odd');
    expect(other.code).toBe('OTHER');
    expect(other.message).not.toMatch(/unexpected error/i);
  });
});
