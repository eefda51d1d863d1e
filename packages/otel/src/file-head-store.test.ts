import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileHeadStore } from './file-head-store.js';

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'facto-head-file-'));
});
afterEach(() => {
  diag.disable();
  rmSync(directory, { recursive: true, force: true });
});

const state = (nextSeq: number, dropped = 0) => ({ agentId: 'agent', chainId: 'chain', nextSeq, prevHash: nextSeq.toString(16).padStart(64, '0'), dropped });

describe('createFileHeadStore', () => {
  it('writes the head mode 0600, rewrites it in place, and loads it back after close', () => {
    const path = join(directory, 'nested', 'head.json');
    const store = createFileHeadStore(path);
    expect(store.load('agent', 'chain')).toBeUndefined();
    store.save(state(1000, 3));
    store.save(state(7));
    // A shorter text is padded over the longer one until close trims it.
    expect(readFileSync(path, 'utf8').trim()).toBe(JSON.stringify(state(7)));
    store.close();
    expect(readFileSync(path, 'utf8')).toBe(JSON.stringify(state(7)));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(createFileHeadStore(path).load('agent', 'chain')).toEqual(state(7));
  });

  it("refuses a head that belongs to another chain, or that is not a head, with a message that says what to do", () => {
    const path = join(directory, 'head.json');
    writeFileSync(path, JSON.stringify(state(3)));
    expect(() => createFileHeadStore(path).load('agent', 'other')).toThrow('chain head file ' + path + ' belongs to agent "agent" chain "chain", not "agent" chain "other"');
    writeFileSync(path, '{"agentId":"agent"');
    expect(() => createFileHeadStore(path).load('agent', 'chain')).toThrow(/is not valid JSON; move it away to start a new chain/);
    writeFileSync(path, JSON.stringify({ ...state(3), prevHash: 'short' }));
    expect(() => createFileHeadStore(path).load('agent', 'chain')).toThrow(/does not hold a valid chain head/);
  });

  it('keeps the agent going when the head cannot be written, and says so once', () => {
    const warnings: string[] = [];
    diag.setLogger({ error: () => undefined, warn: (message) => warnings.push(message), info: () => undefined, debug: () => undefined, verbose: () => undefined }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
    const blocker = join(directory, 'a-file');
    writeFileSync(blocker, 'not a folder');
    const store = createFileHeadStore(join(blocker, 'head.json'));
    expect(() => store.save(state(1))).not.toThrow();
    expect(() => store.save(state(2))).not.toThrow();
    expect(warnings).toEqual([expect.stringMatching(/^facto: cannot persist the chain head to .*head\.json \(ENOTDIR\); the chain goes on in memory$/)]);
  });
});
