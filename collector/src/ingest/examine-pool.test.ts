import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONTENT_KEYS, FactoError, generateKeyPair, keyId, sealSpan, toHex, toTypedValue, ZERO_HASH_HEX, type SpanFields, type TypedValue } from '@facto/core';
import { HttpError } from '../http/types.js';
import { silentLogger } from '../ops/logger.js';
import { traceRequest } from '../test-helpers/http-test-context.js';
import { createExaminePool, spawnExamineWorker as spawnDefault, type ExaminePool } from './examine-pool.js';
import { decodeEventBody, encodeEventBody } from '../store/sqlite/event-body.js';
import { examineBody, presentedKeysRemembered, type SignedSpan } from './examine.js';

const pools: ExaminePool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

function pool(size: number): ExaminePool {
  const created = createExaminePool({ size, logger: silentLogger });
  pools.push(created);
  return created;
}

const request = traceRequest([[2, 1], [3]]);

/** OTLP/JSON AnyValue of a typed value (the exporter's encoding). */
function anyValue(value: TypedValue): unknown {
  if (value === null) return {};
  if ('s' in value) return { stringValue: value.s };
  if ('i' in value) return { intValue: value.i };
  if ('d' in value) return { doubleValue: value.d };
  if ('b' in value) return { boolValue: value.b };
  if ('a' in value) return { arrayValue: { values: value.a.map(anyValue) } };
  throw new Error('not used here');
}

/** An OTLP/JSON request of one chain's sealed spans, content captured (so each has disclosures and a salt). */
function signedRequest(count: number, keys = generateKeyPair()): Uint8Array {
  let prevHash = ZERO_HASH_HEX;
  const spans = Array.from({ length: count }, (_, seq) => {
    const span: SpanFields = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: `00f067aa0ba902${seq.toString(16).padStart(2, '0')}`, parentSpanId: '', name: 'chat gpt-4o', kind: 3,
      startTimeUnixNano: `17322800000000${seq}0000`, endTimeUnixNano: `17322800000000${seq}0001`, status: { code: 0, message: '' }, events: [], links: [],
      attributes: [['gen_ai.operation.name', { s: 'chat' }], ['gen_ai.input.messages', { s: `[{"role":"user","parts":[{"type":"text","content":"question ${seq}"}]}]` }]],
    };
    const sealed = sealSpan({
      span,
      chain: { factoId: `ft-00000000-0000-4000-8000-${seq.toString(16).padStart(12, '0')}`, agentId: 'agent-p', chainId: 'c', seq, prevHash, keyId: keyId(keys.publicKey), dropped: 0 },
      privateKey: keys.privateKey,
      publicKey: toHex(keys.publicKey),
      contentKeys: new Set(DEFAULT_CONTENT_KEYS),
      capture: 'full',
    });
    prevHash = toHex(sealed.hash);
    const attributes = [...span.attributes, ...Object.entries(sealed.attributes).map(([key, value]) => [key, toTypedValue(value)] as const)];
    return { ...span, attributes: attributes.map(([key, value]) => ({ key, value: anyValue(value) })) };
  });
  return new TextEncoder().encode(JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 's', version: '1' }, spans }] }] }));
}

