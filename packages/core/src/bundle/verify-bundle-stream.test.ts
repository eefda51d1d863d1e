/**
 * verifyBundleStream against verifyBundle: for untouched bundles, every tamper kind of docs/spec.md
 * section 13, hostile values anywhere, malformed text and any chunking of the bytes, the streaming
 * verifier must reach the same report (the same verdict for every event, the same chain verdicts,
 * the same errors) as the verifier that holds the whole bundle.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { generateKeyPair, sign } from '../crypto/index.js';
import { encodeVerifierKey, signCheckpoint } from '../note/index.js';
import { hashRecord } from '../record/record.js';
import { parseStrictJson } from '../strict-json.js';
import { bundleFixture, TestLog } from '../test-helpers/bundle-fixture.js';
import type { EvidenceBundle } from './types.js';
import { parseEvidenceBundle, verifyBundle, type TrustedKeys } from './verify-bundle.js';
import { verifyBundleStream, type StreamedBundleReport } from './verify-bundle-stream.js';
import type { EventVerdict } from './verify-events.js';

const encoder = new TextEncoder();

/** The text as a source of chunks of the given sizes (cycled), or one chunk. */
function source(text: string, sizes: readonly number[] = []) {
  const bytes = encoder.encode(text);
  return {
    async *open(): AsyncIterable<Uint8Array> {
      if (sizes.length === 0) return yield bytes;
      for (let offset = 0, turn = 0; offset < bytes.length; turn++) {
        const size = Math.max(1, sizes[turn % sizes.length]!);
        yield bytes.subarray(offset, offset + size);
        offset += size;
      }
    },
  };
}

async function stream(text: string, trustedKeys: TrustedKeys, sizes: readonly number[] = []): Promise<{ report: StreamedBundleReport; verdicts: EventVerdict[] }> {
  const verdicts: EventVerdict[] = [];
  const report = await verifyBundleStream(source(text, sizes), { trustedKeys, onEvent: (verdict) => verdicts.push(verdict) });
  return { report, verdicts };
}

/** verifyBundle on the whole text, in the streaming report's shape; a text parseStrictJson refuses is malformed. */
function whole(text: string, trustedKeys: TrustedKeys) {
  let bundle: unknown;
  try {
    bundle = parseStrictJson(text);
  } catch {
    return { malformedText: true as const };
  }
  const report = verifyBundle(bundle as EvidenceBundle, { trustedKeys });
  const failed = report.events.filter((event) => !event.ok);
  return {
    report: { ok: report.ok, checkpoint: report.checkpoint, eventCount: report.events.length, failedEventCount: failed.length, failedEvents: failed, chains: report.chains, errors: report.errors },
    verdicts: report.events,
  };
}

/** Streams `text` and checks the outcome against verifyBundle's. */
async function expectSameVerdicts(text: string, trustedKeys: TrustedKeys, sizes: readonly number[] = []): Promise<StreamedBundleReport> {
  const expected = whole(text, trustedKeys);
  const streamed = await stream(text, trustedKeys, sizes);
  if ('malformedText' in expected) {
    expect(streamed.report.ok).toBe(false);
    // Both readers say where, the same way: the byte in the document.
    expect(streamed.report.errors[0]).toMatch(/^malformed bundle: invalid JSON at byte \d+(, in [^:]+)?: /);
    expect(() => parseEvidenceBundle(text)).toThrow(/^invalid JSON at byte \d+: /);
  } else if (expected.report.errors.at(-1)?.startsWith('malformed bundle: ')) {
    // Events read before the failure were handed on; the report is verifyBundle's malformed one.
    expect({ ...streamed.report, eventCount: 0, failedEventCount: 0, failedEvents: [] }).toEqual({ ...expected.report, eventCount: 0, failedEventCount: 0, failedEvents: [] });
  } else {
    expect(streamed.report).toEqual(expected.report);
    expect(streamed.verdicts).toEqual(expected.verdicts);
  }
  return streamed.report;
}

type Mutable = { -readonly [K in keyof EvidenceBundle]: any };
const clone = (bundle: EvidenceBundle): Mutable => JSON.parse(JSON.stringify(bundle));

