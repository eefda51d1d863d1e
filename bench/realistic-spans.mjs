/**
 * Realistic signed GenAI spans for the benchmarks: a chat span with about 1 KB of attributes, content
 * included (a user message, the answer, request parameters, usage), sealed exactly as @facto/otel
 * seals them, many agents and chains, and the OTLP/protobuf request bodies the official exporter
 * sends for them (serialised by @opentelemetry/otlp-transformer).
 */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { DEFAULT_CONTENT_KEYS, generateKeyPair, keyId, sealSpan, toHex, toTypedValue, ZERO_HASH_HEX } from '@facto/core';

const question = 'Customer 311 asks for a refund of order 1042. It was placed 12 days ago, arrived damaged, and the policy allows returns within 30 days. What should I do, and what do I tell the customer?';
const answer = 'Approve the refund of 40 EUR under the 30-day policy; the item arrived damaged, so no return shipping is charged. Tell the customer the refund reaches their card within 5 business days.';

function attributesFor(index) {
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.request.temperature': 0.2,
    'gen_ai.request.max_tokens': 512,
    'gen_ai.response.model': 'gpt-4o-2024-08-06',
    'gen_ai.response.id': `chatcmpl-${index.toString(36).padStart(10, '0')}`,
    'gen_ai.response.finish_reasons': ['stop'],
    'gen_ai.usage.input_tokens': 420 + (index % 50),
    'gen_ai.usage.output_tokens': 96,
    'gen_ai.conversation.id': `conversation-${index % 97}`,
    'server.address': 'api.openai.com',
    'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'You are a refund assistant. Follow the refund policy.' }]),
    'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: `${question} (ticket ${index})` }] }]),
    'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: answer }], finish_reason: 'stop' }]),
  };
}

const hrTime = (nanos) => [Number(nanos / 1_000_000_000n), Number(nanos % 1_000_000_000n)];
const resource = { attributes: { 'service.name': 'refund-agent', 'telemetry.sdk.language': 'nodejs', 'telemetry.sdk.name': 'opentelemetry', 'telemetry.sdk.version': '2.12.1' }, asyncAttributesPending: false, merge: () => undefined };
const scope = { name: '@facto/openai', version: '0.1.0' };

/**
 * `agents` agents with `chainsPerAgent` chains each, `spansPerChain` spans per chain; returns the
 * signed spans as the exporter's ReadableSpans, grouped into requests of `spansPerRequest` spans of
 * one chain each (as one agent's exporter sends them), and the agents' public keys.
 */
export function realisticWorkload({ agents = 4, firstAgent = 0, chainsPerAgent = 4, spansPerChain = 500, spansPerRequest = 100, capture = 'full' } = {}) {
  const requests = [];
  const publicKeys = {};
  let serial = firstAgent * chainsPerAgent * spansPerChain;
  for (let agent = firstAgent; agent < firstAgent + agents; agent++) {
    const agentId = `bench-agent-${agent}`;
    const keys = generateKeyPair();
    publicKeys[agentId] = toHex(keys.publicKey);
    for (let chain = 0; chain < chainsPerAgent; chain++) {
      const chainId = `chain-${agent}-${chain}`;
      let prevHash = ZERO_HASH_HEX;
      let batch = [];
      for (let seq = 0; seq < spansPerChain; seq++) {
        serial++;
        const values = attributesFor(serial);
        const start = 1764500000000000000n + BigInt(serial) * 1_000_000n;
        const span = {
          traceId: serial.toString(16).padStart(32, '0'), spanId: serial.toString(16).padStart(16, '0'), parentSpanId: '', name: 'chat gpt-4o', kind: 3,
          startTimeUnixNano: String(start), endTimeUnixNano: String(start + 850_000_000n), status: { code: 0, message: '' }, events: [], links: [],
          attributes: Object.entries(values).map(([key, value]) => [key, toTypedValue(value)]),
        };
        const sealed = sealSpan({
          span,
          chain: { factoId: `ft-${serial.toString(16).padStart(8, '0')}-0000-4000-8000-${agent.toString(16).padStart(12, '0')}`, agentId, chainId, seq, prevHash, keyId: keyId(keys.publicKey), dropped: 0 },
          privateKey: keys.privateKey, publicKey: toHex(keys.publicKey), contentKeys: new Set(DEFAULT_CONTENT_KEYS), capture,
        });
        prevHash = toHex(sealed.hash);
        const removed = new Set(sealed.removeKeys);
        batch.push({
          name: span.name, kind: 2, spanContext: () => ({ traceId: span.traceId, spanId: span.spanId, traceFlags: 1 }), parentSpanContext: undefined,
          startTime: hrTime(start), endTime: hrTime(start + 850_000_000n), status: { code: 0 },
          attributes: { ...Object.fromEntries(Object.entries(values).filter(([key]) => !removed.has(key))), ...sealed.attributes },
          links: [], events: [], resource, instrumentationScope: scope, droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
        });
        if (batch.length === spansPerRequest) {
          requests.push(ProtobufTraceSerializer.serializeRequest(batch));
          batch = [];
        }
      }
      if (batch.length > 0) requests.push(ProtobufTraceSerializer.serializeRequest(batch));
    }
  }
  return { requests, publicKeys, spans: agents * chainsPerAgent * spansPerChain };
}
