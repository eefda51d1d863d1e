/**
 * Keys given on the command line. An agent key (--key) is a PEM file or the key string `facto keygen`
 * prints (hex; base64 and PEM text work too), optionally prefixed with the agent it belongs to,
 * `AGENT=KEY`; a key without an agent belongs to the agent the command is about. A log key
 * (--log-key) is the collector's C2SP verifier key (`name+keyid+base64`, as GET /v1/log gives it), or
 * a file holding it. Keys are trust: a malformed one stops the command rather than being skipped.
 * For both flags, a value that names no file and has not the shape of a key was meant as a file, and
 * is reported as one that cannot be read (exit 7); a key-shaped value, or a key file, that does not
 * parse is a usage error (exit 2).
 */
import { existsSync, readFileSync } from 'node:fs';
import { keyId, parsePublicKey, parseVerifierKey } from '@facto/core';
import { CliError } from './cli-error.js';
import { EXIT_FILE, EXIT_USAGE } from './cli-io.js';

export interface AgentKeyArgument {
  /** The agent named with AGENT=, if any. */
  readonly agentId: string | undefined;
  readonly publicKey: Uint8Array;
  readonly keyId: string;
}

function readFile(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`${flag} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, EXIT_FILE);
  }
}

/** The forms parsePublicKey takes: PEM text, hex, base64 (of at least 40 characters, or padded). */
const looksLikePublicKey = (value: string) => value.trimStart().startsWith('-----') || /^[0-9a-fA-F]+$/.test(value) || /^[A-Za-z0-9+/]{40,}={0,2}$|^[A-Za-z0-9+/]+={1,2}$/.test(value);

/**
 * The public key in `value`, a file or a key string; undefined when it is neither a file nor shaped
 * like a key. A path that exists but cannot be read (a directory, no permission) is exit 7. A key
 * string is never repeated in a message: it may be a private key given by mistake.
 */
function publicKeyFrom(value: string, flag: string): Uint8Array | undefined {
  const fromFile = existsSync(value);
  if (!fromFile && !looksLikePublicKey(value)) return undefined;
  const text = fromFile ? readFile(value, flag) : value;
  const named = fromFile ? `${flag} ${value}` : `${flag} (the key string given)`;
  if (text.includes('PRIVATE KEY')) throw new CliError(`${named}: that is a private key; give the public key (the .pub file facto keygen wrote)`, EXIT_USAGE);
  try {
    return parsePublicKey(text);
  } catch (error) {
    // 32 bytes that are no public key are most often a private seed: facto.v1 refuses about 15 in 16 of them.
    const seedHint = /^\s*[0-9a-fA-F]{64}\s*$/.test(text) ? ' (if that is a private key, give the public key instead: the .pub file facto keygen wrote)' : '';
    throw new CliError(`${named}: not an Ed25519 public key: ${(error as Error).message}${seedHint}`, EXIT_USAGE);
  }
}

/** The key in `[AGENT=]KEY`; or, when KEY is neither a file nor shaped like a key, the file it was meant to name. */
function parseAgentKey(value: string, flag: string): AgentKeyArgument | { readonly missingFile: string } {
  if (value === '') throw new CliError(`${flag}: empty; give a key file or the key string facto keygen prints`, EXIT_USAGE);
  const whole = publicKeyFrom(value, flag);
  if (whole !== undefined) return { agentId: undefined, publicKey: whole, keyId: keyId(whole) };
  const equals = value.indexOf('=');
  if (equals === -1) return { missingFile: value };
  const agentId = value.slice(0, equals);
  if (agentId === '') throw new CliError(`${flag}: the agent before "=" is empty`, EXIT_USAGE);
  if (equals === value.length - 1) throw new CliError(`${flag} ${value}: the key after "=" is empty`, EXIT_USAGE);
  const publicKey = publicKeyFrom(value.slice(equals + 1), flag);
  return publicKey === undefined ? { missingFile: value.slice(equals + 1) } : { agentId, publicKey, keyId: keyId(publicKey) };
}

/** An agent key from --key; a key file that does not exist is exit 7, as for --log-key. */
export function readKeyFlag(value: string): AgentKeyArgument {
  return readAgentKey(value, '--key');
}

/** A key given as an argument of `facto keys` (KEY, KEY_ID): read as --key is, named as its argument. */
export function readAgentKey(value: string, flag: string): AgentKeyArgument {
  const key = parseAgentKey(value, flag);
  if (!('missingFile' in key)) return key;
  const path = key.missingFile === value ? 'it' : key.missingFile;
  throw new CliError(`${flag} ${value}: cannot read ${path} (ENOENT: no such file), and it is not an Ed25519 public key (PEM, or the 64 hex digits facto keygen prints) either`, EXIT_FILE);
}

/**
 * The trusted keys by agent. Keys given without an agent go to `defaultAgent`; without one, they are
 * refused, since a key must be trusted for one agent, not for any.
 */
export function agentKeysByAgent(keys: readonly AgentKeyArgument[], defaultAgent: string | undefined, why: string): Record<string, Uint8Array[]> {
  const byAgent: Record<string, Uint8Array[]> = {};
  for (const key of keys) {
    const agentId = key.agentId ?? defaultAgent;
    if (agentId === undefined) throw new CliError(`--key ${key.keyId}: say which agent it signs for, as --key AGENT=KEY (${why})`, EXIT_USAGE);
    (byAgent[agentId] ??= []).push(key.publicKey);
  }
  return byAgent;
}

/** A C2SP verifier key has at least three parts, `name+keyid+base64`; a value with fewer was meant as a file. */
const looksLikeVerifierKey = (value: string) => value.split('+').length >= 3;

/**
 * The log's verifier key from --log-key: a file holding it, or the key itself (name+keyid+base64,
 * so a value with fewer than two "+" was meant as a file).
 */
export function readLogKey(value: string): string {
  const fromFile = existsSync(value);
  if (!fromFile && !looksLikeVerifierKey(value)) {
    throw new CliError(`--log-key ${value}: cannot read it (ENOENT: no such file), and it is not a verifier key (name+keyid+base64, as GET /v1/log gives it) either`, EXIT_FILE);
  }
  const text = (fromFile ? readFile(value, '--log-key') : value).trim();
  try {
    parseVerifierKey(text);
  } catch (error) {
    const where = fromFile ? `--log-key ${value}: the file holds no C2SP verifier key` : '--log-key: not a C2SP verifier key';
    throw new CliError(`${where} (name+keyid+base64, as GET /v1/log gives it): ${(error as Error).message}`, EXIT_USAGE);
  }
  return text;
}
