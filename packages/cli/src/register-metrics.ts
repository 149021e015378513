import type { Command } from 'commander';
import type { Registrar } from './registrar';

/** `tvc metrics show` and `tvc metrics diff`. */
export function registerMetricsCommands(_program: Command, _registrar: Registrar): void {}
