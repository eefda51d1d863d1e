import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeVerifierKey, generateKeyPair, signCheckpoint, toHex } from '@facto/core';
import { afterAll, describe, expect, it } from 'vitest';
import { openAuditState, readAuditState, writeAuditState, type AuditState } from './audit-state.js';
import type { CliError } from './cli-error.js';
import { EXIT_FILE } from './cli-io.js';

const directory = mkdtempSync(join(tmpdir(), 'facto-audit-state-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const state: AuditState = { format: 'facto.audit-state.v1', endpoint: 'http://127.0.0.1:4318', origin: 'facto.local/abcd', log_key: 'facto.local/abcd+01020304+AQ==', tree_size: 12, root_hash: 'ab'.repeat(32), checkpoint: 'note', audited_at: '2026-01-01T00:00:00.000Z' };

describe('audit state', () => {
  it('is absent before the first audit, and reads back what was written', async () => {
    const path = join(directory, 'state.json');
    expect(await readAuditState(path)).toBeUndefined();
    await writeAuditState(path, state);
    expect(await readAuditState(path)).toEqual(state);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(state);
  });

  it('writes through no link planted beside it: its temporary file has a name nobody can guess', async () => {
    const path = join(directory, 'shared-state.json');
    const victim = join(directory, 'victim.txt');
    writeFileSync(victim, 'precious');
    // The name it used before: the pid is easy to guess, so a folder's other users could plant it.
    symlinkSync(victim, `${path}.${process.pid}.tmp`);
    await writeAuditState(path, state);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(lstatSync(path).isFile()).toBe(true);
    expect(await readAuditState(path)).toEqual(state);
  });

  it('refuses, before any audit, a state file in a folder that does not exist (exit 7)', async () => {
    const path = join(directory, 'no-such-folder', 'state.json');
    const refusal = await readAuditState(path).catch((error: CliError) => error);
    expect([(refusal as CliError).exitCode, (refusal as CliError).message]).toEqual([EXIT_FILE, `--state ${path}: cannot write it there (ENOENT: its folder is missing or not writable)`]);
  });

  it('refuses a file that is not an audit state, rather than starting afresh over it', async () => {
    const path = join(directory, 'other.json');
    writeFileSync(path, '{"tree_size": 3}');
    await expect(readAuditState(path)).rejects.toThrow(/not a facto audit state file; move it away to start afresh/);
    writeFileSync(path, 'nonsense');
    await expect(readAuditState(path)).rejects.toThrow(/not an audit state file \(not JSON\)/);
  });
});

describe('the checkpoint an audit state keeps', () => {
  const logKeys = generateKeyPair();
  const origin = 'facto.local/abcd';
  const root = new Uint8Array(32).fill(7);
  const signed: AuditState = {
    ...state,
    origin,
    log_key: encodeVerifierKey(origin, logKeys.publicKey),
    tree_size: 12,
    root_hash: toHex(root),
    checkpoint: signCheckpoint({ origin, treeSize: 12, rootHash: root }, { name: origin, privateKey: logKeys.privateKey }),
  };
  const refusal = (changed: AuditState, pinned?: string) => {
    try {
      openAuditState('state.json', changed, pinned);
    } catch (error) {
      return { exitCode: (error as CliError).exitCode, message: (error as Error).message };
    }
    throw new Error('accepted');
  };

  it('opens with the log key and agrees with the fields beside it', () => {
    expect(openAuditState('state.json', signed, undefined)).toMatchObject({ origin, treeSize: 12, rootHash: root });
    expect(openAuditState('state.json', signed, signed.log_key).treeSize).toBe(12);
  });

  it('calls a field that differs from the signed note, or a note that no longer opens, an inconsistent file (exit 7), not a rewritten log', () => {
    const blame = '--state state.json: the state file itself is inconsistent (edited or corrupt; the collector is not to blame): ';
    expect(refusal({ ...signed, root_hash: '00'.repeat(32) })).toEqual({ exitCode: EXIT_FILE, message: `${blame}its fields differ from its signed checkpoint (root_hash ${'00'.repeat(32)}, signed ${toHex(root)}); restore it from a copy, or move it away to start afresh` });
    expect(refusal({ ...signed, tree_size: 9 }).message).toContain(`${blame}its fields differ from its signed checkpoint (tree_size 9, signed 12)`);
    expect(refusal({ ...signed, origin: 'facto.local/other' }).message).toContain('origin "facto.local/other", signed "facto.local/abcd"');
    const edited = refusal({ ...signed, checkpoint: signed.checkpoint.replace('\n12\n', '\n13\n'), tree_size: 13 });
    expect(edited).toEqual({ exitCode: EXIT_FILE, message: expect.stringContaining(`${blame}its signed checkpoint does not open with its log key (invalid note signature`) });
  });

  it('refuses a state kept for another log key than the one pinned, exit 7', () => {
    const other = encodeVerifierKey(origin, generateKeyPair().publicKey);
    expect(refusal(signed, other)).toEqual({ exitCode: EXIT_FILE, message: expect.stringContaining(`it was kept for the log key ${signed.log_key}, not the one given with --log-key (${other})`) });
  });
});
