/**
 * Each package README's first ```js block is runnable documentation: this test runs it as a user
 * would, in a child Node process against the built packages, and checks that it did its job.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, keyId, parsePublicKey, privateKeyToPem } from '@facto/core';
import { startFakeOpenAI } from './support/fake-openai.js';
import { chatCompletion, responseEvents, responseObject } from './support/openai-fixtures.js';
import { startOtlpSink, type OtlpSink } from './support/otlp-sink.js';
import { verifySpans } from './support/verify-spans.js';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

function firstJsBlock(readmePath: string): string {
  const text = readFileSync(join(root, readmePath), 'utf8');
  const match = /```js\n([\s\S]*?)```/.exec(text);
  if (!match) throw new Error(`${readmePath} has no js snippet`);
  return match[1]!;
}

/** The first ```js block under a README's `## heading`. */
function jsBlockUnder(readmePath: string, heading: string): string {
  const text = readFileSync(join(root, readmePath), 'utf8');
  const section = text.split(/^## /m).find((part) => part.startsWith(`${heading}\n`));
  const match = section && /```js\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error(`${readmePath} has no js snippet under "## ${heading}"`);
  return match[1]!;
}

let directory: string;
let sink: OtlpSink;
beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'facto-readme-'));
  sink = await startOtlpSink();
});
afterAll(async () => {
  await sink.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('README snippets', () => {
  it('@facto/otel: the one-line setup signs what the agent records', async () => {
    const keys = generateKeyPair();
    const keyFile = join(directory, 'agent.pem');
    writeFileSync(keyFile, privateKeyToPem(keys.privateKey), { mode: 0o600 });
    const script = join(root, 'packages/otel/.readme-snippet.mjs');
    writeFileSync(script, firstJsBlock('packages/otel/README.md'));
    try {
      const { stdout } = await run(process.execPath, [script], { cwd: root, env: { ...process.env, FACTO_ENDPOINT: sink.url, FACTO_KEY_FILE: keyFile } });
      expect(stdout).toMatch(/^ft-[0-9a-f-]{36} refunded\n$/);
    } finally {
      rmSync(script, { force: true });
    }
    const { chains, failures } = verifySpans(sink.acceptedSpans(), keys.publicKey);
    expect(failures).toEqual([]);
    expect(chains[0]).toMatchObject({ agentId: 'billing-agent', length: 2, intact: true });
  });

  it('@facto/openai: the wrapped client records a signed chat span', async () => {
    const keyFile = await writeAgentKey('openai-agent.pem');
    const fake = await startFakeOpenAI();
    fake.reply({ json: chatCompletion({ content: 'Order 1042 ships today.' }) });
    try {
      const stdout = await runSnippet('packages/openai', { FACTO_ENDPOINT: sink.url, FACTO_KEY_FILE: keyFile.path, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test' });
      expect(stdout).toBe('Order 1042 ships today.\n');
      expect(fake.requests.map((request) => request.body.model)).toEqual(['gpt-4o-mini']);
    } finally {
      await fake.close();
    }
    const spans = agentSpans('support-agent');
    const { chains, failures } = verifySpans(spans, keyFile.publicKey);
    expect(failures).toEqual([]);
    expect(chains[0]).toMatchObject({ length: 1, intact: true });
    expect(spans.map((span) => span.name)).toEqual(['chat gpt-4o-mini']);
  });

  it('@facto/ai-sdk: the middleware records a signed chat span for a generateText call', async () => {
    const keyFile = await writeAgentKey('ai-sdk-agent.pem');
    const fake = await startFakeOpenAI();
    fake.reply({ json: responseObject({ id: 'resp_snippet', text: 'Order 1042 ships today.' }) });
    try {
      const stdout = await runSnippet('packages/ai-sdk', { FACTO_ENDPOINT: sink.url, FACTO_KEY_FILE: keyFile.path, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test' });
      expect(stdout).toBe('Order 1042 ships today.\n');
      expect(fake.requests.map((request) => `${request.path} ${request.body.model}`)).toEqual(['/v1/responses gpt-4o-mini']);
    } finally {
      await fake.close();
    }
    const spans = agentSpans('sdk-order-agent');
    const { chains, failures } = verifySpans(spans, keyFile.publicKey);
    expect(failures).toEqual([]);
    expect(chains[0]).toMatchObject({ length: 1, intact: true });
    expect(spans.map((span) => span.name)).toEqual(['chat gpt-4o-mini']);
    const attributes = Object.fromEntries(spans[0]!.attributes.map(([key, value]) => [key, value]));
    expect(attributes['gen_ai.provider.name']).toEqual({ s: 'openai' });
    expect(attributes['gen_ai.response.id']).toEqual({ s: 'resp_snippet' });
  });

  it('@facto/ai-sdk: the tools snippet records both model steps and the tool run between them, signed', async () => {
    const keyFile = await writeAgentKey('ai-sdk-tools-agent.pem');
    const fake = await startFakeOpenAI();
    const call = { type: 'function_call', id: 'fc_1', status: 'completed', call_id: 'call_lookup_1042', name: 'lookup_order', arguments: '{"order":1042}' };
    const lookup = { ...responseObject({ id: 'resp_lookup' }), output: [call] };
    fake.reply(
      {
        named: true,
        done: false,
        sse: [
          { type: 'response.created', sequence_number: 0, response: { ...lookup, status: 'in_progress', output: [], usage: null } },
          { type: 'response.output_item.added', sequence_number: 1, output_index: 0, item: { ...call, status: 'in_progress', arguments: '' } },
          { type: 'response.function_call_arguments.delta', sequence_number: 2, item_id: 'fc_1', output_index: 0, delta: call.arguments },
          { type: 'response.function_call_arguments.done', sequence_number: 3, item_id: 'fc_1', output_index: 0, arguments: call.arguments },
          { type: 'response.output_item.done', sequence_number: 4, output_index: 0, item: call },
          { type: 'response.completed', sequence_number: 5, response: lookup },
        ],
      },
      { named: true, done: false, sse: responseEvents(responseObject({ id: 'resp_answer', text: 'Order 1042 shipped with DHL.' })) },
    );
    const ownSink = await startOtlpSink();
    const script = join(root, 'packages/ai-sdk/.readme-snippet.mjs');
    writeFileSync(script, jsBlockUnder('packages/ai-sdk/README.md', 'Tools and agent runs'));
    try {
      const { stdout } = await run(process.execPath, [script], { cwd: root, env: { ...process.env, FACTO_ENDPOINT: ownSink.url, FACTO_KEY_FILE: keyFile.path, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test' } });
      expect(stdout).toBe('Order 1042 shipped with DHL.\n');
      expect(fake.requests.map((request) => request.path)).toEqual(['/v1/responses', '/v1/responses']);
      expect(JSON.stringify(fake.requests[1]!.body.input)).toContain('call_lookup_1042');
    } finally {
      rmSync(script, { force: true });
      await fake.close();
    }
    const spans = ownSink.acceptedSpans();
    await ownSink.close();
    const { chains, failures } = verifySpans(spans, keyFile.publicKey);
    expect(failures).toEqual([]);
    expect(chains[0]).toMatchObject({ agentId: 'sdk-order-agent', length: 3, intact: true });
    // In the order they ended: the tool runs while the first step's stream is still open.
    expect(spans.map((span) => span.name).sort()).toEqual(['chat gpt-4o-mini', 'chat gpt-4o-mini', 'execute_tool lookup_order']);
  });

  it('@facto/langchain: the one-line handler records the agent run, its model calls and its tool call, nested and signed', async () => {
    const keyFile = await writeAgentKey('langchain-agent.pem');
    const fake = await startFakeOpenAI();
    fake.reply(
      // Distinct ids: LangGraph's message list treats two messages with one id as one.
      { json: chatCompletion({ id: 'chatcmpl-plan', content: null, toolCalls: [{ id: 'call_lookup_1042', name: 'lookup_order', arguments: '{"order":1042}' }] }) },
      { json: chatCompletion({ id: 'chatcmpl-answer', content: 'Order 1042 shipped with DHL.' }) },
    );
    try {
      const stdout = await runSnippet('packages/langchain', { FACTO_ENDPOINT: sink.url, FACTO_KEY_FILE: keyFile.path, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test' });
      expect(stdout).toBe('Order 1042 shipped with DHL.\n');
      expect(fake.requests.map((request) => request.body.model)).toEqual(['gpt-4o-mini', 'gpt-4o-mini']);
    } finally {
      await fake.close();
    }
    const spans = agentSpans('order-agent');
    const { chains, failures } = verifySpans(spans, keyFile.publicKey);
    expect(failures).toEqual([]);
    expect(chains[0]).toMatchObject({ length: 4, intact: true });
    const agent = spans.find((span) => span.name === 'invoke_agent order-agent')!;
    expect(spans.filter((span) => span.parentSpanId === agent.spanId).map((span) => span.name)).toEqual(['chat gpt-4o-mini', 'execute_tool lookup_order', 'chat gpt-4o-mini']);
  });

  it('@facto/genai: an agent run with a model call and a tool call, nested and signed', async () => {
    const keyFile = await writeAgentKey('genai-agent.pem');
    expect(await runSnippet('packages/genai', { FACTO_ENDPOINT: sink.url, FACTO_KEY_FILE: keyFile.path })).toBe('refunded 40 EUR\n');
    const spans = agentSpans('refund-agent');
    const { chains, failures } = verifySpans(spans, keyFile.publicKey);
    expect(failures).toEqual([]);
    expect(chains[0]).toMatchObject({ length: 3, intact: true });
    const agent = spans.find((span) => span.name === 'invoke_agent refund-agent')!;
    expect(spans.filter((span) => span.parentSpanId === agent.spanId).map((span) => span.name).sort()).toEqual(['chat gpt-4o', 'execute_tool refund']);
  });

  it('@facto/core: seal, verify, prove inclusion', async () => {
    expect(await runSnippet('packages/core')).toBe('true true\n');
  });

  it('@facto/collector: embedded start, log endpoint, clean close', async () => {
    expect(await runSnippet('collector', { DEMO_DIR: directory })).toBe('0 true\n');
  });

  it('@facto/cli: the keygen line writes a 0600 key and a matching public key', async () => {
    const text = readFileSync(join(root, 'packages/cli/README.md'), 'utf8');
    const line = /^npx facto keygen (.*?)\s+#/m.exec(text)![1]!.split(/\s+/);
    const folder = mkdtempSync(join(directory, 'cli-'));
    const { stdout } = await run(process.execPath, [join(root, 'packages/cli/bin/facto.mjs'), 'keygen', ...line], { cwd: folder });
    expect(statSync(join(folder, 'agent.pem')).mode & 0o777).toBe(0o600);
    const publicKey = parsePublicKey(readFileSync(join(folder, 'agent.pem.pub'), 'utf8'));
    expect(stdout).toContain(keyId(publicKey));
    expect(stdout).toContain('billing-agent');
    expect(stdout).not.toContain('PRIVATE KEY');
  });
});

async function writeAgentKey(name: string): Promise<{ path: string; publicKey: Uint8Array }> {
  const keys = generateKeyPair();
  const path = join(directory, name);
  writeFileSync(path, privateKeyToPem(keys.privateKey), { mode: 0o600 });
  return { path, publicKey: keys.publicKey };
}

/** The spans the sink accepted from one agent. */
function agentSpans(agentId: string) {
  return sink.acceptedSpans().filter((span) => span.attributes.some(([key, value]) => key === 'facto.agent_id' && value !== null && 's' in value && value.s === agentId));
}

async function runSnippet(packageDirectory: string, env: Record<string, string> = {}): Promise<string> {
  const script = join(root, packageDirectory, '.readme-snippet.mjs');
  writeFileSync(script, firstJsBlock(`${packageDirectory}/README.md`));
  try {
    const { stdout } = await run(process.execPath, [script], { cwd: root, env: { ...process.env, ...env } });
    return stdout;
  } finally {
    rmSync(script, { force: true });
  }
}
