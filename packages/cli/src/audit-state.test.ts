import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAuditState, writeAuditState, type AuditState } from './audit-state.js';

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

  it('refuses a file that is not an audit state, rather than starting afresh over it', async () => {
    const path = join(directory, 'other.json');
    writeFileSync(path, '{"tree_size": 3}');
    await expect(readAuditState(path)).rejects.toThrow(/not a facto audit state file; move it away to start afresh/);
    writeFileSync(path, 'nonsense');
    await expect(readAuditState(path)).rejects.toThrow(/not an audit state file \(not JSON\)/);
  });
});
