/**
 * Test support: a span as a signer sees it, and the span a verifier receives after sealing (the
 * facto.* attributes added, content removed per capture mode), converted to typed pairs with the
 * same rule the OTLP exporters use.
 */
import { toTypedValue } from '../record/typed-value.js';
import type { SealedSpan } from '../record/seal.js';
import type { SpanFields } from '../record/types.js';

export function spanFixture(overrides: Partial<SpanFields> = {}): SpanFields {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: '',
    name: 'chat gpt-4o',
    kind: 3,
    startTimeUnixNano: '1732280000000000000',
    endTimeUnixNano: '1732280000123456789',
    status: { code: 0, message: '' },
    attributes: [
      ['gen_ai.operation.name', { s: 'chat' }],
      ['gen_ai.request.model', { s: 'gpt-4o' }],
      ['gen_ai.usage.input_tokens', { i: '42' }],
      ['gen_ai.request.temperature', { d: 0.2 }],
      ['gen_ai.input.messages', { s: '[{"role":"user","content":"Transfer 100 EUR to Alice"}]' }],
      ['gen_ai.output.messages', { s: '[{"role":"assistant","content":"Done."}]' }],
    ],
    events: [{ name: 'tool.start', timeUnixNano: '1732280000100000000', attributes: [['tool', { s: 'bank.transfer' }]] }],
    links: [],
    ...overrides,
  };
}

/** What arrives at the collector: the span's own attributes minus removed content, plus facto.*. */
export function receivedSpan(span: SpanFields, sealed: SealedSpan): SpanFields {
  const removed = new Set(sealed.removeKeys);
  const attributes = span.attributes.filter(([key]) => !removed.has(key));
  for (const [key, value] of Object.entries(sealed.attributes)) attributes.push([key, toTypedValue(value)]);
  return { ...span, attributes };
}
