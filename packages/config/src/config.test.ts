import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { Config } from './config';
import { ConfigError } from './errors';
import { configFiles, globalConfigDir, systemConfigDir } from './locations';
import {
  addRemote,
  getConfigValue,
  listConfig,
  listRemotes,
  modifyRemote,
  parseConfigName,
  removeRemote,
  renameRemote,
  setConfigValue,
  setDefaultRemote,
} from './operations';

let root: string;
let env: NodeJS.ProcessEnv;
let config: Config;
const read = (file: string): string => readFileSync(file, 'utf8');

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'tvc-config-'));
  mkdirSync(path.join(root, 'repo', '.dvc'), { recursive: true });
  env = {
    DVC_GLOBAL_CONFIG_DIR: path.join(root, 'global'),
    DVC_SYSTEM_CONFIG_DIR: path.join(root, 'system'),
  };
  config = new Config({ dvcDir: path.join(root, 'repo', '.dvc'), env });
});

describe('locations', () => {
  it('follows platformdirs and the DVC_*_CONFIG_DIR overrides', () => {
    expect(globalConfigDir({ env: {}, platform: 'linux', home: '/home/u' })).toBe('/home/u/.config/dvc');
    expect(globalConfigDir({ env: { XDG_CONFIG_HOME: '/x' }, platform: 'linux', home: '/h' })).toBe('/x/dvc');
    expect(systemConfigDir({ env: {}, platform: 'linux' })).toBe('/etc/xdg/dvc');
    expect(systemConfigDir({ env: { XDG_CONFIG_DIRS: '/a:/b' }, platform: 'linux' })).toBe('/a/dvc');
    expect(globalConfigDir({ env: {}, platform: 'darwin', home: '/Users/u' })).toBe(
      '/Users/u/Library/Application Support/dvc',
    );
    expect(globalConfigDir({ env: { DVC_GLOBAL_CONFIG_DIR: '/g' } })).toBe('/g');
    expect(configFiles('/r/.dvc', { env })).toEqual({
      system: path.join(root, 'system', 'config'),
      global: path.join(root, 'global', 'config'),
      repo: '/r/.dvc/config',
      local: '/r/.dvc/config.local',
    });
  });
});

