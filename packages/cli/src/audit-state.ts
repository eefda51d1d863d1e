/**
 * The state a monitor keeps between audits (--state FILE): the last checkpoint it saw and found
 * consistent with the ones before, and the log key that signed it. The next audit proves that the
 * new checkpoint extends it (RFC 9162 consistency), so a log that rewrote its history is caught even
 * if everything it serves now is self-consistent. Written atomically; a run that finds a rewrite
 * leaves it as it was, so every later run fails too until someone looks.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { openCheckpoint, parseVerifierKey, toHex, type Checkpoint } from '@facto/core';
import { CliError } from './cli-error.js';
import { EXIT_FILE } from './cli-io.js';

export interface AuditState {
  readonly format: 'facto.audit-state.v1';
  readonly endpoint: string;
  readonly origin: string;
  readonly log_key: string;
  readonly tree_size: number;
  readonly root_hash: string;
  /** The signed checkpoint note itself, as evidence of what the log once said. */
  readonly checkpoint: string;
  readonly audited_at: string;
}

/**
 * The state the last audit kept, or undefined before the first. Its folder must be one this audit can
 * write the next state into: found now, not after an audit that may take minutes and then could not
 * keep what it proved.
 */
export async function readAuditState(path: string): Promise<AuditState | undefined> {
  try {
    await access(dirname(path), constants.W_OK);
  } catch (error) {
    throw new CliError(`--state ${path}: cannot write it there (${(error as NodeJS.ErrnoException).code ?? 'not writable'}: its folder is missing or not writable)`, EXIT_FILE);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`--state ${path}: cannot read it (${(error as NodeJS.ErrnoException).code})`, EXIT_FILE);
  }
  let state: AuditState;
  try {
    state = JSON.parse(text) as AuditState;
  } catch {
    throw new CliError(`--state ${path}: not an audit state file (not JSON); move it away to start afresh`, EXIT_FILE);
  }
  if (
    state?.format !== 'facto.audit-state.v1' ||
    !Number.isSafeInteger(state.tree_size) ||
    typeof state.root_hash !== 'string' ||
    typeof state.log_key !== 'string' ||
    typeof state.origin !== 'string' ||
    typeof state.checkpoint !== 'string'
  ) {
    throw new CliError(`--state ${path}: not a facto audit state file; move it away to start afresh`, EXIT_FILE);
  }
  return state;
}

/**
 * The checkpoint the state file keeps, opened with the log key the file names, which must be the one
 * pinned with --log-key if one is; the file's plain fields must repeat the signed note exactly: they
 * are what the next consistency proof starts from, and a file whose fields say other than its note
 * was edited or damaged here, which must not pass for a log that rewrote its history. Throws a
 * CliError (exit 7, a local file) saying which; the file is then left as it is.
 */
export function openAuditState(path: string, state: AuditState, pinned: string | undefined): Checkpoint {
  const unusable = (why: string) => new CliError(`--state ${path}: ${why}; restore it from a copy, or move it away to start afresh`, EXIT_FILE);
  const inconsistent = (why: string) => unusable(`the state file itself is inconsistent (edited or corrupt; the collector is not to blame): ${why}`);
  if (pinned !== undefined && pinned !== state.log_key) {
    throw unusable(`it was kept for the log key ${state.log_key}, not the one given with --log-key (${pinned}): it belongs to another log, or was edited`);
  }
  let checkpoint: Checkpoint;
  try {
    checkpoint = openCheckpoint(state.checkpoint, [parseVerifierKey(state.log_key)]).checkpoint;
  } catch (error) {
    throw inconsistent(`its signed checkpoint does not open with its log key (${(error as Error).message})`);
  }
  const differences: string[] = [];
  if (state.origin !== checkpoint.origin) differences.push(`origin ${JSON.stringify(state.origin)}, signed ${JSON.stringify(checkpoint.origin)}`);
  if (state.tree_size !== checkpoint.treeSize) differences.push(`tree_size ${state.tree_size}, signed ${checkpoint.treeSize}`);
  if (state.root_hash !== toHex(checkpoint.rootHash)) differences.push(`root_hash ${state.root_hash}, signed ${toHex(checkpoint.rootHash)}`);
  if (differences.length > 0) throw inconsistent(`its fields differ from its signed checkpoint (${differences.join('; ')})`);
  return checkpoint;
}

export async function writeAuditState(path: string, state: AuditState): Promise<void> {
  // Unguessable and created only if absent (wx): a link planted beside it in a shared folder cannot
  // redirect the write, nor leave the state file pointing where someone else chose.
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644, flag: 'wx' });
    await rename(temporary, path);
  } catch (error) {
    // A write that failed (a full disk) leaves no temporary file behind under its random name.
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new CliError(`--state ${path}: cannot write it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, EXIT_FILE);
  }
}