describe('verifyBundleStream gives verifyBundle reports', async () => {
  const fixture = await bundleFixture({ 'session-1': 5, 'session-2': 3 });
  const trustedKeys = { log: fixture.logKey, agents: fixture.agentKeys };
  const text = JSON.stringify(fixture.bundle);

  it('accepts an untouched bundle, whatever the member order and however the bytes are cut', async () => {
    const report = await expectSameVerdicts(text, trustedKeys);
    expect(report).toMatchObject({ ok: true, eventCount: 8, failedEventCount: 0, errors: [] });
    const { events, ...rest } = fixture.bundle;
    // Events last, first, or in between: the first pass reads the other members wherever they are.
    await expectSameVerdicts(JSON.stringify({ ...rest, events }, null, 2), trustedKeys, [1, 7, 64]);
    await expectSameVerdicts(JSON.stringify({ events, ...rest }), trustedKeys, [3]);
    // The order of the events in the array carries nothing: the log's order is in the leaf indices.
    expect((await expectSameVerdicts(JSON.stringify({ ...rest, events: [...events].reverse() }), trustedKeys)).ok).toBe(true);
  });

  const tampers: [string, (bundle: Mutable) => void][] = [
    ['a record field altered', (bundle) => (bundle.events[1].record.name = 'edited')],
    ['an event removed from the middle of a chain', (bundle) => bundle.events.splice(1, 1)],
    ['an event removed from the end of a chain', (bundle) => bundle.events.splice(4, 1)],
    ['events reordered in the log (leaf indices swapped)', (bundle) => ([bundle.events[1].leaf_index, bundle.events[2].leaf_index] = [bundle.events[2].leaf_index, bundle.events[1].leaf_index])],
    ['an event re-signed with another key', (bundle) => (bundle.events[2].signature = toHex(sign(hashRecord(bundle.events[2].record), generateKeyPair().privateKey)))],
    ['an event duplicated', (bundle) => bundle.events.push(clone(fixture.bundle).events[1])],
    ['an event duplicated under another leaf index', (bundle) => bundle.events.push({ ...clone(fixture.bundle).events[1], leaf_index: 7 })],
    ['a chain removed with its statement', (bundle) => {
      bundle.events = bundle.events.filter((event: any) => event.record.chain_id !== 'session-2');
      bundle.chains = bundle.chains.filter((chain: any) => chain.chain_id !== 'session-2');
    }],
    ['all events of a chain removed, its statement kept', (bundle) => (bundle.events = bundle.events.filter((event: any) => event.record.chain_id !== 'session-2'))],
    ['a chain statement removed', (bundle) => bundle.chains.splice(0, 1)],
    ['a second statement for a chain', (bundle) => bundle.chains.push(bundle.chains[0])],
    ['the manifest removed', (bundle) => delete bundle.manifest],
    ['the query changed', (bundle) => (bundle.query = { agent_id: 'someone-else' })],
    ['the query given a since (a partial view)', (bundle) => (bundle.query = { ...bundle.query, since: '2026-01-01T00:00:00Z' })],
    ['a proof hash altered', (bundle) => (bundle.events[0].inclusion_proof[0] = bundle.events[0].inclusion_proof[0].replace(/^./, (char: string) => (char === 'a' ? 'b' : 'a')))],
    ['a disclosure altered', (bundle) => (bundle.events[0].disclosures[0].value = { s: 'something else' })],
    ['an unsigned line added to the checkpoint', (bundle) => (bundle.checkpoint = bundle.checkpoint.replace('\n\n', '\nan unsigned extension\n\n'))],
    ['a checkpoint from another log', (bundle) => (bundle.checkpoint = signCheckpoint({ origin: 'facto.test/log', treeSize: 8, rootHash: new Uint8Array(32) }, { name: 'facto.test/log', privateKey: generateKeyPair().privateKey }))],
    ['the keys replaced with garbage', (bundle) => (bundle.keys = [null])],
    ['events not an array', (bundle) => (bundle.events = { 0: bundle.events[0] })],
    ['an event replaced with null', (bundle) => (bundle.events[3] = null)],
    ['disclosures null rather than an array', (bundle) => (bundle.events[0].disclosures = null)],
    ['keys null rather than an array', (bundle) => (bundle.keys = null)],
    ['the last event of a chain altered', (bundle) => (bundle.events[4].record.name = 'edited')],
    ['an event altered and the one after it removed', (bundle) => {
      bundle.events[1].record.name = 'edited';
      bundle.events.splice(2, 1);
    }],
    ['every event of a chain altered', (bundle) => bundle.events.filter((event: any) => event.record.chain_id === 'session-2').forEach((event: any) => (event.record.name = 'edited'))],
    ['a stated hash changed, the record untouched', (bundle) => (bundle.events[2].hash = bundle.events[3].hash)],
    ['the head altered and the event before it removed', (bundle) => {
      bundle.events[4].record.name = 'edited';
      bundle.events.splice(3, 1);
    }],
    ['a partial view with its first event altered and the next removed', (bundle) => {
      bundle.query = { ...bundle.query, since: '2026-01-01T00:00:00Z' };
      bundle.events[0].record.name = 'edited';
      bundle.events.splice(1, 1);
    }],
    ['a seq edited past the signed range', (bundle) => (bundle.events[1].record.seq = 9)],
    ['an agent_id edited', (bundle) => (bundle.events[1].record.agent_id = 'someone-else')],
    ['an inclusion proof emptied', (bundle) => (bundle.events[0].inclusion_proof = [])],
    ['a chain of altered events only, its statement removed', (bundle) => {
      bundle.events.filter((event: any) => event.record.chain_id === 'session-2').forEach((event: any) => (event.record.name = 'edited'));
      bundle.chains = bundle.chains.filter((chain: any) => chain.chain_id !== 'session-2');
    }],
  ];

  it.each(tampers)('reports the same for %s', async (_name, tamper) => {
    const bundle = clone(fixture.bundle);
    tamper(bundle);
    const report = await expectSameVerdicts(JSON.stringify(bundle), trustedKeys, [5, 1000]);
    expect(report.ok).toBe(false);
  });

  it('takes more agent keys once the query is read, and passes on what that callback throws', async () => {
    const queries: unknown[] = [];
    const report = await verifyBundleStream(source(text), {
      trustedKeys: { log: fixture.logKey },
      agentKeysFor: (query) => {
        queries.push(query);
        return { [(query as { agent_id: string }).agent_id]: Object.values(fixture.agentKeys)[0]! };
      },
    });
    expect(queries).toEqual([fixture.bundle.query]);
    expect(report).toMatchObject({ ok: true, failedEventCount: 0 });
    const refusing = verifyBundleStream(source(text), {
      trustedKeys: { log: fixture.logKey },
      agentKeysFor: () => {
        throw new RangeError('no agent to give the key to');
      },
    });
    await expect(refusing).rejects.toThrow(RangeError);
    // A key it gives that cannot be read is the caller's mistake too: thrown, not "malformed bundle".
    const unreadable = verifyBundleStream(source(text), { trustedKeys: { log: fixture.logKey }, agentKeysFor: (query) => ({ [(query as { agent_id: string }).agent_id]: ['agent.pem.pub'] }) });
    await expect(unreadable).rejects.toThrow(/^verifyBundleStream: agentKeysFor: trustedKeys\.agents\["[^"]+"\]\[0\]: public key must be/);
  });

  it('gives that callback the query the manifest signs, not an edited query member', async () => {
    const keysFor = (query: unknown) => ({ [(query as { agent_id: string }).agent_id]: Object.values(fixture.agentKeys)[0]! });
    const edited = clone(fixture.bundle);
    edited.query = { ...edited.query, agent_id: 'someone-else' };
    const queries: unknown[] = [];
    const report = await verifyBundleStream(source(JSON.stringify(edited)), { trustedKeys: { log: fixture.logKey }, agentKeysFor: (query) => (queries.push(query), keysFor(query)) });
    expect(queries).toEqual([fixture.bundle.query]);
    // One problem, the edit itself; no event blamed on a key.
    expect(report).toMatchObject({ ok: false, failedEventCount: 0, errors: ["manifest: the bundle's query differs from the signed one"] });
    // A manifest that does not open leaves only the bundle's own query to go by.
    const unsigned = clone(edited);
    unsigned.manifest = unsigned.manifest.replace(/\n\n[^]*$/, '\n\n');
    const fallback: unknown[] = [];
    await verifyBundleStream(source(JSON.stringify(unsigned)), { trustedKeys: { log: fixture.logKey }, agentKeysFor: (query) => (fallback.push(query), keysFor(query)) });
    expect(fallback).toEqual([edited.query]);
  });

  it('tells the caller the checkpoint verdict and the problems found so far before the first event', async () => {
    const calls: string[] = [];
    const stranger = { log: encodeVerifierKey('facto.test/log', generateKeyPair().publicKey), agents: fixture.agentKeys };
    const report = await verifyBundleStream(source(text), {
      trustedKeys: stranger,
      onOpened: ({ checkpoint, errors }) => calls.push(`opened ${checkpoint.ok} ${errors.length}`),
      onEvent: () => calls.push('event'),
    });
    expect(calls.slice(0, 2)).toEqual(['opened false 1', 'event']);
    expect(report.errors[0]).toMatch(/^checkpoint: did not open with the log key/);
    const opened: unknown[] = [];
    await verifyBundleStream(source(text), { trustedKeys, onOpened: (value) => opened.push(value) });
    expect(opened).toEqual([{ checkpoint: expect.objectContaining({ ok: true }), errors: [] }]);
  });

  it('keeps the checkpoint that opened, and the problems found before, when the bundle turns out malformed after it', async () => {
    const stranger = encodeVerifierKey('facto.test/log', generateKeyPair().publicKey);
    for (const log of [fixture.logKey, stranger]) {
      const keys = { log, agents: fixture.agentKeys };
      const opened = verifyBundle(fixture.bundle, { trustedKeys: keys });
      expect(opened.checkpoint.ok).toBe(log === fixture.logKey);
      const before = opened.errors.filter((error) => error.startsWith('checkpoint: '));
      // The streaming reader meets an event that is not JSON; the whole reader, an event it cannot read.
      const streamed = (await stream(text.replace('"leaf_index":1,', '"leaf_index":01,'), keys, [97])).report;
      const unreadable = clone(fixture.bundle);
      Object.defineProperty(unreadable.events[1], 'hash', {
        get() {
          throw new Error('unreadable');
        },
      });
      const whole = verifyBundle(unreadable, { trustedKeys: keys });
      for (const report of [streamed, whole]) {
        expect(report.ok).toBe(false);
        expect(report.checkpoint).toEqual(opened.checkpoint);
        expect(report.chains).toEqual([]);
        expect(report.errors.slice(0, -1)).toEqual(before);
        expect(report.errors.at(-1)).toMatch(/^malformed bundle: /);
      }
    }
  });

  it('trusts the bundle keys only when told to, as verifyBundle does', async () => {
    const report = await verifyBundleStream(source(text), { trustedKeys: { log: fixture.logKey }, trustBundleKeys: true });
    expect(report.ok).toBe(verifyBundle(fixture.bundle, { trustedKeys: { log: fixture.logKey }, trustBundleKeys: true }).ok);
    await expectSameVerdicts(text, { log: fixture.logKey });
  });

  it('reports the same whatever value replaces whatever field, and never calls a changed bundle verified', async () => {
    const paths: ((bundle: any, value: unknown) => void)[] = [
      (bundle, value) => (bundle.events[0].record = value),
      (bundle, value) => (bundle.events[0].record.seq = value),
      (bundle, value) => (bundle.events[0].disclosures = value),
      (bundle, value) => (bundle.events[0].inclusion_proof = value),
      (bundle, value) => (bundle.events[1] = value),
      (bundle, value) => (bundle.events[0].hash = value),
      (bundle, value) => (bundle.events[0].leaf_index = value),
      (bundle, value) => (bundle.events[2].record.facto_id = value),
      (bundle, value) => (bundle.keys = value),
      (bundle, value) => (bundle.chains[0] = value),
      (bundle, value) => (bundle.checkpoint = value),
      (bundle, value) => (bundle.manifest = value),
      (bundle, value) => (bundle.query = value),
      (bundle, value) => (bundle.erasures = value),
    ];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: paths.length - 1 }), fc.jsonValue(), fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 3 }), async (path, value, sizes) => {
        const bundle = clone(fixture.bundle);
        paths[path]!(bundle, value);
        await expectSameVerdicts(JSON.stringify(bundle), trustedKeys, sizes);
      }),
      { numRuns: 150 },
    );
  });
});

