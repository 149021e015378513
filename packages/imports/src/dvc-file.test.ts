import { describe, expect, it } from 'vitest';
import { importFileText, stageMd5 } from './dvc-file';

// Both files were written by DVC 3.67.1 (`dvc import ../src data/a.txt`, `dvc import-url http://…`).
const REPO_IMPORT = `md5: 8e603c760b14168df57614acd0c6ee17
frozen: true
deps:
- path: data/a.txt
  repo:
    url: ../src
    rev_lock: 7f42d5214106a44302c109af1f1cb6f94942fc63
outs:
- md5: b1946ac92492d2347c6235b4d2611184
  size: 6
  hash: md5
  path: a.txt
`;

const URL_IMPORT = `md5: b11880c895f10692d461b8a649543e0a
frozen: true
deps:
- checksum: '135846898063738918555926341357496549930'
  size: 12
  hash: md5
  path: http://127.0.0.1:18765/file.txt
outs:
- md5: 807d877c4fbfc763b1a66c6fe50f108a
  size: 12
  hash: md5
  path: file.txt
`;

describe('import .dvc files', () => {
  it("writes DVC's bytes, stage md5 included, for a repository import", () => {
    const text = importFileText(
      { path: 'data/a.txt', repo: { url: '../src', rev_lock: '7f42d5214106a44302c109af1f1cb6f94942fc63' } },
      { md5: 'b1946ac92492d2347c6235b4d2611184', size: 6, hash: 'md5', path: 'a.txt' },
    );
    expect(text).toBe(REPO_IMPORT);
  });

  it("writes DVC's bytes for a URL import (the checksum quoted as a string)", () => {
    const text = importFileText(
      {
        checksum: '135846898063738918555926341357496549930',
        size: 12,
        hash: 'md5',
        path: 'http://127.0.0.1:18765/file.txt',
      },
      { md5: '807d877c4fbfc763b1a66c6fe50f108a', size: 12, hash: 'md5', path: 'file.txt' },
    );
    expect(text).toBe(URL_IMPORT);
  });

  it('leaves sizes, frozen and annotations out of the stage md5', () => {
    const body = {
      frozen: true,
      deps: [{ path: 'x', md5: 'a', size: 1 }],
      outs: [{ md5: 'b', path: 'y', desc: 'd' }],
    };
    const bare = { deps: [{ path: 'x', md5: 'a' }], outs: [{ md5: 'b', path: 'y' }] };
    expect(stageMd5(body)).toBe(stageMd5(bare));
    expect(stageMd5(body)).not.toBe(stageMd5({ ...bare, outs: [{ md5: 'c', path: 'y' }] }));
  });
});
