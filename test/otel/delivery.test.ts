/**
 * What an agent's spans go through on the way to a real collector when something refuses them: a
 * batch too big for the collector's body limit, a span too big even alone, a span that cannot be
 * sealed, a queue that overflows. In every case the spans behind keep flowing, every loss is
 * declared in the chain (so the collector sees a declared gap, never a deletion), and the agent is
 * told what was lost.
 */
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateKeyPair } from '@facto/core';
import { createFacto, type Facto } from '@facto/otel';
import { startTestCollector, type TestCollector } from '../support/collector.js';

const keys = generateKeyPair();
const running: TestCollector[] = [];
const agents: Facto[] = [];
let logged: { level: string; message: string }[];

async function collector(overrides: Parameters<typeof startTestCollector>[0] = {}): Promise<TestCollector> {
  const instance = await startTestCollector(overrides);
  running.push(instance);
  return instance;
}

function agent(instance: TestCollector, options: Parameters<typeof createFacto>[0] = {}): Facto {
  const created = createFacto({ agentId: 'delivery-agent', endpoint: instance.url, privateKey: keys.privateKey, retryDelayMillis: 20, ...options });
  agents.push(created);
  return created;
}

async function chainOf(instance: TestCollector, facto: Facto) {
  return instance.json(`/v1/chains/delivery-agent/${encodeURIComponent(facto.chainId)}`);
}

beforeEach(() => {
  logged = [];
  const record = (level: string) => (message: string) => logged.push({ level, message });
  const logger: DiagLogger = { error: record('error'), warn: record('warn'), info: record('info'), debug: () => undefined, verbose: () => undefined };
  diag.setLogger(logger, { logLevel: DiagLogLevel.INFO, suppressOverrideMessage: true });
});

afterEach(async () => {
  await Promise.all(agents.splice(0).map((item) => item.shutdown()));
  await Promise.all(running.splice(0).map((instance) => instance.stop()));
  diag.disable();
});

const context40k = (index: number) => `call ${index}: ` + 'the customer wrote a long message. '.repeat(1200);