describe('verifyBundleStream reads JSON as parseStrictJson does', async () => {
  const fixture = await bundleFixture({ c: 2 });
  const trustedKeys = { log: fixture.logKey, agents: fixture.agentKeys };
  const text = JSON.stringify(fixture.bundle);

  it.each([
    ['a duplicate top-level member', text.replace('"format":"facto.bundle.v1"', '"format":"facto.bundle.v1","format":"facto.bundle.v1"')],
    ['a duplicate member inside an event', text.replace('"leaf_index":0,', '"leaf_index":0,"leaf_index":0,')],
    ['a duplicate spelled with an escape', text.replace('"format":"facto.bundle.v1"', '"format":"facto.bundle.v1","\\u0066ormat":"x"')],
    ['text after the object', `${text} {}`],
    ['a missing comma between events', text.replace('},{"leaf_index":1', '}{"leaf_index":1')],
    ['a trailing comma in the events', text.replace(/\]\s*,\s*"chains"/, ',],"chains"')],
    ['an empty value', text.replace('"format":"facto.bundle.v1"', '"format":')],
    ['an unterminated string', text.slice(0, 40)],
    ['a byte order mark', `\uFEFF${text}`],
    ['a bare word', text.replace('"format":"facto.bundle.v1"', '"format":facto')],
    ['a lone surrogate escape in a member name', text.replace('"format"', '"\\ud800format"')],
    ['nesting beyond the limit inside an event', text.replace('"leaf_index":0,', `"deep":${'['.repeat(511)}${']'.repeat(511)},"leaf_index":0,`)],
    ['nesting just within the limit inside an event', text.replace('"leaf_index":0,', `"deep":${'['.repeat(509)}${']'.repeat(509)},"leaf_index":0,`)],
    ['a duplicate member deep inside a record', text.replace('"kind":', '"status":{"code":0,"message":""},"kind":')],
    ['a number of 401 digits in an event (beyond parseStrictJson\'s literal window)', text.replace('"leaf_index":0,', `"big":${'9'.repeat(401)},"leaf_index":0,`)],
    ['a number of 400 digits in an event', text.replace('"leaf_index":0,', `"big":-${'9'.repeat(399)},"leaf_index":0,`)],
    ['not an object', '[1, 2, 3]'],
    ['nothing', ''],
  ])('%s', async (_name, variant) => {
    await expectSameVerdicts(variant, trustedKeys, [2, 11]);
  });

  it('agrees with parseStrictJson on any single-byte change near the start and end of the events', async () => {
    const start = text.indexOf('"events":[');
    const end = text.indexOf('],"chains"');
    const positions = [...Array.from({ length: 40 }, (_, index) => start + index), ...Array.from({ length: 20 }, (_, index) => end - 10 + index)];
    for (const position of positions) {
      for (const replacement of ['}', ']', ',', '"', ' ', 'x']) {
        const variant = text.slice(0, position) + replacement + text.slice(position + 1);
        await expectSameVerdicts(variant, trustedKeys, [13]);
      }
    }
  });

  it('places a refusal at the same byte of the document in both readers, whatever characters come before it', async () => {
    const bundle = clone(fixture.bundle);
    bundle.events[0].record.name = 'é € 😀';
    const variant = JSON.stringify(bundle).replace('"leaf_index":1,', '"leaf_index":1,"leaf_index":1,');
    const at = Buffer.from(variant).indexOf('"leaf_index":1,"leaf_index"') + '"leaf_index":1,'.length;
    for (const input of [variant, encoder.encode(variant)]) expect(() => parseEvidenceBundle(input)).toThrow(`invalid JSON at byte ${at}: duplicate member name "leaf_index"`);
    for (const sizes of [[], [7]]) {
      expect((await stream(variant, trustedKeys, sizes)).report.errors).toEqual([`malformed bundle: invalid JSON at byte ${at}, in events[1]: duplicate member name "leaf_index"`]);
    }
    expect(() => parseEvidenceBundle('[1,]')).toThrow('invalid JSON at byte 3: expected a value');
    expect((await stream('[1,]', trustedKeys)).report.errors).toEqual(['malformed bundle: invalid JSON at byte 3: expected a value']);
  });

  /** The bundle's bytes with the ASCII `marker` (where it first occurs) replaced by `bytes`, and the offset of the first byte of those above 0x7f. */
  const withBytes = (bundleText: string, marker: string, bytes: readonly number[]) => {
    const encoded = encoder.encode(bundleText);
    const at = Buffer.from(encoded).indexOf(marker);
    expect(at).toBeGreaterThan(-1);
    return { changed: Uint8Array.from([...encoded.subarray(0, at), ...bytes, ...encoded.subarray(at + marker.length)]), bad: at + bytes.findIndex((byte) => byte > 0x7f) };
  };
  const bytesSource = (bytes: Uint8Array, size: number) => ({
    async *open(): AsyncIterable<Uint8Array> {
      for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
    },
  });

  it.each<[string, string, number[]]>([
    ['a byte 0xff in an event', '"MARK"', [0x22, 0x4d, 0xff, 0x22]],
    ['a lone continuation byte in a top-level member', '"agent_id":"c-agent', [...encoder.encode('"agent_id":"c-agent'), 0x80]],
    ['an overlong "/" in a member name', '"format"', [0x22, 0x66, 0xc0, 0xaf, 0x22]],
    ['a surrogate encoded as UTF-8 in an event', '"MARK"', [0x22, 0xed, 0xa0, 0x80, 0x22]],
    ['a character cut short by the closing quote', '"MARK"', [0x22, 0xe2, 0x82, 0x22]],
    ['a code point above U+10FFFF', '"MARK"', [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22]],
  ])('refuses text that is not UTF-8, as parseEvidenceBundle does: %s', async (_name, marker, bytes) => {
    const bundle = clone(fixture.bundle);
    bundle.events[0].record.name = 'MARK';
    bundle.query = { agent_id: 'c-agent' };
    const { changed, bad } = withBytes(JSON.stringify(bundle), marker, bytes);
    const reason = `not UTF-8 (0x${changed[bad]!.toString(16)}): a bundle is JSON, which must be UTF-8 (RFC 8259 section 8.1)`;
    expect(() => parseEvidenceBundle(changed)).toThrow(`invalid JSON at byte ${bad}: ${reason}`);
    for (const size of [1, 3, changed.length]) {
      const report = await verifyBundleStream(bytesSource(changed, size), { trustedKeys });
      expect(report.ok).toBe(false);
      expect(report.errors).toEqual([expect.stringMatching(new RegExp(`^malformed bundle: invalid JSON at byte ${bad}, in (events\\[0\\]|member "query"|a member name): `))]);
      expect(report.errors[0]).toContain(`: ${reason}`);
    }
  });

  it('reads characters of every UTF-8 length however the bytes are cut, and refuses a lone surrogate in a string', async () => {
    const bundle = clone(fixture.bundle);
    bundle.events[0].record.name = 'é € 😀 ÿ';
    const variant = JSON.stringify(bundle);
    const report = await expectSameVerdicts(variant, trustedKeys, [1, 2, 3]);
    expect(report.failedEvents[0]!.errors[0]).toMatch(/^hash: /);
    expect(parseEvidenceBundle(encoder.encode(variant)).events[0]!.record.name).toBe('é € 😀 ÿ');
    expect(() => parseEvidenceBundle(variant.replace('😀', '\uD83D'))).toThrow(new RegExp(`^invalid JSON at byte ${encoder.encode(variant.slice(0, variant.indexOf('😀'))).length}: a lone surrogate`));
  });

  it('passes a failure to read the source on, as a failure rather than a verdict', async () => {
    const failing = {
      async *open(): AsyncIterable<Uint8Array> {
        yield encoder.encode('{"format":');
        throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
      },
    };
    await expect(verifyBundleStream(failing, { trustedKeys })).rejects.toThrow('EIO: i/o error, read');
  });
});

