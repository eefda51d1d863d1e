/**
 * npm run bench -w @facto/collector: ingest throughput through the real HTTP server into SQLite
 * (WAL, synchronous=FULL), with every signature verified and every batch committed durably before
 * the 200. Baseline in the same run: the same requests against a plain node:http server that reads
 * the body and answers 200, so the ratio isolates what verification and durable storage cost.
 */
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONTENT_KEYS, generateKeyPair, keyId, sealSpan, toHex, toTypedValue, ZERO_HASH_HEX } from '@facto/core';
import { DEFAULT_CONFIG, createMetrics, silentLogger, startCollector } from '../dist/index.js';
import { report } from '../../bench/harness.mjs';

const SPANS_PER_REQUEST = 500;
const REQUESTS = 40;
const keys = generateKeyPair();

function anyValue(value) {
  if ('s' in value) return { stringValue: value.s };
  if ('i' in value) return { intValue: value.i };
  if ('d' in value) return { doubleValue: value.d };
  if ('b' in value) return { boolValue: value.b };
  return { arrayValue: { values: value.a.map(anyValue) } };
}

// One chain of REQUESTS * SPANS_PER_REQUEST signed GenAI spans, as OTLP/JSON bodies.
let prevHash = ZERO_HASH_HEX;
let seq = 0;
const bodies = Array.from({ length: REQUESTS }, () => {
  const spans = Array.from({ length: SPANS_PER_REQUEST }, () => {
    const span = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: (seq + 1).toString(16).padStart(16, '0'), parentSpanId: '', name: 'chat gpt-4o', kind: 3,
      startTimeUnixNano: '1732280000000000000', endTimeUnixNano: '1732280000250000000', status: { code: 0, message: '' }, events: [], links: [],
      attributes: Object.entries({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 420, 'gen_ai.input.messages': '[{"role":"user","content":"Refund order 1042?"}]' }).map(([key, value]) => [key, toTypedValue(value)]),
    };
    const sealed = sealSpan({ span, chain: { factoId: `ft-00000000-0000-4000-8000-${(seq + 1).toString(16).padStart(12, '0')}`, agentId: 'bench', chainId: 'bench', seq, prevHash, keyId: keyId(keys.publicKey), dropped: 0 }, privateKey: keys.privateKey, publicKey: toHex(keys.publicKey), contentKeys: new Set(DEFAULT_CONTENT_KEYS), capture: 'full' });
    prevHash = toHex(sealed.hash);
    seq++;
    const attributes = [...span.attributes, ...Object.entries(sealed.attributes).map(([key, value]) => [key, toTypedValue(value)])];
    return { ...span, attributes: attributes.map(([key, value]) => ({ key, value: anyValue(value) })) };
  });
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 'bench' }, spans }] }] });
});

async function send(url) {
  const start = performance.now();
  for (const body of bodies) {
    const response = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await response.text();
    if (response.status !== 200 || text.includes('rejected')) throw new Error(`ingest failed: ${response.status} ${text.slice(0, 200)}`);
  }
  const seconds = (performance.now() - start) / 1000;
  const spans = REQUESTS * SPANS_PER_REQUEST;
  return { opsPerSecond: spans / seconds, microseconds: (seconds * 1e6) / spans };
}

const plain = createServer((request, response) => {
  request.resume();
  request.on('end', () => response.end('{}'));
});
await new Promise((resolve) => plain.listen(0, '127.0.0.1', resolve));
const baseline = { name: 'plain node:http, read body, 200 (baseline)', ...(await send(`http://127.0.0.1:${plain.address().port}`)) };
plain.close();

const directory = mkdtempSync(join(tmpdir(), 'facto-bench-'));
const collector = await startCollector({ ...DEFAULT_CONFIG, port: 0, db: join(directory, 'facto.db'), logKey: join(directory, 'log.pem'), checkpointInterval: 3600 }, { logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }) });
const facto = { name: 'facto collector: decode, verify, chain, Merkle, SQLite FULL', ...(await send(collector.url)) };
facto.ratio = `${(facto.microseconds / baseline.microseconds).toFixed(1)}x the baseline per span`;
await collector.close();
rmSync(directory, { recursive: true, force: true });
report(`ingest, ${REQUESTS} requests of ${SPANS_PER_REQUEST} signed spans (OTLP/JSON), one chain, sequential`, [baseline, facto]);
