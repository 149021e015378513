import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configValue, readDvcConfig } from './dvc-config';
import { TvcError } from './errors';

let root: string;
const saved = { global: process.env.DVC_GLOBAL_CONFIG_DIR, system: process.env.DVC_SYSTEM_CONFIG_DIR };

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'tvc-dvc-config-'));
  mkdirSync(path.join(root, 'repo', '.dvc'), { recursive: true });
  mkdirSync(path.join(root, 'global'));
  process.env.DVC_GLOBAL_CONFIG_DIR = path.join(root, 'global');
  process.env.DVC_SYSTEM_CONFIG_DIR = path.join(root, 'system');
});
afterEach(() => {
  process.env.DVC_GLOBAL_CONFIG_DIR = saved.global;
  process.env.DVC_SYSTEM_CONFIG_DIR = saved.system;
  if (saved.global === undefined) delete process.env.DVC_GLOBAL_CONFIG_DIR;
  if (saved.system === undefined) delete process.env.DVC_SYSTEM_CONFIG_DIR;
});

describe('readDvcConfig', () => {
  it('merges the user config under the project config, as DVC does', () => {
    writeFileSync(
      path.join(root, 'global', 'config'),
      '[cache]\n    type = hardlink, symlink\n    dir = shared\n',
    );
    writeFileSync(path.join(root, 'repo', '.dvc', 'config'), `['remote "origin"']\n    url = ../store\n`);
    const config = readDvcConfig(path.join(root, 'repo'));
    expect(configValue(config, 'cache', 'type')).toBe('hardlink,symlink');
    // a relative path is relative to the file it is in
    expect(configValue(config, 'cache', 'dir')).toBe(path.join(root, 'global', 'shared'));
    expect(configValue(config, 'remote "origin"', 'url')).toBe(path.join(root, 'repo', 'store'));
  });

  it('reports a file it cannot parse with its line', () => {
    writeFileSync(path.join(root, 'repo', '.dvc', 'config.local'), '[core]\nnonsense\n');
    let error: unknown;
    try {
      readDvcConfig(path.join(root, 'repo'));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TvcError);
    expect((error as TvcError).code).toBe('CONFIG_ERROR');
    expect((error as TvcError).location).toEqual({
      file: path.join(root, 'repo', '.dvc', 'config.local'),
      line: 2,
    });
  });
});
