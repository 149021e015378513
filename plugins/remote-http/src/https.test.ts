import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHttpStorage } from './http-storage';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');
const certificate = path.join(fixtures, 'localhost.crt');

let server: https.Server;
let origin: string;

beforeAll(async () => {
  server = https.createServer(
    { cert: readFileSync(certificate), key: readFileSync(path.join(fixtures, 'localhost.key')) },
    (request, response) => {
      response.writeHead(request.url === '/s/present' ? 200 : 404);
      response.end();
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function open(options: Record<string, unknown> = {}) {
  const url = `${origin}/s`;
  return openHttpStorage({
    name: 'web',
    url,
    scheme: 'https',
    options: { url, ...options },
    baseDir: fixtures,
  });
}

describe('https and ssl_verify', () => {
  it('refuses a certificate no CA vouches for, with a hint on ssl_verify, not retryable', async () => {
    const storage = await open();
    await expect(storage.exists('present')).rejects.toMatchObject({ code: 'NETWORK', retryable: false });
    await expect(storage.exists('present')).rejects.toHaveProperty(
      'hint',
      expect.stringContaining('ssl_verify'),
    );
    await storage.close();
  });

  it('trusts it with ssl_verify pointing at a CA bundle, or with ssl_verify false', async () => {
    for (const sslVerify of [certificate, false, 'false']) {
      const storage = await open({ ssl_verify: sslVerify });
      expect(await storage.exists('present')).toBe(true);
      expect(await storage.exists('absent')).toBe(false);
      await storage.close();
    }
  });

  it('a CA bundle that cannot be read is a CONFIG error naming it', async () => {
    await expect(open({ ssl_verify: path.join(fixtures, 'missing.pem') })).rejects.toMatchObject({
      code: 'CONFIG',
      path: path.join(fixtures, 'missing.pem'),
    });
  });
});
