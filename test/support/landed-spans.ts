/**
 * What an agent's spans look like once they have landed in a real collector: an agent records
 * through @facto/otel (signed, chained, exported over OTLP), then this reads its events back from
 * the collector's API, checks that the chain is intact and that every event verifies there (hash,
 * signature, Merkle inclusion), and returns each span with plain attribute values: typed values
 * unwrapped, and content attributes opened with their disclosures when the capture mode sent them.
 */
import { expect } from 'vitest';
import { generateKeyPair, type FactoRecord, type TypedValue } from '@facto/core';
import { createFacto, type Facto, type FactoOptions } from '@facto/otel';
import type { TestCollector } from './collector.js';

export interface LandedSpan {
  readonly name: string;
  readonly kind: number;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly status: { readonly code: number; readonly message: string };
  readonly attributes: Record<string, unknown>;
  /** Content attributes present only as a commitment (capture `hashes`), by key. */
  readonly committed: readonly string[];
  readonly events: readonly string[];
}

export interface RecordingAgent {
  readonly agentId: string;
  readonly facto: Facto;
  /** Delivers everything, then returns the agent's spans as stored, oldest first, all verified. */
  landed(): Promise<LandedSpan[]>;
}

let agents = 0;

export function recordingAgent(collector: TestCollector, options: Partial<FactoOptions> = {}): RecordingAgent {
  const agentId = `openai-agent-${process.pid}-${++agents}`;
  const facto = createFacto({ agentId, endpoint: collector.url, privateKey: generateKeyPair().privateKey, scheduledDelayMillis: 10, ...options });
  return {
    agentId,
    facto,
    async landed() {
      const report = await facto.shutdown();
      expect(report.undelivered).toBe(0);
      return landedSpans(collector, agentId);
    },
  };
}

/**
 * The spans an agent sent, as stored, oldest first: its one chain checked intact and every event
 * verified. For an agent in another process, which delivered (or failed to) before it exited.
 */
export async function landedSpans(collector: TestCollector, agentId: string): Promise<LandedSpan[]> {
  const { events } = await collector.json(`/v1/events?agent_id=${agentId}&order=asc&limit=1000`);
  const chainIds = [...new Set(events.map((event: { chain_id: string }) => event.chain_id))];
  expect(chainIds.length).toBeLessThanOrEqual(1);
  if (events.length > 0) {
    const chain = await collector.json(`/v1/chains/${agentId}/${encodeURIComponent(String(chainIds[0]))}`);
    expect(chain).toMatchObject({ length: events.length, intact: true });
  }
  const landed: LandedSpan[] = [];
  for (const event of events) {
    const one = await collector.json(`/v1/events/${event.facto_id}`);
    expect(one.verification).toMatchObject({ ok: true, signature: { ok: true }, merkle: { included: true } });
    landed.push(toLanded(one.record, one.disclosures));
  }
  return landed;
}

function toLanded(record: FactoRecord, disclosures: { key: string; value: TypedValue }[]): LandedSpan {
  const attributes: Record<string, unknown> = {};
  const committed: string[] = [];
  for (const [key, value] of Object.entries(record.attributes)) {
    if (key.startsWith('facto.') && key !== 'facto.stream.outcome') continue;
    if (value !== null && 'c' in value) {
      const disclosure = disclosures.find((item) => item.key === key);
      if (disclosure) attributes[key] = plain(disclosure.value);
      else committed.push(key);
      continue;
    }
    attributes[key] = plain(value);
  }
  return {
    name: record.name,
    kind: record.kind,
    spanId: record.span_id,
    parentSpanId: record.parent_span_id,
    status: record.status,
    attributes,
    committed,
    events: record.events.map((event) => event.name),
  };
}

function plain(value: TypedValue): unknown {
  if (value === null) return null;
  if ('s' in value) return value.s;
  if ('i' in value) return Number(value.i);
  if ('d' in value) return value.d;
  if ('b' in value) return value.b;
  if ('a' in value) return value.a.map(plain);
  if ('x' in value) return value.x;
  return Object.fromEntries(value.m.map(([key, item]) => [key, plain(item)]));
}

/** The one span with this name; fails listing the names there are otherwise. */
export function only(spans: readonly LandedSpan[], name: string): LandedSpan {
  const found = spans.filter((span) => span.name === name);
  expect(found.map((span) => span.name), `spans: ${spans.map((span) => span.name).join(', ')}`).toEqual([name]);
  return found[0]!;
}

/** Parses a content attribute's JSON. */
export function content(span: LandedSpan, key: string): any {
  const value = span.attributes[key];
  expect(typeof value, `${key} on ${span.name}`).toBe('string');
  return JSON.parse(value as string);
}