describe('Config', () => {
  it('merges the levels, local over repo over global over system', () => {
    mkdirSync(path.join(root, 'global'));
    writeFileSync(path.join(root, 'global', 'config'), '[core]\n    remote = g\n    autostage = true\n');
    writeFileSync(path.join(root, 'repo', '.dvc', 'config'), '[core]\n    remote = r\n');
    writeFileSync(path.join(root, 'repo', '.dvc', 'config.local'), '[cache]\n    type = copy\n');
    const tree = config.read();
    expect(tree.core).toEqual({ remote: 'r', autostage: 'true' });
    expect(tree.cache).toEqual({ type: 'copy' });
    expect(getConfigValue(config, parseConfigName('core.autostage')!)).toEqual({
      value: 'true',
      level: 'global',
    });
  });

  it('resolves relative paths against the file they are in, and keeps them relative when written', () => {
    writeFileSync(
      path.join(root, 'repo', '.dvc', 'config'),
      `['remote "a"']\n    url = ../../store\n[cache]\n    dir = ./c/\n`,
    );
    expect((config.read().remote as Record<string, unknown>).a).toEqual({ url: path.join(root, 'store') });
    const sub = path.join(root, 'repo', 'sub');
    addRemote(config, 'B', '../st2', { cwd: sub });
    expect(read(path.join(root, 'repo', '.dvc', 'config'))).toBe(
      `['remote "a"']\n    url = ../../store\n[cache]\n    dir = c\n['remote "b"']\n    url = ../st2\n`,
    );
  });

  it('refuses what DVC refuses, with its message and the file', () => {
    const file = path.join(root, 'repo', '.dvc', 'config');
    const attempt = (name: string, value: string): ConfigError => {
      try {
        setConfigValue(config, parseConfigName(name)!, value);
      } catch (error) {
        return error as ConfigError;
      }
      throw new Error('no error');
    };
    expect(attempt('core.nosuch', 'x').message).toBe("extra keys not allowed @ data['core']['nosuch']");
    expect(attempt('core.nosuch', 'x').location).toEqual({ file });
    expect(attempt('core.autostage', 'maybe').message).toBe(
      "expected true or false for dictionary value @ data['core']['autostage']",
    );
    expect(attempt('core.checksum_jobs', '0').message).toBe(
      "value must be at least 1 for dictionary value @ data['core']['checksum_jobs']",
    );
    expect(attempt('cache.type', 'foo').message).toBe(
      "Unsupported cache type(s): foo for dictionary value @ data['cache']['type']",
    );
    expect(() => setConfigValue(config, parseConfigName('core.autostage')!, 'true')).not.toThrow();
    // A bad value already in a file is named with its line.
    writeFileSync(file, '[core]\n\n    bogus = 1\n');
    let error: ConfigError | undefined;
    try {
      setConfigValue(config, parseConfigName('core.remote')!, 'x', { level: 'local' });
    } catch (caught) {
      error = caught as ConfigError;
    }
    expect(error?.location).toEqual({ file, line: 3 });
    expect(() => new Config({ dvcDir: path.join(root, 'repo', '.dvc'), env }).validate()).toThrow(
      ConfigError,
    );
  });

  it('runs the remote commands as DVC does', () => {
    const file = path.join(root, 'repo', '.dvc', 'config');
    addRemote(config, 'myremote', '/tmp/store', { makeDefault: true });
    expect(read(file)).toBe(`[core]\n    remote = myremote\n['remote "myremote"']\n    url = /tmp/store\n`);
    expect(() => addRemote(config, 'myremote', 's3://x')).toThrow(
      "remote 'myremote' already exists. Use `-f|--force` to overwrite it.",
    );
    expect(() => modifyRemote(config, 'myremote', 'timeout', '3')).toThrow(
      "extra keys not allowed @ data['remote']['myremote']['timeout']",
    );
    addRemote(config, 'other', 's3://b/p');
    modifyRemote(config, 'other', 'region', 'eu');
    expect(listRemotes(config)).toEqual([
      { name: 'myremote', url: '/tmp/store', isDefault: true },
      { name: 'other', url: 's3://b/p', isDefault: false },
    ]);
    renameRemote(config, 'myremote', 'first');
    expect(read(file)).toBe(
      `[core]\n    remote = first\n['remote "other"']\n    url = s3://b/p\n    region = eu\n['remote "first"']\n    url = /tmp/store\n`,
    );
    expect(() => setDefaultRemote(config, 'nosuch')).toThrow(
      'default remote must be present in remote list.',
    );
    removeRemote(config, 'first');
    expect(read(file)).toBe(`['remote "other"']\n    url = s3://b/p\n    region = eu\n`);
    expect(read(`${file}.local`)).toBe('\n'); // written empty by the level walk, as DVC does
    expect(() => removeRemote(config, 'first')).toThrow("remote 'first' doesn't exist.");
  });

  it('lists each level apart, as `dvc config -l`', () => {
    writeFileSync(
      path.join(root, 'repo', '.dvc', 'config'),
      `[core]\n    remote = a\n['remote "a"']\n    url = s3://b\n`,
    );
    writeFileSync(path.join(root, 'repo', '.dvc', 'config.local'), '[core]\n    remote = b\n');
    const listed = listConfig(config).filter((level) => level.entries.length > 0);
    expect(listed.map((level) => [level.level, level.entries])).toEqual([
      [
        'repo',
        [
          ['remote.a.url', 's3://b'],
          ['core.remote', 'a'],
        ],
      ],
      ['local', [['core.remote', 'b']]],
    ]);
  });

  it('works outside a repository with the system and global levels only', () => {
    const outside = new Config({ env });
    expect(outside.levels()).toEqual(['system', 'global']);
    expect(() => setConfigValue(outside, parseConfigName('core.remote')!, 'x')).toThrow(
      'Not inside a DVC repo',
    );
    setConfigValue(outside, parseConfigName('core.remote')!, 'x', { level: 'global' });
    expect(read(path.join(root, 'global', 'config'))).toBe('[core]\n    remote = x\n');
  });
});
