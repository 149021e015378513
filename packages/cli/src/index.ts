export { reportError } from './errors';
export type { Io } from './io';
export { processIo } from './io';
export { createProgram, EXIT, main, VERSION } from './main';
