/** @facto/cli: the `facto` command, callable in-process as main(argv, io). */
export { main } from './main.js';
export type { CliIo, TextOutput } from './cli-io.js';
