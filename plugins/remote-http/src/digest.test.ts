import { describe, expect, it } from 'vitest';
import { DigestAuthenticator, digestSupported, parseDigestChallenge } from './digest';

// RFC 7616 §3.9.1: the worked example, with MD5 and SHA-256.
const CHALLENGE = (algorithm: string) =>
  `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, ` +
  'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
const CNONCE = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';

describe('digest auth', () => {
  it("answers RFC 7616's MD5 example", () => {
    const challenge = parseDigestChallenge(CHALLENGE('MD5'));
    expect(challenge).toMatchObject({
      realm: 'http-auth@example.org',
      algorithm: 'MD5',
      qopAuth: true,
      stale: false,
    });
    const auth = new DigestAuthenticator('Mufasa', 'Circle of Life');
    expect(auth.ready).toBe(false);
    auth.accept(challenge!);
    const header = auth.authorization('GET', '/dir/index.html', CNONCE);
    expect(header).toContain('response="8ca523f5e9506fed4657c9700eebdbec"');
    expect(header).toContain('nc=00000001');
    expect(header).toContain('opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"');
  });

  it("answers RFC 7616's SHA-256 example and counts the nonce's uses", () => {
    const auth = new DigestAuthenticator('Mufasa', 'Circle of Life');
    auth.accept(parseDigestChallenge(CHALLENGE('SHA-256'))!);
    expect(auth.authorization('GET', '/dir/index.html', CNONCE)).toContain(
      'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"',
    );
    expect(auth.authorization('GET', '/dir/index.html', CNONCE)).toContain('nc=00000002');
  });

  it('finds the digest challenge among several schemes and reads stale', () => {
    const challenge = parseDigestChallenge([
      'Basic realm="x"',
      'Digest realm="r, with comma", nonce="n1", stale=TRUE, Basic realm="y"',
    ]);
    expect(challenge).toMatchObject({ realm: 'r, with comma', nonce: 'n1', stale: true, qopAuth: false });
    expect(parseDigestChallenge('Basic realm="x"')).toBeUndefined();
    expect(parseDigestChallenge(undefined)).toBeUndefined();
  });

  it('uses the RFC 2069 form without qop and refuses unknown algorithms', () => {
    const auth = new DigestAuthenticator('u', 'p');
    auth.accept(parseDigestChallenge('Digest realm="r", nonce="n"')!);
    const header = auth.authorization('PUT', '/a');
    expect(header).not.toContain('qop=');
    expect(header).toMatch(/response="[0-9a-f]{32}"/);
    expect(digestSupported(parseDigestChallenge('Digest realm="r", nonce="n", algorithm=SHA-1')!)).toBe(
      false,
    );
  });
});
