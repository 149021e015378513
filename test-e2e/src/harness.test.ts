import { describe, expect, it } from 'vitest';
import { assertNoUnexpectedError } from './harness';

describe('the harness rule: "unexpected error" in any output fails the test', () => {
  it('throws, quoting the output, when stderr or stdout says it', () => {
    const stderr = 'ERROR: unexpected error - Cannot read properties of undefined\n';
    expect(() => assertNoUnexpectedError('tvc repro', { stdout: '', stderr, code: 255 })).toThrow(
      /`tvc repro` printed "unexpected error".*exit 255[\s\S]*Cannot read properties of undefined/,
    );
    expect(() =>
      assertNoUnexpectedError('tvc status', { stdout: 'Unexpected error here', stderr: '', code: 0 }),
    ).toThrow(/--- stdout ---\nUnexpected error here/);
  });

  it('passes other output through, failures included', () => {
    const result = { stdout: '', stderr: "ERROR: 'dvc.yaml:3:5': bad stage\n", code: 255 };
    expect(assertNoUnexpectedError('tvc repro', result)).toBe(result);
  });
});
