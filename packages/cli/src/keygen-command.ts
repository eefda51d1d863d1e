/**
 * `facto keygen --out FILE [--agent-id ID]`: makes an agent's Ed25519 key pair. The private key goes
 * only to FILE (PKCS#8 PEM, mode 0600, created exclusively so an existing key is never overwritten)
 * and never to the terminal, where scrollback, CI logs and screen shares would keep it. The public
 * key goes to FILE.pub (SPKI PEM) and, with its key id, to stdout as a key-registry entry. As with
 * `facto export -o`, a directory given as FILE is refused before anything is made (exit 7). Missing
 * folders on the way to FILE are created, mode 0700, and named in the output, so the documented
 * `--out keys/agent.pem` works in a fresh checkout and a mistyped folder does not pass unseen.
 */
import { closeSync, existsSync, fchmodSync, fsyncSync, mkdirSync, openSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, sep } from 'node:path';
import { FactoError, generateKeyPair, keyId, privateKeyToPem, publicKeyToPem, toHex } from '@facto/core';
import { CliError } from './cli-error.js';
import { EXIT_FILE, EXIT_OK, type CliIo, type Command } from './cli-io.js';
import { parseFlags } from './parse-flags.js';

const AGENT_PLACEHOLDER = '<agent_id>';
// Matches the record's agent_id rule (docs/spec.md section 4).
const MAX_AGENT_ID_LENGTH = 256;

const USAGE = `Usage: facto keygen --out FILE [--agent-id ID]

Generates an Ed25519 key pair for an agent.

  --out FILE       Where to write the private key (PKCS#8 PEM, mode 0600). FILE.pub gets the public
                   key (SPKI PEM). Existing files are never overwritten. Required: the private key
                   is never printed. Missing folders are created (mode 0700), and said so.
  --agent-id ID    The agent's id (FACTO_AGENT_ID), used in the printed key-registry entry.

Prints the key id, the public key (hex) and a key-registry entry for the collector's --keys file.
Exit codes: 0 written, 2 usage, 6 FILE or FILE.pub exists, 7 FILE is a directory or not writable.
`;

function alreadyExists(path: string): FactoError {
  return new FactoError('conflict', `refusing to overwrite ${path}: it already exists (move it away or choose another --out)`);
}

function fileError(path: string, error: unknown): CliError {
  return new CliError(`cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, EXIT_FILE);
}

function isDirectory(path: string): boolean {
  if (path.endsWith('/') || path.endsWith(sep)) return true;
  try {
    return statSync(path).isDirectory();
  } catch {
    // Nothing there, or a path that cannot be one (a file on the way): creating it says why.
    return false;
  }
}

/** Refuses, before a key is made, an --out that names a directory (as export does) or an existing file. */
function checkOut(out: string): void {
  for (const path of [out, `${out}.pub`]) {
    if (isDirectory(path)) throw new CliError(`cannot write ${path}: it is a directory; give --out a file name`, EXIT_FILE);
    if (existsSync(path)) throw alreadyExists(path);
  }
}

/** Creates `path` only if it does not exist, with exactly `mode`, and flushes it to disk. */
function createExclusive(path: string, text: string, mode: number): void {
  let descriptor: number;
  try {
    descriptor = openSync(path, 'wx', mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw alreadyExists(path);
    throw fileError(path, error);
  }
  try {
    // The umask may have narrowed `mode`; set it exactly, before any secret byte is written.
    fchmodSync(descriptor, mode);
    writeFileSync(descriptor, text);
    fsyncSync(descriptor);
  } catch (error) {
    unlinkSync(path);
    throw error;
  } finally {
    closeSync(descriptor);
  }
}

/** The first folder created on the way to `out`'s, if any was missing. */
function createFolders(out: string): string | undefined {
  try {
    return mkdirSync(dirname(out), { recursive: true, mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // mkdir says EEXIST or ENOTDIR when a file has the name of a folder on the way.
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? ': a file stands in the way' : ` (${code ?? (error as Error).message})`;
    throw new CliError(`cannot create the folder ${dirname(out)} for ${out}${why}`, EXIT_FILE);
  }
}

/** Writes the pair; the exclusive creates settle any race with checkOut. */
function writeKeyPair(out: string, privatePem: string, publicPem: string): string {
  const publicPath = `${out}.pub`;
  createExclusive(out, privatePem, 0o600);
  try {
    createExclusive(publicPath, publicPem, 0o644);
  } catch (error) {
    // A private key without its public half is a half-done keygen; leave nothing behind.
    unlinkSync(out);
    throw error;
  }
  return publicPath;
}

function readAgentId(value: string | undefined): string {
  if (value === undefined) return AGENT_PLACEHOLDER;
  if (value.length === 0 || value.length > MAX_AGENT_ID_LENGTH) {
    throw new FactoError('invalid_argument', `--agent-id: expected 1 to ${MAX_AGENT_ID_LENGTH} characters`);
  }
  return value;
}

export const keygenCommand: Command = {
  usage: () => USAGE,

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const flags = parseFlags(args, { out: { type: 'string' }, 'agent-id': { type: 'string' } });
    const out = flags.out;
    if (out === undefined || out === '') {
      throw new FactoError('invalid_argument', '--out FILE is required: the private key is written only to a file (mode 0600), never to the terminal');
    }
    const agentId = readAgentId(flags['agent-id']);
    checkOut(out);
    const created = createFolders(out);
    const { privateKey, publicKey } = generateKeyPair();
    const publicPath = writeKeyPair(out, privateKeyToPem(privateKey), publicKeyToPem(publicKey));
    privateKey.fill(0);
    const folder = dirname(out);

    const publicHex = toHex(publicKey);
    const registry = { agents: { [agentId]: [{ publicKey: publicHex }] } };
    io.stdout.write(
      [
        created === undefined ? undefined : `Created the folder ${folder}${created === folder ? '' : `, and the missing ones above it from ${created}`} (mode 0700), which did not exist.`,
        `Wrote the private key to ${out} (mode 0600: keep it secret, never commit it)`,
        `and the public key to ${publicPath}.`,
        '',
        `Key id:     ${keyId(publicKey)}`,
        `Public key: ${publicHex}`,
        '',
        `In the agent: FACTO_KEY_FILE=${out} FACTO_AGENT_ID=${agentId}`,
        agentId === AGENT_PLACEHOLDER ? `(replace ${AGENT_PLACEHOLDER} with the agent's id, or pass --agent-id)` : undefined,
        "Key registry entry for the collector's --keys file:",
        JSON.stringify(registry, null, 2),
        '',
      ]
        .filter((line) => line !== undefined)
        .join('\n'),
    );
    return EXIT_OK;
  },
};