describe('the examination pool', () => {
  it('warm() starts every worker before the first request, and the request uses them', async () => {
    let started = 0;
    const warmed = createExaminePool({ size: 2, logger: silentLogger, spawn: () => (started++, spawnDefault()) });
    pools.push(warmed);
    warmed.warm();
    expect(started).toBe(2);
    expect((await warmed.examine(request.json, 'json')).spans).toHaveLength(6);
    expect(started).toBe(2);
    await warmed.close();
    warmed.warm();
    expect(started).toBe(2);
  });

  it('examines on worker threads exactly as in this thread, for both encodings, many requests at once', async () => {
    const workers = pool(2);
    const inThread = examineBody(request.protobuf, 'protobuf');
    expect(inThread.layout).toEqual([[2, 1], [3]]);
    const results = await Promise.all(Array.from({ length: 6 }, (_, index) => workers.examine(index % 2 === 0 ? request.protobuf : request.json, index % 2 === 0 ? 'protobuf' : 'json')));
    for (const result of results) expect(result).toEqual(inThread);
  });

  it('answers a malformed body with the decoder error, a FactoError the HTTP layer turns into 400', async () => {
    const error = await pool(1).examine(new TextEncoder().encode('{"resourceSpans": 7}'), 'json').catch((caught: unknown) => caught);
    expect(FactoError.isInstance(error) && error.code).toBe('invalid_argument');
    expect((error as Error).message).toBe(
      (() => {
        try {
          examineBody(new TextEncoder().encode('{"resourceSpans": 7}'), 'json');
        } catch (inThread) {
          return (inThread as Error).message;
        }
        return 'accepted';
      })(),
    );
  });

  it('answers 503 for the requests a dying worker held, starts another, and refuses work once closed', async () => {
    let started = 0;
    const crashing = () => new Worker("require('node:worker_threads').parentPort.on('message', () => process.exit(3))", { eval: true });
    const workers = createExaminePool({ size: 1, logger: silentLogger, spawn: () => (started++ === 0 ? crashing() : spawnDefault()) });
    pools.push(workers);
    const lost = await workers.examine(request.json, 'json').catch((error: unknown) => error);
    expect(HttpError.isInstance(lost) && [lost.status, lost.headers['retry-after']]).toEqual([503, '1']);
    expect(await workers.examine(request.protobuf, 'protobuf')).toEqual(examineBody(request.protobuf, 'protobuf'));
    expect(started).toBe(2);
    await workers.close();
    const refused = await workers.examine(request.json, 'json').catch((error: unknown) => error);
    expect(HttpError.isInstance(refused) && refused.status).toBe(503);
  });

  it("prepares each signed span's SQLite body on the worker, as the store would encode it, in one transferred buffer", async () => {
    const body = signedRequest(3);
    const preparing = createExaminePool({ size: 1, logger: silentLogger, examine: { prepareBodies: true } });
    pools.push(preparing);
    const result = await preparing.examine(body, 'json');
    const signed = result.spans.filter((span): span is SignedSpan => span.kind === 'signed');
    expect(signed).toHaveLength(3);
    for (const span of signed) {
      expect(JSON.parse(span.disclosuresJson)).toHaveLength(1);
      expect(Buffer.from(span.preparedBody!).equals(encodeEventBody(span))).toBe(true);
      expect(decodeEventBody(span.preparedBody!)).toEqual({
        traceId: span.traceId, spanId: span.spanId, name: span.name, startTimeUnixNano: span.startTimeUnixNano, endTimeUnixNano: span.endTimeUnixNano,
        recordJson: span.recordJson, disclosuresJson: span.disclosuresJson, salt: span.salt,
      });
    }
    expect(new Set(signed.map((span) => span.preparedBody!.buffer)).size).toBe(1);
    // Everything else is the examination without bodies, which is what a pool that does not prepare them answers.
    const without = await pool(1).examine(body, 'json');
    expect(without.spans.every((span) => !('preparedBody' in span))).toBe(true);
    expect(result.spans.map((span) => ({ ...span, preparedBody: undefined }))).toEqual(without.spans.map((span) => ({ ...span, preparedBody: undefined })));
    expect(examineBody(body, 'json', { prepareBodies: true }).spans.map((span) => span.kind === 'signed' && Buffer.from(span.preparedBody!).toString('hex'))).toEqual(signed.map((span) => Buffer.from(span.preparedBody!).toString('hex')));
  });

  it('remembers only well-formed presented keys, and never more than its bound, whatever spans present', () => {
    const keys = generateKeyPair();
    const text = new TextDecoder().decode(signedRequest(1, keys));
    const presenting = (presented: string) => new TextEncoder().encode(text.replace(toHex(keys.publicKey), presented));
    const [honest] = examineBody(presenting(toHex(keys.publicKey)), 'json').spans;
    expect(honest).toMatchObject({ kind: 'signed', presentedKey: toHex(keys.publicKey), verifiedWith: toHex(keys.publicKey) });
    const remembered = presentedKeysRemembered();
    // facto.public_key is not signed: a sender may put anything there. What is not a key is not
    // remembered (a megabyte string each time would otherwise stay), and the span is examined as one
    // presenting no key (the lane verifies it under the registry's key).
    for (const presented of ['ab'.repeat(500_000), 'zz'.repeat(32), 'AB'.repeat(32), 'ab']) {
      const [span] = examineBody(presenting(presented), 'json').spans;
      expect(span).toMatchObject({ kind: 'signed', presentedKey: undefined, verifiedWith: undefined });
    }
    expect(presentedKeysRemembered()).toBe(remembered);
    // Well-formed keys that are not this span's are remembered (and do not verify it), up to the bound.
    for (let index = 0; index < 1_100; index++) {
      const [span] = examineBody(presenting(toHex(generateKeyPair().publicKey)), 'json').spans;
      expect(span).toMatchObject({ presentedKey: undefined, verifiedWith: undefined });
    }
    expect(presentedKeysRemembered()).toBe(1_024);
  });
});
