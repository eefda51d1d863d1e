import { describe, expect, it } from 'vitest';
import { spanNamesOf } from '../test-helpers/http-test-context.js';
import { exportTraceServiceRequestType } from '../otlp/proto-schema.js';
import type { QueuedForward } from '../store/types.js';
import { forwardEditFor } from './erase-forwards.js';

const id = (n: number) => `ft-00000000-0000-4000-8000-00000000000${n}`;

/** A request of two resources: [[span 1, span 2]], [[span 3]]; span n carries facto.id id(n) and a secret. */
function request() {
  const span = (n: number) => ({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: `000000000000000${n}`,
    name: `span-${n}`,
    attributes: [
      { key: 'facto.id', value: { stringValue: id(n) } },
      { key: 'facto.input', value: { stringValue: `SECRET-${n}` } },
    ],
  });
  const object = { resourceSpans: [{ scopeSpans: [{ spans: [span(1), span(2)] }] }, { scopeSpans: [{ spans: [span(3)] }] }] };
  const json = new TextEncoder().encode(JSON.stringify(object));
  const forProtobuf = JSON.parse(JSON.stringify(object), (key, value: unknown) => (key === 'traceId' || key === 'spanId' ? Buffer.from(value as string, 'hex') : value)) as Record<string, unknown>;
  const protobuf = exportTraceServiceRequestType.encode(exportTraceServiceRequestType.fromObject(forProtobuf)).finish();
  return { json, protobuf };
}

const queued = (encoding: 'protobuf' | 'json', overrides: Partial<QueuedForward> = {}): QueuedForward => ({
  id: 7, encoding, body: request()[encoding], keepJson: null, queuedAt: 0, factoIds: [id(1), id(2), id(3)], ...overrides,
});
const text = (body: Uint8Array) => Buffer.from(body).toString('latin1');

describe('forwardEditFor', () => {
  it.each(['protobuf', 'json'] as const)('rewrites a %s request without the erased spans, and their content', (encoding) => {
    const edit = forwardEditFor(queued(encoding), new Set([id(2), id(9)]));
    expect(edit.id).toBe(7);
    expect(edit.replacement).toMatchObject({ keepJson: null, factoIds: [id(1), id(3)] });
    expect(spanNamesOf(edit.replacement!.body, encoding)).toEqual([[['span-1']], [['span-3']]]);
    expect(text(edit.replacement!.body)).not.toContain('SECRET-2');
    expect(text(edit.replacement!.body)).toContain('SECRET-1');
  });

  it('keeps leaving out what the request left out already', () => {
    const edit = forwardEditFor(queued('json', { keepJson: JSON.stringify([[[true, true]], [[false]]]) }), new Set([id(1)]));
    expect(spanNamesOf(edit.replacement!.body, 'json')).toEqual([[['span-2']]]);
  });

  it('takes the request off the queue when nothing in it goes on', () => {
    expect(forwardEditFor(queued('protobuf'), new Set([id(1), id(2), id(3)]))).toEqual({ id: 7, replacement: null });
    expect(forwardEditFor(queued('json', { keepJson: JSON.stringify([[[false, true]], [[false]]]) }), new Set([id(2)]))).toEqual({ id: 7, replacement: null });
  });
});
