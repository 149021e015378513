import { describe, expect, it } from 'vitest';
import { compareTreeWalk } from './show-collect';

describe('compareTreeWalk (DVC walks a git revision top-down in git tree order)', () => {
  it("puts a directory's files before its subdirectories, and orders names as git does", () => {
    const paths = [
      'reports/dvc.yaml',
      'models/ltv/dvc.yaml',
      'dvc.yaml',
      'models/churn/dvc.yaml',
      'z.dvc',
      'a-b/x.dvc',
      'a/x.dvc',
    ];
    // git compares a directory's name with a `/` after it: `a-b/` (0x2d) before `a/` (0x2f).
    expect(paths.sort(compareTreeWalk)).toEqual([
      'dvc.yaml',
      'z.dvc',
      'a-b/x.dvc',
      'a/x.dvc',
      'models/churn/dvc.yaml',
      'models/ltv/dvc.yaml',
      'reports/dvc.yaml',
    ]);
  });
});
