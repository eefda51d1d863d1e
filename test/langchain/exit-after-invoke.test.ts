/**
 * A process that exits right after invoke(): the handler has ended every span by then (LangChain
 * awaits it), and `await handler.flush()` delivers them before the process is gone. The same process
 * without the flush delivers nothing (its exporter would have sent the batch an hour later), which
 * shows the flush is what delivered. Each run has its own agent id; what lands is read back from the
 * real collector, signed and verified.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, privateKeyToPem } from '@facto/core';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { landedSpans } from '../support/landed-spans.js';
import { outline } from '../support/span-tree.js';

const run = promisify(execFile);
const script = new URL('./fixtures/exit-after-invoke.mjs', import.meta.url).pathname;

let collector: TestCollector;
let directory: string;
let keyFile: string;
beforeAll(async () => {
  collector = await startTestCollector();
  directory = mkdtempSync(join(tmpdir(), 'facto-langchain-exit-'));
  keyFile = join(directory, 'agent.pem');
  writeFileSync(keyFile, privateKeyToPem(generateKeyPair().privateKey), { mode: 0o600 });
});
afterAll(async () => {
  await collector?.stop();
  rmSync(directory, { recursive: true, force: true });
});

async function exitAfterInvoke(agentId: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [script, ...args], { env: { ...process.env, FACTO_ENDPOINT: collector.url, FACTO_KEY_FILE: keyFile, FACTO_AGENT_ID: agentId } });
  return stdout;
}

describe('@facto/langchain: a process that exits right after invoke()', () => {
  it('delivers the whole run, signed and chained, when it awaits handler.flush() first', async () => {
    expect(await exitAfterInvoke('exit-with-flush', '--flush')).toBe('Order 1042 has shipped.\n');
    const spans = await landedSpans(collector, 'exit-with-flush');
    expect(outline(spans)).toBe(['invoke_agent exiting-agent', '  chat', '  execute_tool lookup_order', '  chat'].join('\n'));
  });

  it('delivers nothing without the flush: its exporter had not sent the batch yet', async () => {
    expect(await exitAfterInvoke('exit-without-flush')).toBe('Order 1042 has shipped.\n');
    expect(await landedSpans(collector, 'exit-without-flush')).toEqual([]);
  });
});