describe('a batch the collector refuses', () => {
  it('delivers 600 model calls of 40 KB each with default settings: batches over the body limit are split', async () => {
    const instance = await collector();
    const facto = agent(instance);
    for (let index = 0; index < 600; index++) facto.record('chat', { context: context40k(index) }, { answer: index });
    const report = await facto.flush();
    expect(report).toEqual({ delivered: 600, undelivered: 0, dropped: 0, refused: 0, rejected: 0 });
    const chain = await chainOf(instance, facto);
    expect(chain).toMatchObject({ length: 600, intact: true, undeclared_gaps: 0, declared_gaps: 0 });
  }, 120_000);

  it.each(['inline', 'deferred'] as const)('drops a span too big even alone, declares it, and delivers the spans behind it (signing %s)', async (signing) => {
    const instance = await collector({ maxBodyBytes: 256 * 1024 });
    const facto = agent(instance, { signing, maxExportBatchSize: 8 });
    facto.record('small', 0, 'before');
    facto.record('huge', 'x'.repeat(400 * 1024), 'never fits');
    for (let index = 2; index < 10; index++) facto.record('small', index, 'after');
    const report = await facto.flush();
    expect(report).toEqual({ delivered: 9, undelivered: 0, dropped: 1, refused: 1, rejected: 0 });
    expect(logged.filter((entry) => entry.level === 'error').map((entry) => entry.message)).toEqual([
      expect.stringMatching(/^facto: the collector refused a span permanently \(HTTP 413: .*request body exceeds 262144 bytes.*\); it is dropped and declared in the chain$/),
    ]);
    // The next span carries the declaration; until then the collector sees the gap as pending.
    facto.record('small', 10, 'declares the drop');
    await facto.flush();
    const events = (await instance.json('/v1/events?agent_id=delivery-agent&order=asc&limit=100')).events;
    expect(events.map((event: { seq: number }) => event.seq)).toEqual([0, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(events.find((event: { seq: number }) => event.seq === 10).dropped).toBe(1);
    const chain = await chainOf(instance, facto);
    expect(chain).toMatchObject({ length: 10, intact: true, gaps: [{ from_seq: 1, to_seq: 1, declared: true }] });
  }, 60_000);
});

describe('a span that cannot be sealed', () => {
  it.each(['inline', 'deferred'] as const)('spends its seq and declares it, so the collector sees a declared gap, not a deletion (signing %s)', async (signing) => {
    const instance = await collector({ unsigned: 'store' });
    const facto = agent(instance, { signing });
    facto.record('first', 1, 1);
    const broken = facto.tracer.startSpan('unsealable');
    // A key-value attribute holding a lone surrogate cannot be canonicalised (RFC 8785), so sealing
    // fails; set directly, as a buggy instrumentation might, past the SDK's own attribute checks.
    (broken as unknown as { attributes: Record<string, unknown> }).attributes.payload = { text: 'x\uD800' };
    broken.end();
    facto.record('third', 3, 3);
    await facto.flush();
    const events = (await instance.json('/v1/events?agent_id=delivery-agent&order=asc&limit=100')).events;
    expect(events.map((event: { seq: number; dropped: number }) => [event.seq, event.dropped])).toEqual([
      [0, 0],
      [2, 1],
    ]);
    const chain = await chainOf(instance, facto);
    expect(chain).toMatchObject({ length: 2, intact: true, gaps: [{ from_seq: 1, to_seq: 1, declared: true }] });
    expect(facto.processor.stats.sealFailures).toBe(1);
    expect(logged.some((entry) => entry.level === 'error' && entry.message.includes('"unsealable" could not be sealed'))).toBe(true);
  });
});

describe('a queue that overflows', () => {
  it('reports every dropped span in the next flush, and warns once when dropping starts', async () => {
    const instance = await collector();
    const facto = agent(instance, { maxQueueSize: 512, maxExportBatchSize: 256 });
    for (let index = 0; index < 5000; index++) facto.record('burst', index, null);
    const dropped = facto.processor.stats.dropped;
    expect(dropped).toBeGreaterThan(0);
    const report = await facto.flush();
    expect(report.dropped).toBe(dropped);
    expect(report.delivered + report.dropped).toBe(5000);
    const warnings = logged.filter((entry) => entry.message.startsWith('facto: the export queue is full'));
    expect(warnings).toHaveLength(1);
    facto.record('after', 'calm', null);
    await facto.flush();
    const chain = await chainOf(instance, facto);
    expect(chain).toMatchObject({ length: 5001 - dropped, intact: true, undeclared_gaps: 0 });
  }, 60_000);
});

describe('an exporter that does not answer', () => {
  it('is reported as an error after exportTimeoutMillis, and delivery goes on, whole, once it answers', async () => {
    const instance = await collector();
    const otlp = new OTLPTraceExporter({ url: `${instance.url}/v1/traces` });
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    // Holds its first export until released, then behaves.
    let calls = 0;
    const exporter: SpanExporter = {
      export: (spans, done) => (++calls === 1 ? void released.then(() => otlp.export(spans, done)) : otlp.export(spans, done)),
      shutdown: () => otlp.shutdown(),
    };
    const facto = agent(instance, { exporter, exportTimeoutMillis: 200 });
    for (let index = 0; index < 3; index++) facto.record('step', index, null);
    const flushed = facto.flush();
    while (!logged.some((entry) => entry.level === 'error' && entry.message.includes('the exporter has not answered an export'))) await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    expect(await flushed).toEqual({ delivered: 3, undelivered: 0, dropped: 0, refused: 0, rejected: 0 });
    expect(await chainOf(instance, facto)).toMatchObject({ length: 3, intact: true, undeclared_gaps: 0 });
  });
});

describe('a process that ends on its own', () => {
  it('delivers what it had queued, though the queue timers do not keep it alive', async () => {
    const instance = await collector();
    const script = new URL('./.ends-on-its-own.mjs', import.meta.url).pathname;
    // No flush, no shutdown, an export delay of an hour: only the beforeExit delivery can send these.
    writeFileSync(
      script,
      `import { createFacto } from '@facto/otel';
const facto = createFacto({ agentId: 'natural-exit', endpoint: process.env.ENDPOINT, privateKey: process.env.KEY, scheduledDelayMillis: 3_600_000 });
for (let index = 0; index < 3; index++) facto.record('step', index, index * 2);
`,
    );
    try {
      await promisify(execFile)(process.execPath, [script], { env: { ...process.env, ENDPOINT: instance.url, KEY: Buffer.from(keys.privateKey).toString('hex') } });
    } finally {
      rmSync(script, { force: true });
    }
    const events = (await instance.json('/v1/events?agent_id=natural-exit&order=asc')).events;
    expect(events.map((event: { seq: number }) => event.seq)).toEqual([0, 1, 2]);
  }, 60_000);

  it('ends, and says what it leaves undelivered, when the collector cannot be reached', async () => {
    // A port nothing listens on: every export is refused at once.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const script = new URL('./.ends-unreachable.mjs', import.meta.url).pathname;
    writeFileSync(
      script,
      `import { diag, DiagConsoleLogger, DiagLogLevel } from '@opentelemetry/api';
import { createFacto } from '@facto/otel';
diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.ERROR);
const facto = createFacto({ agentId: 'unreachable-exit', endpoint: process.env.ENDPOINT, privateKey: process.env.KEY, scheduledDelayMillis: 3_600_000, retryDelayMillis: 50 });
for (let index = 0; index < 3; index++) facto.record('step', index, index * 2);
`,
    );
    try {
      // Before, Node's next beforeExit started another delivery each time the last one failed, for ever.
      const { stderr } = await promisify(execFile)(process.execPath, [script], { env: { ...process.env, ENDPOINT: `http://127.0.0.1:${port}`, KEY: Buffer.from(keys.privateKey).toString('hex') } });
      expect(stderr).toMatch(/the process is ending with 3 signed spans not delivered/);
    } finally {
      rmSync(script, { force: true });
    }
  }, 60_000);
});

describe('an OpenTelemetry flush by someone else', () => {
  it("delivers, and leaves the counts to the agent's own flush report", async () => {
    const instance = await collector();
    const facto = agent(instance, { scheduledDelayMillis: 3_600_000 });
    facto.record('step', 1, 1);
    facto.record('step', 2, 2);
    await facto.provider.forceFlush();
    expect((await instance.json('/v1/events?agent_id=delivery-agent')).events).toHaveLength(2);
    expect(await facto.flush()).toEqual({ delivered: 2, undelivered: 0, dropped: 0, refused: 0, rejected: 0 });
  });
});


describe('spans the collector takes in and rejects in its 200 (OTLP partial_success)', () => {
  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`counts them as rejected, not delivered, and says so once, over ${protocol}`, async () => {
      const instance = await collector({ trust: 'tofu' });
      const pinned = agent(instance, { protocol });
      pinned.record('chat', { question: 1 }, { answer: 1 });
      expect(await pinned.flush()).toMatchObject({ delivered: 1, rejected: 0, dropped: 0 });

      // The same agent id with another key: trust on first use pinned the first one.
      const impostor = createFacto({ agentId: 'delivery-agent', endpoint: instance.url, privateKey: generateKeyPair().privateKey, protocol, retryDelayMillis: 20 });
      agents.push(impostor);
      for (let index = 0; index < 3; index++) impostor.record('chat', { question: index }, { answer: index });
      expect(await impostor.flush()).toEqual({ delivered: 0, undelivered: 0, dropped: 0, refused: 0, rejected: 3 });
      const said = () => logged.filter((entry) => entry.level === 'error' && entry.message.includes('rejected'));
      expect(said()).toHaveLength(1);
      expect(said()[0]!.message).toMatch(/took in 3 spans and rejected 3 of them \(3 rejected: .*key/);

      // The next rejected export is counted, and not said again in the same episode.
      impostor.record('chat', { question: 4 }, { answer: 4 });
      expect(await impostor.flush()).toMatchObject({ delivered: 0, rejected: 1 });
      expect(said()).toHaveLength(1);
      // What the agent was told matches what the collector kept: incidents, not events.
      const incidents = await instance.json<{ incidents: { kind: string }[] }>('/v1/incidents');
      expect(incidents.incidents.filter((incident) => incident.kind === 'unknown_key')).toHaveLength(4);
      expect(pinned.processor.stats).toMatchObject({ delivered: 1, rejected: 0 });
    });
  }
});
