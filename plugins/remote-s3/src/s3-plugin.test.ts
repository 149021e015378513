import { readFile } from 'node:fs/promises';
import { createHooks, type Tvc } from '@tvc/core';
import { describe, expect, it } from 'vitest';
import { S3RemotePlugin } from './s3-plugin';

describe('S3RemotePlugin', () => {
  it("taps remoteStorage.for('s3') and nothing else", () => {
    const hooks = createHooks();
    new S3RemotePlugin().apply({ hooks } as unknown as Tvc);
    expect(hooks.remoteStorage.get('s3')?.taps.map((tap) => tap.name)).toEqual(['tvc:remote-s3']);
    expect(hooks.remoteStorage.get('ssh')).toBeUndefined();
  });

  it('opens a storage through the hook, loading the SDK only then', async () => {
    const hooks = createHooks();
    new S3RemotePlugin().apply({ hooks } as unknown as Tvc);
    const url = 's3://bucket/prefix';
    const storage = await hooks.remoteStorage.for('s3').promise({
      name: 'store',
      url,
      scheme: 's3',
      options: { url, endpointurl: 'http://127.0.0.1:1', access_key_id: 'a', secret_access_key: 'b' },
      baseDir: '/',
    });
    expect(storage?.kind).toBe('s3');
    expect(storage?.url).toBe(url);
    await storage?.close();
  });

  it('keeps the AWS SDK out of the modules the preset loads at start-up', async () => {
    for (const file of ['index.ts', 's3-plugin.ts']) {
      const source = await readFile(new URL(file, import.meta.url), 'utf8');
      const staticImports = source.match(/^(?:import|export)\s[^;]*?from\s+'[^']+'/gms) ?? [];
      for (const statement of staticImports) {
        if (statement.startsWith('import type') || statement.startsWith('export type')) continue;
        expect(statement).not.toMatch(/@aws-sdk|@smithy|'\.\/(s3-storage|options|errors)'/);
      }
    }
  });
});
