import { describe, expect, it } from 'vitest';
import { removeStageText } from './pipeline-stage';

const TEXT = `vars:
- x: 1
stages:
  a:
    cmd: echo a > a.txt
    outs:
    - a.txt
  # about b
  b:
    cmd: echo b > b.txt
    outs:
    - b.txt
  c:
    cmd: echo c
`;

describe('removing a stage from dvc.yaml', () => {
  it('cuts out its lines and keeps the rest byte for byte', () => {
    expect(removeStageText(TEXT, 'a', 'dvc.yaml')).toBe(
      'vars:\n- x: 1\nstages:\n  b:\n    cmd: echo b > b.txt\n    outs:\n    - b.txt\n  c:\n    cmd: echo c\n',
    );
    expect(removeStageText(TEXT, 'c', 'dvc.yaml')).toBe(TEXT.replace('  c:\n    cmd: echo c\n', ''));
  });

  it('leaves nothing when the last stage goes (and vars, if any)', () => {
    expect(removeStageText('stages:\n  a:\n    cmd: x\n', 'a', 'dvc.yaml')).toBe('');
    expect(removeStageText('vars:\n- x: 1\nstages:\n  a:\n    cmd: x\n', 'a', 'dvc.yaml')).toBe('');
  });

  it('keeps top-level params, metrics and plots when the last stage goes (DVC deletes them with the file)', () => {
    expect(
      removeStageText(
        '# mine\nstages:\n  a:\n    cmd: x\nparams:\n- p.yaml\nplots:\n- p.csv\n',
        'a',
        'dvc.yaml',
      ),
    ).toBe('# mine\nparams:\n- p.yaml\nplots:\n- p.csv\n');
    expect(removeStageText('metrics:\n- m.json\nstages:\n  a:\n    cmd: x\n', 'a', 'dvc.yaml')).toBe(
      'metrics:\n- m.json\n',
    );
  });

  it('names a stage that is not there', () => {
    expect(() => removeStageText(TEXT, 'zz', 'dvc.yaml')).toThrow(
      "Stage 'zz' not found inside 'dvc.yaml' file",
    );
  });
});
