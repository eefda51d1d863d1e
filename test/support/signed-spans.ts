/**
 * Test support for the collector: an agent that seals spans with @facto/core directly (so a test can
 * make forks, gaps, forged keys and altered spans on purpose) and turns them into OTLP/JSON request
 * bodies exactly as the OTLP/HTTP JSON encoding carries them.
 */
import {
  DEFAULT_CONTENT_KEYS, generateKeyPair, keyId, sealSpan, toHex, toTypedValue, ZERO_HASH_HEX,
  type Ed25519KeyPair, type SpanFields, type TypedValue,
} from '@facto/core';

let spanCounter = 0;

export class TestAgent {
  readonly keys: Ed25519KeyPair;
  readonly agentId: string;
  readonly chainId: string;
  seq = 0;
  prevHash = ZERO_HASH_HEX;
  dropped = 0;

  constructor(agentId = 'agent-e2e', chainId = `chain-${Math.random().toString(16).slice(2)}`, keys = generateKeyPair()) {
    this.agentId = agentId;
    this.chainId = chainId;
    this.keys = keys;
  }

  get publicKeyHex(): string {
    return toHex(this.keys.publicKey);
  }

  /** Seals the next span of the chain and returns it as a verifier would receive it. */
  next(name = 'tool.call', extra: Record<string, unknown> = {}, options: { factoId?: string; signWith?: Ed25519KeyPair } = {}): SpanFields & { factoId: string; hash: string } {
    spanCounter++;
    const factoId = options.factoId ?? `ft-00000000-0000-4000-8000-${spanCounter.toString(16).padStart(12, '0')}`;
    const span: SpanFields = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: spanCounter.toString(16).padStart(16, '0'),
      parentSpanId: '',
      name,
      kind: 1,
      startTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
      endTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n + 5_000n),
      status: { code: 0, message: '' },
      attributes: Object.entries({ 'facto.action_type': name, 'facto.input': '{"q":"refund"}', 'facto.output': '{"ok":true}', ...extra }).map(([key, value]) => [key, toTypedValue(value)] as const),
      events: [],
      links: [],
    };
    const sealed = sealSpan({
      span,
      chain: { factoId, agentId: this.agentId, chainId: this.chainId, seq: this.seq, prevHash: this.prevHash, keyId: keyId(this.keys.publicKey), dropped: this.dropped },
      // signWith: a forger's key, while key_id and facto.public_key still name this agent's key.
      privateKey: (options.signWith ?? this.keys).privateKey,
      publicKey: this.publicKeyHex,
      contentKeys: new Set(DEFAULT_CONTENT_KEYS),
      capture: 'full',
    });
    this.seq++;
    this.prevHash = toHex(sealed.hash);
    const attributes = [...span.attributes, ...Object.entries(sealed.attributes).map(([key, value]) => [key, toTypedValue(value)] as const)];
    return { ...span, attributes, factoId, hash: toHex(sealed.hash) };
  }
}

function anyValue(value: TypedValue): unknown {
  if (value === null) return {};
  if ('s' in value) return { stringValue: value.s };
  if ('b' in value) return { boolValue: value.b };
  if ('i' in value) return { intValue: value.i };
  if ('d' in value) return { doubleValue: value.d };
  if ('x' in value) return { bytesValue: Buffer.from(value.x, 'hex').toString('base64') };
  if ('a' in value) return { arrayValue: { values: value.a.map(anyValue) } };
  return { kvlistValue: { values: value.m.map(([key, item]) => ({ key, value: anyValue(item) })) } };
}

/** One OTLP/JSON ExportTraceServiceRequest carrying the spans. */
export function otlpJson(spans: readonly SpanFields[]): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'e2e' } }] },
        scopeSpans: [
          {
            scope: { name: 'facto-e2e', version: '1' },
            spans: spans.map((span) => ({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId,
              name: span.name,
              kind: span.kind,
              startTimeUnixNano: span.startTimeUnixNano,
              endTimeUnixNano: span.endTimeUnixNano,
              attributes: span.attributes.map(([key, value]) => ({ key, value: anyValue(value) })),
              events: span.events.map((event) => ({ name: event.name, timeUnixNano: event.timeUnixNano, attributes: event.attributes.map(([key, value]) => ({ key, value: anyValue(value) })) })),
              links: [],
              status: span.status,
            })),
          },
        ],
      },
    ],
  });
}

/** Replaces one attribute's value (what an attacker in the middle would do). */
export function withAttribute<T extends SpanFields>(span: T, key: string, value: TypedValue): T {
  return { ...span, attributes: span.attributes.map(([name, old]) => (name === key ? ([name, value] as const) : ([name, old] as const))) };
}
