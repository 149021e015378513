/** What went wrong with a `-S` override. */
export type OverrideErrorCode =
  /** The override does not follow the grammar (the column says where). */
  | 'OVERRIDE_SYNTAX'
  /** A function of the grammar (`range`, `int`, …) refused its arguments. */
  | 'OVERRIDE_FUNCTION'
  /** `key=value` for a key the file does not have. */
  | 'OVERRIDE_KEY_MISSING'
  /** `+key=value` for a key the file already has. */
  | 'OVERRIDE_KEY_EXISTS'
  /** `~key` for a key the file does not have, or `~key=value` when the value differs. */
  | 'OVERRIDE_DELETE'
  /** A value that cannot go where the key points (an index past a list's end, a dict into a list). */
  | 'OVERRIDE_TYPE'
  /** A sweep where only one run is allowed, or a sweep DVC does not expand (`glob`, `interval`). */
  | 'OVERRIDE_SWEEP';

/**
 * A `-S`/`--set-param` override that cannot be read or applied. `column` (1-based) points into
 * `override`, the text as given after any `file:` prefix; `file` is the params file it is for.
 */
export class ParamsOverrideError extends Error {
  readonly code: OverrideErrorCode;
  readonly override: string;
  readonly file: string | undefined;
  readonly column: number | undefined;

  constructor(
    code: OverrideErrorCode,
    message: string,
    details: { override: string; file?: string; column?: number },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ParamsOverrideError';
    this.code = code;
    this.override = details.override;
    this.file = details.file;
    this.column = details.column;
  }
}
