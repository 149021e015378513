import type { Command } from 'commander';
import type { CommandContext } from './context';

// biome-ignore lint/suspicious/noExplicitAny: each command module declares its own argument types
export type Action = (context: CommandContext, ...args: any[]) => Promise<number | undefined>;

/** What a group of commands needs to declare itself on the program (see main.ts). */
export interface Registrar {
  /** An action that imports the command's module when the command runs. */
  readonly run: (load: () => Promise<{ default: Action }>) => (...args: unknown[]) => Promise<void>;
  /** Adds `-q` and `-v`, as every DVC command has them. */
  readonly common: (command: Command) => Command;
  /** Collects a repeatable option into an array. */
  readonly collect: (value: string, previous?: string[]) => string[];
}
