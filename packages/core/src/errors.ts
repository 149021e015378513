/** Where in a file a problem is: 1-based line and column. */
export interface SourceLocation {
  readonly file: string;
  readonly line?: number | undefined;
  readonly column?: number | undefined;
}

export interface TvcErrorOptions {
  readonly hint?: string | undefined;
  readonly location?: SourceLocation | undefined;
  readonly cause?: unknown;
}

/** `file:line:column`, or as much of it as is known. */
export function formatLocation(location: SourceLocation): string {
  let text = location.file;
  if (location.line !== undefined) {
    text += `:${location.line}`;
    if (location.column !== undefined) text += `:${location.column}`;
  }
  return text;
}

/**
 * A problem the user can fix: bad input, a missing file, a refused operation. It carries a stable
 * `code` for scripts, a location where there is one, and a hint saying what to do.
 */
export class TvcError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly location: SourceLocation | undefined;

  constructor(code: string, message: string, options: TvcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TvcError';
    this.code = code;
    this.hint = options.hint;
    this.location = options.location;
  }

  /** The one-line form the CLI prints: `file:line:col: message`. */
  describe(): string {
    return this.location ? `${formatLocation(this.location)}: ${this.message}` : this.message;
  }
}

/** Several problems found together (all the problems of a file, say), reported at once. */
export class TvcErrorList extends TvcError {
  readonly problems: readonly TvcError[];

  constructor(problems: readonly TvcError[]) {
    const first = problems[0];
    super(
      problems.length === 1 && first ? first.code : 'MULTIPLE_PROBLEMS',
      problems.length === 1 && first ? first.message : `${problems.length} problems found`,
      { location: problems.length === 1 ? first?.location : undefined, hint: first?.hint },
    );
    this.name = 'TvcErrorList';
    this.problems = problems;
  }

  override describe(): string {
    return this.problems.map((problem) => problem.describe()).join('\n');
  }
}

/** Throws the problems collected, if any: one error for one problem, a list for several. */
export function throwIfProblems(problems: readonly TvcError[]): void {
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new TvcErrorList(problems);
}

/** A plugin threw, from `apply` or from one of its taps: names the plugin and the hook. */
export class PluginError extends TvcError {
  readonly plugin: string;
  readonly hook: string;

  /** `configFile`: the tvc config that named the plugin (the error is located there). */
  constructor(plugin: string, hook: string, cause: unknown, configFile?: string) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('PLUGIN_FAILED', `plugin '${plugin}' failed in '${hook}': ${reason}`, {
      cause,
      hint: cause instanceof TvcError ? cause.hint : undefined,
      location:
        cause instanceof TvcError && cause.location
          ? cause.location
          : configFile
            ? { file: configFile }
            : undefined,
    });
    this.name = 'PluginError';
    this.plugin = plugin;
    this.hook = hook;
  }
}

/** A bug in tvc itself, not in the user's input. */
export class InternalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(`internal error: ${message}`, options);
    this.name = 'InternalError';
  }
}
