import type { Writable } from 'node:stream';
import type { Tvc } from './tvc';

/** A positional argument of a plugin command. */
export interface CommandArgument {
  readonly name: string;
  readonly description?: string;
  readonly required?: boolean;
  readonly variadic?: boolean;
}

/** An option of a plugin command, in commander's flag syntax: `-n, --name <value>`, `--json`. */
export interface CommandOption {
  readonly flags: string;
  readonly description: string;
  readonly defaultValue?: string | boolean | string[];
}

/** Streams and context a command writes to; tests inject their own. */
export interface CommandIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface CommandInvocation {
  readonly tvc: Tvc;
  readonly args: readonly string[];
  readonly options: Readonly<Record<string, unknown>>;
  readonly io: CommandIo;
}

/**
 * A CLI command contributed by a plugin through the `commands` hook. Independent of the argument
 * parser: the CLI maps it onto its own.
 */
export interface CommandSpec {
  /** The name, or a space-separated path for a subcommand of a new group (`report html`). */
  readonly name: string;
  /** One line for `tvc --help`. */
  readonly description: string;
  readonly arguments?: readonly CommandArgument[];
  readonly options?: readonly CommandOption[];
  /** Runs the command; returns the exit code (0 when nothing is returned). */
  run(invocation: CommandInvocation): Promise<number | undefined> | number | undefined;
}

/** Collects the commands plugins add. */
export class CommandRegistry {
  readonly #commands = new Map<string, CommandSpec & { readonly plugin: string }>();

  add(plugin: string, command: CommandSpec): void {
    if (this.#commands.has(command.name)) {
      throw new Error(
        `command '${command.name}' is already defined by plugin '${this.#commands.get(command.name)?.plugin}'`,
      );
    }
    this.#commands.set(command.name, { ...command, plugin });
  }

  list(): (CommandSpec & { readonly plugin: string })[] {
    return [...this.#commands.values()];
  }
}