describe('verifyBundleStream on chains of every shape', () => {
  it('agrees with verifyBundle on drops declared and undeclared, whole chains and windows, erased content', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ dropped: fc.boolean(), lost: fc.boolean() }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 11 }),
        fc.boolean(),
        async (steps, windowStart, erase) => {
          const log = new TestLog();
          steps.forEach((step) => log.sign('c', { dropped: step.dropped, logged: !step.lost }));
          if (erase && log.factoIds.length > 0) log.erase([log.factoIds[0]!]);
          const trustedKeys = { log: log.logKey, agents: { 'agent-1': [log.agent.publicKey] } };
          const full = await log.export();
          await expectSameVerdicts(JSON.stringify(full), trustedKeys, [97]);
          const window = await log.export({ select: (record) => record.seq >= windowStart, query: { agent_id: 'agent-1', since: '2026-01-01T00:00:00Z' } });
          await expectSameVerdicts(JSON.stringify(window), trustedKeys);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('agrees with verifyBundle when forked, replayed or broken records are presented with hashes that match', async () => {
    const log = new TestLog();
    for (let seq = 0; seq < 4; seq++) log.sign('c');
    const bundle = await log.export();
    const trustedKeys = { log: log.logKey, agents: { 'agent-1': [log.agent.publicKey] } };
    const rehash = (event: any) => ({ ...event, hash: toHex(hashRecord(event.record)) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ from: fc.integer({ min: 0, max: 3 }), seq: fc.integer({ min: -2, max: 6 }), dropped: fc.integer({ min: 0, max: 3 }), prev: fc.integer({ min: -1, max: 3 }) }), { maxLength: 4 }),
        async (changes) => {
          const changed = clone(bundle);
          for (const change of changes) {
            const event = clone(bundle).events[change.from];
            event.record.seq = change.seq;
            event.record.dropped = change.dropped;
            if (change.prev >= 0) event.record.prev_hash = bundle.events[change.prev]!.hash;
            changed.events.push(rehash(event));
          }
          await expectSameVerdicts(JSON.stringify(changed), trustedKeys);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('hands each event over as soon as it is read, holding no more than a chunk of events', async () => {
    const fixture = await bundleFixture({ c: 12 });
    const bytes = encoder.encode(JSON.stringify(fixture.bundle));
    let pulled = 0;
    let pulledAtFirstEvent = -1;
    const chunkSize = 700;
    const counted = {
      async *open(): AsyncIterable<Uint8Array> {
        for (let offset = 0; offset < bytes.length; offset += chunkSize) {
          pulled++;
          yield bytes.subarray(offset, offset + chunkSize);
        }
      },
    };
    const report = await verifyBundleStream(counted, {
      trustedKeys: { log: fixture.logKey, agents: fixture.agentKeys },
      onEvent: (_verdict, index) => {
        if (index === 0) pulledAtFirstEvent = pulled;
      },
    });
    expect(report.ok).toBe(true);
    const chunks = Math.ceil(bytes.length / chunkSize);
    // The second pass had read only the first event's chunks when it was checked, not the bundle.
    expect(pulledAtFirstEvent - chunks).toBeLessThan(5);
  });

  it('keeps a bounded number of failed verdicts, and counts them all', async () => {
    const fixture = await bundleFixture({ c: 6 });
    const stranger = { log: encodeVerifierKey('facto.test/log', generateKeyPair().publicKey), agents: fixture.agentKeys };
    const report = await verifyBundleStream(source(JSON.stringify(fixture.bundle)), { trustedKeys: stranger, keepFailedEvents: 2 });
    expect(report).toMatchObject({ ok: false, eventCount: 6, failedEventCount: 6 });
    expect(report.failedEvents.map((event) => event.seq)).toEqual([0, 1]);
  });
});
