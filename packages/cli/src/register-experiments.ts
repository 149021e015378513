import type { Command } from 'commander';
import type { Registrar } from './registrar';

/** `tvc exp …`: run, show, diff, apply, branch, list, remove, save. */
export function registerExperimentCommands(_program: Command, _registrar: Registrar): void {}
