import { describe, expect, it } from 'vitest';
import { parseRetryAfter, statusError, transportError } from './errors';

const remote = { name: 'web', url: 'http://127.0.0.1:1/store' };

describe('HTTP errors', () => {
  it('classifies statuses', () => {
    expect(statusError(remote, 'downloading', 'k', 404, {}).code).toBe('NOT_FOUND');
    const auth = statusError(remote, 'uploading', 'k', 401, {});
    expect(auth).toMatchObject({ code: 'AUTH', retryable: false, path: 'k' });
    expect(auth.hint).toContain('tvc remote modify --local web');
    expect(statusError(remote, 'uploading', 'k', 403, {}).code).toBe('AUTH');
    const busy = statusError(remote, 'downloading', 'k', 503, { 'retry-after': '7' });
    expect(busy).toMatchObject({ code: 'THROTTLED', retryable: true, retryAfterMs: 7000 });
    expect(statusError(remote, 'downloading', 'k', 429, {})).toMatchObject({
      code: 'THROTTLED',
      retryAfterMs: undefined,
    });
    expect(statusError(remote, 'downloading', 'k', 502, {})).toMatchObject({
      code: 'OTHER',
      retryable: true,
    });
    expect(statusError(remote, 'uploading', 'k', 405, {}).hint).toContain('method PUT');
    expect(statusError(remote, 'uploading', 'k', 400, {})).toMatchObject({ code: 'OTHER', retryable: false });
    expect(busy.message).toBe(
      'http://127.0.0.1:1/store is busy: HTTP 503 Service Unavailable while downloading',
    );
  });

  it('reads Retry-After as seconds or a date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:10 GMT', now)).toBe(0);
    expect(parseRetryAfter('999999')).toBe(3_600_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('classifies socket, TLS and abort failures', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(transportError(remote, 'checking', 'k', refused)).toMatchObject({
      code: 'NETWORK',
      retryable: true,
    });
    const wrapped = new TypeError('fetch failed', {
      cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
    });
    expect(transportError(remote, 'checking', 'k', wrapped).code).toBe('NETWORK');
    const tls = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    const tlsError = transportError(remote, 'checking', 'k', tls);
    expect(tlsError).toMatchObject({ code: 'NETWORK', retryable: false });
    expect(tlsError.hint).toContain('ssl_verify');
    const controller = new AbortController();
    controller.abort();
    expect(transportError(remote, 'checking', 'k', new Error('x'), controller.signal).code).toBe('ABORTED');
    expect(transportError(remote, 'checking', 'k', new Error('odd')).code).toBe('OTHER');
  });
});
