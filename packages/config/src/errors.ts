/** Where in a config file a problem is. */
export interface ConfigLocation {
  readonly file: string;
  readonly line?: number | undefined;
}

/**
 * A config file error, as DVC's `ConfigError`: the CLI prints it as `configuration error -
 * config file error: …` and exits with 251. It names the file (and line) where there is one.
 */
export class ConfigError extends Error {
  readonly code = 'CONFIG_ERROR';
  readonly location: ConfigLocation | undefined;
  readonly hint: string | undefined;
  /** Every problem found, when validation found several (the message is the first's, as DVC's). */
  readonly problems: readonly ConfigError[];

  constructor(
    message: string,
    options: { location?: ConfigLocation | undefined; hint?: string; problems?: readonly ConfigError[] } = {},
  ) {
    super(message);
    this.name = 'ConfigError';
    this.location = options.location;
    this.hint = options.hint;
    this.problems = options.problems ?? [this];
  }

  /** DVC's wording, then where: `config file error: … (in .dvc/config:3)`. */
  describe(): string {
    const where = this.location
      ? ` (in ${this.location.file}${this.location.line === undefined ? '' : `:${this.location.line}`})`
      : '';
    return `config file error: ${this.message}${where}`;
  }
}
