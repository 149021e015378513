import { describe, expect, it } from 'vitest';
import { localConfigWithCache } from './temp-executor';

describe('localConfigWithCache', () => {
  it('adds a cache section to a copy without local config', () => {
    expect(localConfigWithCache(undefined, '/repo/.dvc/cache')).toBe('[cache]\n    dir = /repo/.dvc/cache\n');
  });

  it("keeps the source's local config and replaces its cache dir", () => {
    const local =
      '[\'remote "s3"\']\n    access_key_id = x\n[cache]\n    dir = ../elsewhere\n    type = symlink\n[core]\n    remote = s3\n';
    expect(localConfigWithCache(local, '/c')).toBe(
      '[\'remote "s3"\']\n    access_key_id = x\n[cache]\n    dir = /c\n    type = symlink\n[core]\n    remote = s3\n',
    );
  });
});
