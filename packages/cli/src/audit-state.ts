/**
 * The state a monitor keeps between audits (--state FILE): the last checkpoint it saw and found
 * consistent with the ones before, and the log key that signed it. The next audit proves that the
 * new checkpoint extends it (RFC 9162 consistency), so a log that rewrote its history is caught even
 * if everything it serves now is self-consistent. Written atomically; a run that finds a rewrite
 * leaves it as it was, so every later run fails too until someone looks.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
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

export async function readAuditState(path: string): Promise<AuditState | undefined> {
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
  if (state?.format !== 'facto.audit-state.v1' || !Number.isSafeInteger(state.tree_size) || typeof state.root_hash !== 'string' || typeof state.log_key !== 'string') {
    throw new CliError(`--state ${path}: not a facto audit state file; move it away to start afresh`, EXIT_FILE);
  }
  return state;
}

export async function writeAuditState(path: string, state: AuditState): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644 });
    await rename(temporary, path);
  } catch (error) {
    throw new CliError(`--state ${path}: cannot write it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, EXIT_FILE);
  }
}
