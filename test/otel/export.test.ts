/**
 * @facto/otel through the real OTLP exporters (protobuf and JSON) into a local endpoint; what arrived
 * is decoded with the collector's protobuf/JSON decoder and verified with @facto/core alone.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, diag, DiagLogLevel, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FactoError, fromHex, generateKeyPair, privateKeyToPem, toHex, useCryptoBackend } from '@facto/core';
import { createFacto, FactoSpanProcessor, type Facto } from '@facto/otel';
import { startOtlpSink, type OtlpSink } from '../support/otlp-sink.js';
import { verifySpans } from '../support/verify-spans.js';

let sink: OtlpSink;
const open: Facto[] = [];
const keys = generateKeyPair();

function facto(options: Parameters<typeof createFacto>[0] = {}): Facto {
  const instance = createFacto({ agentId: 'agent-test', endpoint: sink.url, privateKey: keys.privateKey, scheduledDelayMillis: 20, retryDelayMillis: 50, ...options });
  open.push(instance);
  return instance;
}

beforeEach(async () => {
  sink = await startOtlpSink();
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((instance) => instance.shutdown()));
  await sink.close();
  useCryptoBackend('auto');
});

describe.each(['http/protobuf', 'http/json'] as const)('over %s', (protocol) => {
  it('signs and chains every span; the receiver verifies them with @facto/core alone', async () => {
    const agent = facto({ protocol });
    const id = agent.record('tool.call', { tool: 'search', query: 'flights to Lisbon' }, { results: 3 }, { model: 'gpt-4o', inputTokens: 12 });
    const answer = await agent.step('plan', { goal: 'book' }, async (step) => {
      agent.record('retrieval', 'q', ['doc-1', 'doc-2']);
      expect(step.factoId).toMatch(/^ft-/);
      return 'booked';
    });
    expect(answer).toBe('booked');
    const span = agent.tracer.startSpan('every-type', {
      kind: SpanKind.CLIENT,
      attributes: {
        text: 'grüße 😀 \u0000 "quoted"',
        empty: '',
        int: 42,
        negative: -7,
        big: 2 ** 60,
        double: 0.1,
        flag: false,
        strings: ['a', 'b'],
        ints: [1, 2, 3],
        doubles: [1.5, -2.25],
        bools: [true, false],
        notANumber: Number.NaN,
        tooBig: 2 ** 64,
        lone: 'x\uD800y',
      },
    });
    // Lone surrogates in an event name and in the status message (an error text cut mid-emoji).
    span.addEvent('check\uD800point', { step: 1 });
    span.addLink({ context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 }, attributes: { why: 'follows' } });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'declined \uD83D' });
    span.end();
    await agent.shutdown();

    expect(sink.requests.every((request) => request.contentType === (protocol === 'http/json' ? 'application/json' : 'application/x-protobuf'))).toBe(true);
    const spans = sink.acceptedSpans();
    expect(spans).toHaveLength(4);
    const { opened, chains, failures } = verifySpans(spans, keys.publicKey);
    expect(failures).toEqual([]);
    expect(chains).toHaveLength(1);
    expect(chains[0]).toMatchObject({ agentId: 'agent-test', length: 4, intact: true, gaps: [], badLinks: [] });
    expect(opened.map((item) => item.record.seq).sort()).toEqual([0, 1, 2, 3]);
    expect(opened.find((item) => item.record.name === 'tool.call')!.record.facto_id).toBe(id);

    const everyType = opened.find((item) => item.record.name === 'every-type')!.record;
    expect(everyType.attributes.notANumber).toEqual({ s: 'NaN' });
    expect(everyType.attributes.tooBig).toEqual({ s: '18446744073709552000' });
    expect(everyType.attributes.lone).toEqual({ s: 'x\uFFFDy' });
    expect(everyType.attributes.big).toEqual({ i: '1152921504606846976' });
    expect(everyType.attributes.double).toEqual({ d: 0.1 });
    expect(everyType.kind).toBe(3);
    expect(everyType.status).toEqual({ code: 2, message: 'declined \uFFFD' });
    expect(everyType.events.map((event) => event.name)).toEqual(['check\uFFFDpoint']);
    expect(everyType.links).toHaveLength(1);

    const tool = opened.find((item) => item.record.name === 'tool.call')!;
    expect(tool.record.attributes['facto.input']).toEqual({ c: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(tool.disclosures.find((item) => item.key === 'facto.input')!.value).toEqual({ s: '{"tool":"search","query":"flights to Lisbon"}' });
    expect(tool.record.attributes['gen_ai.request.model']).toEqual({ s: 'gpt-4o' });
  });
});

describe.each(['inline', 'deferred'] as const)('FactoSpanProcessor behaviour, signing %s', (signing) => {
  it('gives hundreds of overlapping spans strictly sequential seq values in signing order', async () => {
    const agent = facto({ signing });
    const spans = Array.from({ length: 300 }, (_, index) => agent.tracer.startSpan(`op-${index}`));
    // End in a shuffled order, interleaved with awaits: the chain order is the order of ending.
    // A fixed pseudo-random order (an LCG), so a failure names the same case every run.
    let state = 20261130;
    const order = spans.map((_, index) => [index, (state = (state * 1103515245 + 12345) % 2 ** 31)] as const).sort((left, right) => left[1] - right[1]).map(([index]) => index);
    await Promise.all(order.map(async (index, position) => {
      if (position % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
      spans[index]!.end();
    }));
    await agent.shutdown();
    const { opened, chains, failures } = verifySpans(sink.acceptedSpans(), keys.publicKey);
    expect(failures).toEqual([]);
    expect(opened).toHaveLength(300);
    expect(chains[0]).toMatchObject({ length: 300, validLinks: 300, intact: true });
  });

  it('declares spans it had to drop when its queue was full, so the gap is not a deletion', async () => {
    const agent = facto({ signing, maxQueueSize: 20, maxExportBatchSize: 5 });
    sink.hold();
    for (let index = 0; index < 100; index++) agent.record('burst', index, null);
    expect(agent.processor.stats.dropped).toBe(80);
    sink.release();
    expect((await agent.flush()).undelivered).toBe(0);
    agent.record('after', 'calm', null);
    await agent.shutdown();
    const { chains, failures } = verifySpans(sink.acceptedSpans(), keys.publicKey);
    expect(failures).toEqual([]);
    expect(chains[0]!.length).toBe(21);
    expect(chains[0]!.gaps).toEqual([{ fromSeq: 20, toSeq: 99, declared: true }]);
    expect(chains[0]!.intact).toBe(true);
  });

  it('loses nothing through a 503 outage: it backs off and delivers once the collector recovers', async () => {
    // Retry-After 0: the transport's own wait is its business; the queue's backoff is timed with fake timers in export-queue.test.ts.
    sink.reply = (index) => (index < 3 ? { status: 503, headers: { 'retry-after': '0' } } : { status: 200 });
    const agent = facto({ signing, maxExportBatchSize: 10 });
    for (let index = 0; index < 25; index++) agent.record('during-outage', index, null);
    const report = await agent.flush();
    expect(report.undelivered).toBe(0);
    await agent.shutdown();
    expect(sink.requests.filter((request) => request.status === 503)).toHaveLength(3);
    const { chains, failures } = verifySpans(sink.acceptedSpans(), keys.publicKey);
    expect(failures).toEqual([]);
    expect(chains[0]).toMatchObject({ length: 25, gaps: [], intact: true });
  }, 60_000);

  it('delivers everything still queued on shutdown', async () => {
    const agent = facto({ signing, scheduledDelayMillis: 60_000 });
    for (let index = 0; index < 7; index++) agent.record('queued', index, null);
    expect(sink.requests).toHaveLength(0);
    const report = await agent.shutdown();
    expect(report).toMatchObject({ undelivered: 0, delivered: 7 });
    expect(sink.acceptedSpans()).toHaveLength(7);
  });

  it('says what it could not deliver when the collector stays down', async () => {
    sink.reply = () => ({ status: 500 });
    const agent = facto({ signing, flushTimeoutMillis: 300 });
    agent.record('lost', 1, null);
    const report = await agent.shutdown();
    expect(report).toMatchObject({ delivered: 0, undelivered: 1, dropped: 1, refused: 0 });
  });

  it('owns facto.* attributes: an id or a drop count a caller sets is replaced, and the span still verifies', async () => {
    const agent = facto({ signing });
    const id = agent.record('tool.call', 1, 2, { 'facto.id': 'ft-00000000-0000-4000-8000-000000000000', 'facto.dropped': 5 });
    const span = agent.tracer.startSpan('manual', { attributes: { 'facto.id': 'ft-chosen' } });
    span.setAttribute('facto.id', 'ft-chosen-later');
    span.setAttribute('facto.seq', 99);
    span.end();
    await agent.shutdown();
    expect(id).toMatch(/^ft-[0-9a-f-]{36}$/);
    expect(id).not.toBe('ft-00000000-0000-4000-8000-000000000000');
    const { opened, failures, chains } = verifySpans(sink.acceptedSpans(), keys.publicKey);
    expect(failures).toEqual([]);
    expect(opened.map((item) => item.record.facto_id)).toEqual([id, expect.not.stringMatching(/chosen/)]);
    expect(opened.map((item) => [item.record.seq, item.record.dropped])).toEqual([[0, 0], [1, 0]]);
    expect(chains[0]).toMatchObject({ length: 2, intact: true });
  });

  it('works without node:crypto, on the portable path, and the fast path verifies it', async () => {
    useCryptoBackend('noble');
    const agent = facto({ signing });
    agent.record('portable', 'in', 'out');
    await agent.shutdown();
    useCryptoBackend('node');
    const { failures, opened } = verifySpans(sink.acceptedSpans(), keys.publicKey);
    expect(opened).toHaveLength(1);
    expect(failures).toEqual([]);
  });

  it('runs several agents side by side, each with its own key and chain', async () => {
    const other = generateKeyPair();
    const first = facto({ signing, agentId: 'agent-a' });
    const second = facto({ signing, agentId: 'agent-b', privateKey: privateKeyToPem(other.privateKey) });
    first.record('a', 1, 1);
    second.record('b', 1, 1);
    first.record('a', 2, 2);
    await Promise.all([first.shutdown(), second.shutdown()]);
    const spans = sink.acceptedSpans();
    const byAgent = (agent: string) => spans.filter((span) => span.attributes.some(([key, value]) => key === 'facto.agent_id' && value !== null && 's' in value && value.s === agent));
    expect(verifySpans(byAgent('agent-a'), keys.publicKey).chains[0]).toMatchObject({ length: 2, intact: true });
    expect(verifySpans(byAgent('agent-b'), other.publicKey).chains[0]).toMatchObject({ length: 1, intact: true });
    expect(verifySpans(byAgent('agent-b'), keys.publicKey).failures).toHaveLength(1);
    expect(first.chainId).not.toBe(second.chainId);
  });

  it('never throws into the agent: a failing step keeps its error, and a rejected export is only logged', async () => {
    const logged: string[] = [];
    diag.setLogger({ error: (message) => logged.push(`error ${message}`), warn: (message) => logged.push(`warn ${message}`), info: () => undefined, debug: () => undefined, verbose: () => undefined }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
    try {
      sink.reply = () => ({ status: 500 });
      const agent = facto({ signing, flushTimeoutMillis: 200 });
      await expect(agent.step('fails', null, () => Promise.reject(new Error('card declined')))).rejects.toThrow('card declined');
      expect(() => agent.record('circular', (() => { const loop: Record<string, unknown> = {}; loop.self = loop; return loop; })(), 10n)).not.toThrow();
      const report = await agent.shutdown();
      expect(report).toMatchObject({ delivered: 0, dropped: 2 });
      expect(logged).toContain('error facto: 2 signed spans could not be delivered before shutdown; they are declared dropped');
      expect(logged.some((line) => line.startsWith('warn facto: export of 2 spans failed (HTTP 500'))).toBe(true);
    } finally {
      diag.disable();
    }
  });
});

describe('deferred signing', () => {
  it('keeps content out of the exported span when capture is "hashes", and the record still verifies', async () => {
    const agent = facto({ signing: 'deferred', capture: 'hashes' });
    agent.record('tool.call', { card: '4111 1111 1111 1111' }, { ok: true });
    await agent.shutdown();
    const body = Buffer.from(sink.requests[0]!.body).toString('latin1');
    expect(body).not.toContain('4111 1111');
    const { failures, opened } = verifySpans(sink.acceptedSpans(), keys.publicKey);
    expect(failures).toEqual([]);
    expect(opened[0]!.record.attributes['facto.input']).toEqual({ c: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it("keeps the AI SDK's own telemetry content in the process under capture 'hashes' too", async () => {
    const agent = facto({ capture: 'hashes' });
    const span = agent.tracer.startSpan('ai.generateText', { attributes: { 'ai.prompt': '{"prompt":"card 4111 1111 1111 1111"}', 'ai.response.text': 'approved for 4111' } });
    span.end();
    await agent.shutdown();
    const body = Buffer.from(sink.requests[0]!.body).toString('latin1');
    // Whole phrases: a bare '4111' also turns up in random ids (a UUIDv4's third group starts with 4).
    expect(body).not.toContain('card 4111');
    expect(body).not.toContain('approved for');
    const { failures, opened } = verifySpans(sink.acceptedSpans(), keys.publicKey);
    expect(failures).toEqual([]);
    expect(opened[0]!.record.attributes['ai.prompt']).toEqual({ c: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('signs every delivered span in the export worker, and still declares drops', async () => {
    const agent = facto({ signing: 'deferred', maxQueueSize: 10, maxExportBatchSize: 5 });
    const seenAtEnd: (string | undefined)[] = [];
    agent.provider.getTracer('probe');
    sink.hold();
    for (let index = 0; index < 30; index++) {
      const span = agent.tracer.startSpan(`deferred-${index}`);
      span.end();
      seenAtEnd.push((span as unknown as { attributes: Record<string, string> }).attributes['facto.signature']);
    }
    expect(seenAtEnd.every((signature) => signature === undefined)).toBe(true);
    expect(agent.processor.stats.dropped).toBe(20);
    sink.release();
    await agent.flush();
    agent.record('after', 1, 1);
    await agent.shutdown();
    const { chains, failures, opened } = verifySpans(sink.acceptedSpans(), keys.publicKey);
    expect(failures).toEqual([]);
    expect(opened).toHaveLength(11);
    expect(chains[0]!.gaps).toEqual([{ fromSeq: 10, toSeq: 29, declared: true }]);
    expect(chains[0]!.intact).toBe(true);
  });
});

describe('inside an existing OpenTelemetry setup', () => {
  it('signs every span that flows through FactoSpanProcessor, whoever created it', async () => {
    const exporter = new OTLPTraceExporter({ url: `${sink.url}/v1/traces` });
    const processor = new FactoSpanProcessor({ agentId: 'existing-app', privateKey: keys.privateKey, exporter, scheduledDelayMillis: 10 });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    const tracer = provider.getTracer('some-other-instrumentation');
    const parent = tracer.startSpan('HTTP GET /checkout', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET' } });
    const child = tracer.startSpan('db.query', { attributes: { 'db.system.name': 'postgresql' } }, trace.setSpan(context.active(), parent));
    child.end();
    parent.end();
    await provider.shutdown();
    const { opened, chains, failures } = verifySpans(sink.acceptedSpans(), keys.publicKey);
    expect(failures).toEqual([]);
    expect(opened.map((item) => item.record.name)).toEqual(['db.query', 'HTTP GET /checkout']);
    expect(opened[0]!.record.parent_span_id).toBe(opened[1]!.record.span_id);
    expect(chains[0]).toMatchObject({ agentId: 'existing-app', length: 2, intact: true });
  });

  it.each(['inline', 'deferred'] as const)('continues a chain across restarts when the head is persisted (signing %s)', async (signing) => {
    const directory = mkdtempSync(join(tmpdir(), 'facto-head-'));
    const headFile = join(directory, 'head.json');
    try {
      const before = facto({ signing, chainId: 'long-lived', headFile });
      before.record('first-life', 1, 1);
      before.record('first-life', 2, 2);
      await before.shutdown();
      expect(statSync(headFile).mode & 0o777).toBe(0o600);
      const after = facto({ signing, chainId: 'long-lived', headFile });
      after.record('second-life', 3, 3);
      await after.shutdown();
      const { chains, failures } = verifySpans(sink.acceptedSpans(), keys.publicKey);
      expect(failures).toEqual([]);
      expect(chains[0]).toMatchObject({ chainId: 'long-lived', length: 3, validLinks: 3, intact: true });
      expect(() => facto({ chainId: 'another-chain', headFile })).toThrow(/belongs to agent/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('configuration', () => {
  it('refuses a malformed key at start with a clear error that does not echo the key', () => {
    const secret = 'not-a-key-but-a-secret-0123456789';
    let error: unknown;
    try {
      createFacto({ agentId: 'x', privateKey: secret });
    } catch (caught) {
      error = caught;
    }
    expect(FactoError.isInstance(error)).toBe(true);
    expect((error as FactoError).code).toBe('key_format');
    expect((error as Error).message).not.toContain(secret);
    expect(() => createFacto({ agentId: 'x', privateKey: new Uint8Array(31) })).toThrow(/privateKey option/);
  });

  it('reads FACTO_* variables and falls back to the standard OTLP endpoint variables', async () => {
    const { resolveEnvironment } = await import('@facto/otel');
    const seed = toHex(keys.privateKey);
    const resolved = resolveEnvironment({}, { FACTO_AGENT_ID: 'env-agent', FACTO_PRIVATE_KEY: seed, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', FACTO_CAPTURE: 'hashes', FACTO_INGEST_TOKEN: 't0k', FACTO_QUERY_TOKEN: 'not-this-one' });
    expect(resolved).toMatchObject({ agentId: 'env-agent', url: 'http://collector:4318/v1/traces', capture: 'hashes', protocol: 'http/protobuf' });
    expect(resolved.privateKey).toEqual(fromHex(seed));
    expect(resolved.headers.authorization).toBe('Bearer t0k');
    // FACTO_TOKEN, read before the rename: not sent, and said.
    const warnings: string[] = [];
    diag.setLogger({ error: () => undefined, warn: (message) => void warnings.push(message), info: () => undefined, debug: () => undefined, verbose: () => undefined }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
    try {
      expect(resolveEnvironment({}, { FACTO_AGENT_ID: 'a', FACTO_PRIVATE_KEY: seed, FACTO_TOKEN: 'old' }).headers.authorization).toBeUndefined();
    } finally {
      diag.disable();
    }
    expect(warnings).toEqual([expect.stringContaining('FACTO_TOKEN is set but not read; the ingest token comes from FACTO_INGEST_TOKEN')]);
    expect(() => resolveEnvironment({}, { FACTO_PRIVATE_KEY: seed })).toThrow(/FACTO_AGENT_ID/);
    expect(() => resolveEnvironment({}, { FACTO_AGENT_ID: 'a' })).toThrow(/FACTO_KEY_FILE/);
    expect(() => resolveEnvironment({}, { FACTO_AGENT_ID: 'a', FACTO_KEY_FILE: '/nonexistent/key.pem' })).toThrow(/cannot read the signing key file/);
    expect(() => resolveEnvironment({ capture: 'all' as never }, { FACTO_AGENT_ID: 'a', FACTO_PRIVATE_KEY: seed })).toThrow(/capture must be/);
  });
});
