/**
 * The `facto` command's entry point: `main(argv, io)` dispatches to a subcommand and returns its exit
 * code. Subcommands live in their own files and are loaded on demand, so `facto keygen` or a future
 * `facto verify` never loads the collector's HTTP server and SQLite driver. To add one, write a
 * Command in its own file and list it in COMMANDS with a one-line summary.
 */
import { readFileSync } from 'node:fs';
import { FactoError } from '@facto/core';
import { CliError } from './cli-error.js';
import { EXIT_CONFLICT, EXIT_FILE, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, type CliIo, type Command } from './cli-io.js';
import { printable } from './terminal.js';

interface CommandEntry {
  readonly summary: string;
  load(): Promise<Command>;
}

// A Map, not an object literal, so `facto constructor` is an unknown command, not Object's prototype.
const COMMANDS = new Map<string, CommandEntry>([
  ['collector', { summary: 'Run the collector: receive, verify and log signed spans; serve proofs', load: async () => (await import('./collector-command.js')).collectorCommand }],
  ['keygen', { summary: 'Generate an Ed25519 key pair for an agent', load: async () => (await import('./keygen-command.js')).keygenCommand }],
  ['keys', { summary: "Manage the collector's agent key registry: add, list, revoke", load: async () => (await import('./keys-command.js')).keysCommand }],
  ['tail', { summary: 'Follow events as the collector commits them, one line each', load: async () => (await import('./tail-command.js')).tailCommand }],
  ['explain', { summary: 'Everything about one event, its proofs checked here', load: async () => (await import('./explain-command.js')).explainCommand }],
  ['export', { summary: 'Export an evidence bundle to a file', load: async () => (await import('./export-command.js')).exportCommand }],
  ['verify', { summary: 'Verify a bundle offline, or audit a live collector', load: async () => (await import('./verify-command.js')).verifyCommand }],
]);

function usage(): string {
  const width = Math.max(...[...COMMANDS.keys()].map((name) => name.length));
  return [
    'Usage: facto <command> [options]',
    '',
    'Facto, the flight recorder for AI agents: signed, hash-chained OpenTelemetry spans in a Merkle log.',
    '',
    'Commands:',
    ...[...COMMANDS].map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`),
    '',
    'Run "facto <command> --help" for a command\'s options; "facto --version" for the version.',
    'Exit codes: 0 ok, 1 not verified, 2 usage, 3 collector unreachable or failing, 4 access refused,',
    '5 not found, 6 would overwrite or conflicts, 7 file unreadable or unwritable, 70 a bug in facto.',
    '',
  ].join('\n');
}

function version(): string {
  // From the package manifest, next to both src/ (tests) and dist/ (the installed command).
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

/** Reports a failure in one line; stack traces are for bugs, and a user error is not one. */
function report(name: string, error: unknown, io: CliIo): number {
  // A message may repeat what the collector or a file said.
  const message = printable(error instanceof Error ? error.message : String(error));
  if (CliError.isInstance(error)) {
    io.stderr.write(`facto ${name}: ${message}\n${error.exitCode === EXIT_USAGE ? `Run "facto ${name} --help" for usage.\n` : ''}`);
    return error.exitCode;
  }
  if (FactoError.isInstance(error) && error.code === 'invalid_argument') {
    io.stderr.write(`facto ${name}: ${message}\nRun "facto ${name} --help" for usage.\n`);
    return EXIT_USAGE;
  }
  if (FactoError.isInstance(error) && error.code === 'conflict') {
    io.stderr.write(`facto ${name}: ${message}\n`);
    return EXIT_CONFLICT;
  }
  const errno = (error as NodeJS.ErrnoException)?.code;
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno) && (error as NodeJS.ErrnoException).path !== undefined) {
    io.stderr.write(`facto ${name}: ${message}\n`);
    return EXIT_FILE;
  }
  // A stack's first line is the error's message, which may quote input: made printable line by line.
  const stack = error instanceof Error && error.stack ? error.stack.split('\n').map(printable).join('\n') : message;
  io.stderr.write(`facto ${name}: ${stack}\nThis is a bug in facto; please report it with the command you ran.\n`);
  return EXIT_INTERNAL;
}

const isHelpFlag = (argument: string | undefined) => argument === '--help' || argument === '-h';

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...args] = argv;
  if (first === undefined) {
    io.stderr.write(usage());
    return EXIT_USAGE;
  }
  if (isHelpFlag(first) || (first === 'help' && args.length === 0)) {
    io.stdout.write(usage());
    return EXIT_OK;
  }
  if (first === '--version' || first === '-V' || first === 'version') {
    io.stdout.write(`${version()}\n`);
    return EXIT_OK;
  }
  const name = first === 'help' ? args[0]! : first;
  const entry = COMMANDS.get(name);
  if (!entry) {
    // Only the part before any "=": a mistyped flag may carry a secret value.
    io.stderr.write(`facto: unknown command "${name.split('=')[0]}"\n\n${usage()}`);
    return EXIT_USAGE;
  }
  try {
    const command = await entry.load();
    if (first === 'help' || args.some(isHelpFlag)) {
      io.stdout.write(command.usage());
      return EXIT_OK;
    }
    return await command.run(args, io);
  } catch (error) {
    return report(name, error, io);
  }
}
