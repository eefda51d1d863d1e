/**
 * The ingest decision without a database: spans are sealed with real keys and examined by the real
 * phase one, the store's answers are plain maps, and each rule of decide.ts is checked on its own.
 */
import { describe, expect, it } from 'vitest';
import { chainKey, DEFAULT_CONTENT_KEYS, generateKeyPair, keyId, sealSpan, toHex, toTypedValue, ZERO_HASH_HEX, type Ed25519KeyPair, type SpanFields } from '@facto/core';
import type { AgentKey, StoredEvent } from '../store/types.js';
import { examineRequest, type ExaminedSpan, type SignedSpan } from './examine.js';
import { decideBatch, type DecisionInput, type IngestPlan, type StoredState } from './decide.js';
import { MAX_EVIDENCE_BYTES } from './incident.js';

const alice = generateKeyPair();
const mallory = generateKeyPair();
const NOW = 1_767_225_600_000;
const SPAN_END_NANOS = 1_767_225_500_000_000_000n;

interface SpanOptions {
  seq?: number;
  prevHash?: string;
  agentId?: string;
  chainId?: string;
  factoId?: string;
  keys?: Ed25519KeyPair;
  name?: string;
  attributes?: SpanFields['attributes'];
  dropped?: number;
  /** Signs with `keys` but announces (facto.public_key, key_id) this pair instead. */
  claim?: Ed25519KeyPair;
}

let serial = 0;
function sealed(options: SpanOptions = {}): SpanFields {
  const keys = options.keys ?? alice;
  const claim = options.claim ?? keys;
  const span: SpanFields = {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: (serial++).toString(16).padStart(16, '0'),
    parentSpanId: '',
    name: options.name ?? 'step',
    kind: 1,
    startTimeUnixNano: String(SPAN_END_NANOS - 1000n),
    endTimeUnixNano: String(SPAN_END_NANOS),
    status: { code: 0, message: '' },
    attributes: options.attributes ?? [['facto.action_type', { s: 'tool.call' }]],
    events: [],
    links: [],
  };
  const seal = sealSpan({
    span,
    chain: {
      factoId: options.factoId ?? `ft-00000000-0000-4000-8000-${serial.toString(16).padStart(12, '0')}`,
      agentId: options.agentId ?? 'agent-a',
      chainId: options.chainId ?? 'chain-1',
      seq: options.seq ?? 0,
      prevHash: options.prevHash ?? ZERO_HASH_HEX,
      keyId: keyId(claim.publicKey),
      dropped: options.dropped ?? 0,
    },
    privateKey: keys.privateKey,
    publicKey: toHex(claim.publicKey),
    contentKeys: new Set(DEFAULT_CONTENT_KEYS),
    capture: 'full',
  });
  return { ...span, attributes: [...span.attributes, ...Object.entries(seal.attributes).map(([key, value]) => [key, toTypedValue(value)] as const)] };
}

/** Phase one on a one-span request, as the examination workers run it. */
function examine(span: SpanFields): ExaminedSpan {
  return examineRequest({ resourceSpans: [{ resource: { attributes: [] }, schemaUrl: '', scopeSpans: [{ scope: { name: 's', version: '' }, schemaUrl: '', spans: [span] }] }] }).spans[0]!;
}

function signed(options: SpanOptions = {}): SignedSpan {
  const candidate = examine(sealed(options));
  if (candidate.kind !== 'signed') throw new Error(`fixture did not examine as signed: ${candidate.kind}`);
  return candidate;
}

function registeredKey(keys: Ed25519KeyPair, overrides: Partial<AgentKey> = {}): AgentKey {
  return { agentId: 'agent-a', keyId: keyId(keys.publicKey), publicKey: toHex(keys.publicKey), notBefore: null, notAfter: null, revokedAt: null, source: 'config', createdAt: 0, ...overrides };
}

const nothingStored: StoredState = { byHash: new Map(), byFactoId: new Map(), chains: new Map() };

/** What the store would answer after committing these events. */
function storedState(events: readonly StoredEvent[]): StoredState {
  const chains = new Map<string, Map<number, StoredEvent[]>>();
  for (const event of events) {
    const bySeq = chains.get(chainKey(event.agentId, event.chainId)) ?? new Map<number, StoredEvent[]>();
    bySeq.set(event.seq, [...(bySeq.get(event.seq) ?? []), event]);
    chains.set(chainKey(event.agentId, event.chainId), bySeq);
  }
  return { byHash: new Map(events.map((event) => [event.hash, event])), byFactoId: new Map(events.map((event) => [event.factoId, event])), chains };
}

function decide(candidates: readonly ExaminedSpan[], overrides: Partial<DecisionInput> & { registered?: readonly AgentKey[] } = {}): IngestPlan {
  const registered = overrides.registered ?? [registeredKey(alice)];
  return decideBatch({
    candidates,
    stored: nothingStored,
    keys: { key: (id) => registered.find((key) => key.keyId === id), hasKeys: (agentId) => registered.some((key) => key.agentId === agentId) },
    trust: 'strict',
    unsigned: 'reject',
    replayWindowMillis: 900_000,
    now: NOW,
    firstLeafIndex: 10,
    ...overrides,
  });
}

const kinds = (plan: IngestPlan) => plan.verdicts.map((verdict) => (verdict.kind === 'rejected' ? `rejected:${verdict.reason}` : verdict.kind));

describe('decideBatch', () => {
  it('accepts a valid chain in order, numbering leaves from the first leaf index and linking each record', async () => {
    const first = signed({ seq: 0 });
    const second = signed({ seq: 1, prevHash: first.hash });
    const plan = decide([first, second]);
    expect(kinds(plan)).toEqual(['accepted', 'accepted']);
    expect(plan.events.map((event) => [event.leafIndex, event.seq, event.linkStatus])).toEqual([
      [10, 0, 'genesis'],
      [11, 1, 'linked'],
    ]);
    expect(plan.events[0]).toMatchObject({ factoId: first.factoId, hash: first.hash, signature: first.signature, actionType: 'tool.call', receivedAt: NOW, erasedBy: null, salt: null });
    expect(plan.incidents).toEqual([]);
    expect(plan.pins).toEqual([]);
  });

  it('applies the unsigned policy: reject, keep as unverified, or only forward', () => {
    const span = sealed();
    const unsigned = examine({ ...span, attributes: span.attributes.filter(([key]) => key !== 'facto.signature') });
    expect(unsigned.kind).toBe('unsigned');
    expect(kinds(decide([unsigned], { unsigned: 'reject' }))).toEqual(['rejected:unsigned']);
    const stored = decide([unsigned], { unsigned: 'store' });
    expect(stored.verdicts).toEqual([{ kind: 'unverified', stored: true }]);
    expect(stored.unverified).toHaveLength(1);
    expect(JSON.parse(stored.unverified[0]!.spanJson).span.name).toBe('step');
    const forwarded = decide([unsigned], { unsigned: 'forward' });
    expect(forwarded.verdicts).toEqual([{ kind: 'unverified', stored: false }]);
    expect(forwarded.unverified).toEqual([]);
  });

  it('refuses a span altered after signing and one whose record cannot be rebuilt, each with an incident', () => {
    const span = sealed();
    const altered = examine({ ...span, name: 'renamed' });
    const malformed = examine({ ...span, attributes: span.attributes.map(([key, value]) => [key, key === 'facto.seq' ? { s: 'zero' } : value] as const) });
    const plan = decide([altered, malformed]);
    expect(kinds(plan)).toEqual(['rejected:hash_mismatch', 'rejected:malformed_record']);
    expect(plan.incidents.map((incident) => [incident.kind, incident.agentId])).toEqual([
      ['hash_mismatch', 'agent-a'],
      ['malformed_record', null],
    ]);
  });

  describe('key trust', () => {
    it('strict: refuses a key the registry does not hold, and pins nothing', () => {
      const plan = decide([signed({ keys: mallory })]);
      expect(kinds(plan)).toEqual(['rejected:unknown_key']);
      expect(plan.incidents[0]).toMatchObject({ kind: 'unknown_key', detail: expect.stringContaining('strict trust') });
      expect(plan.pins).toEqual([]);
    });

    it('refuses a key registered to another agent, a revoked key, and a key outside its validity window', () => {
      const endMillis = Number(SPAN_END_NANOS / 1_000_000n);
      const cases: [Partial<AgentKey>, string][] = [
        [{ agentId: 'agent-b' }, 'rejected:agent_mismatch'],
        [{ revokedAt: NOW }, 'rejected:revoked_key'],
        [{ notBefore: endMillis + 1 }, 'rejected:key_not_valid'],
        [{ notAfter: endMillis - 1 }, 'rejected:key_not_valid'],
        [{ notBefore: endMillis, notAfter: endMillis, revokedAt: NOW + 1 }, 'accepted'],
      ];
      for (const [overrides, expected] of cases) {
        expect(kinds(decide([signed()], { registered: [registeredKey(alice, overrides)] })), JSON.stringify(overrides)).toEqual([expected]);
      }
    });

    it('refuses a signature that does not verify under the registered key', () => {
      // Signed by mallory, claiming alice's key (its id and facto.public_key): phase one tried it, and it failed.
      const forged = signed({ keys: mallory, claim: alice });
      expect(forged.verifiedWith).toBeUndefined();
      const plan = decide([forged]);
      expect(kinds(plan)).toEqual(['rejected:bad_signature']);
      expect(plan.incidents[0]!.kind).toBe('bad_signature');
    });

    it('re-verifies under the key registered now when phase one verified under another', () => {
      // Phase one verified under the presented key (mallory's); the registry holds mallory's key id
      // with alice's public key, which is what decides, so it is checked again.
      const candidate = signed({ keys: mallory });
      expect(candidate.verifiedWith).toBe(toHex(mallory.publicKey));
      const swapped = registeredKey(alice, { keyId: keyId(mallory.publicKey) });
      expect(kinds(decide([candidate], { registered: [swapped] }))).toEqual(['rejected:bad_signature']);
    });

    it('TOFU: pins the first key an agent presents, once its signature verifies, and refuses a second key', () => {
      const plan = decide([signed({ keys: mallory, seq: 0 }), signed({ keys: alice, seq: 1 })], { trust: 'tofu', registered: [] });
      expect(kinds(plan)).toEqual(['accepted', 'rejected:unknown_key']);
      expect(plan.pins).toEqual([{ agentId: 'agent-a', keyId: keyId(mallory.publicKey), publicKey: toHex(mallory.publicKey), notBefore: null, notAfter: null, revokedAt: null, source: 'tofu', createdAt: NOW }]);
    });

    it('TOFU: a span whose signature fails pins nothing, so the real agent is still the first', () => {
      const forged = signed({ keys: alice, claim: mallory });
      const genuine = signed({ keys: alice });
      const plan = decide([forged, genuine], { trust: 'tofu', registered: [] });
      expect(kinds(plan)).toEqual(['rejected:bad_signature', 'accepted']);
      expect(plan.pins.map((pin) => pin.keyId)).toEqual([keyId(alice.publicKey)]);
    });

    it('TOFU: an agent that already has a key (even a revoked one) cannot pin another', () => {
      const plan = decide([signed({ keys: mallory })], { trust: 'tofu', registered: [registeredKey(alice, { revokedAt: 1 })] });
      expect(kinds(plan)).toEqual(['rejected:unknown_key']);
      expect(plan.incidents[0]!.detail).toContain('already has a pinned key');
    });
  });

  describe('duplicates, reused ids and forks', () => {
    it('acknowledges a record already stored without a second copy; past the replay window it is a replay incident', () => {
      const first = signed();
      const stored = decide([first]).events;
      const retried = decide([first], { stored: storedState(stored), now: NOW + 1000 });
      expect(retried.verdicts).toEqual([{ kind: 'duplicate' }]);
      expect(retried.incidents).toEqual([]);
      const replayed = decide([first], { stored: storedState(stored), now: NOW + 900_001 });
      expect(replayed.verdicts).toEqual([{ kind: 'duplicate' }]);
      expect(replayed.incidents.map((incident) => incident.kind)).toEqual(['replay']);
      expect(replayed.events).toEqual([]);
    });

    it('keeps one copy of a record sent twice in one request', () => {
      const first = signed();
      const plan = decide([first, first]);
      expect(kinds(plan)).toEqual(['accepted', 'duplicate']);
      expect(plan.events).toHaveLength(1);
    });

    it('refuses only the span whose facto_id names another stored record, and accepts the rest of the request', () => {
      const original = signed({ factoId: 'ft-11111111-1111-4111-8111-111111111111', chainId: 'chain-x' });
      const stored = decide([original]).events;
      const reused = signed({ factoId: 'ft-11111111-1111-4111-8111-111111111111', seq: 0 });
      const innocent = signed({ agentId: 'agent-a', chainId: 'chain-2' });
      const plan = decide([reused, innocent], { stored: storedState(stored) });
      expect(kinds(plan)).toEqual(['rejected:duplicate_id', 'accepted']);
      expect(plan.incidents).toEqual([expect.objectContaining({ kind: 'duplicate_id', factoId: 'ft-11111111-1111-4111-8111-111111111111' })]);
      expect(plan.events.map((event) => event.factoId)).toEqual([innocent.factoId]);
    });

    it('refuses the second of two different records with the same facto_id in one request', () => {
      const plan = decide([signed({ factoId: 'ft-22222222-2222-4222-8222-222222222222', chainId: 'a' }), signed({ factoId: 'ft-22222222-2222-4222-8222-222222222222', chainId: 'b' })]);
      expect(kinds(plan)).toEqual(['accepted', 'rejected:duplicate_id']);
    });

    it('refuses a different record at a seq already taken (stored or earlier in the request) as a fork', () => {
      const first = signed({ seq: 0 });
      const rival = signed({ seq: 0, name: 'other history' });
      expect(kinds(decide([rival], { stored: storedState(decide([first]).events) }))).toEqual(['rejected:fork']);
      const plan = decide([first, rival]);
      expect(kinds(plan)).toEqual(['accepted', 'rejected:fork']);
      expect(plan.incidents[0]).toMatchObject({ kind: 'fork', seq: 0, detail: expect.stringContaining(first.factoId) });
    });
  });

  describe('chain links', () => {
    it('waits for a missing predecessor (pending), and judges a wrong prev_hash as a bad link with an incident', () => {
      const genesis = signed({ seq: 0 });
      const plan = decide([signed({ seq: 2, prevHash: genesis.hash }), genesis, signed({ seq: 1, prevHash: 'ab'.repeat(32) })]);
      expect(plan.events.map((event) => [event.seq, event.linkStatus])).toEqual([
        [2, 'bad_link'], // settled by seq 1 later in the same request: it does not link to seq 1
        [0, 'genesis'],
        [1, 'bad_link'],
      ]);
      expect(plan.incidents.map((incident) => [incident.kind, incident.seq])).toEqual([
        ['bad_link', 1],
        ['bad_link', 1],
      ]);
      expect(kinds(decide([signed({ seq: 0, prevHash: 'cd'.repeat(32) })]))).toEqual(['accepted']);
      expect(decide([signed({ seq: 0, prevHash: 'cd'.repeat(32) })]).events[0]!.linkStatus).toBe('bad_link');
    });

    it('settles a stored successor that was waiting for this record, and a batch successor that came first', () => {
      const genesis = signed({ seq: 0 });
      const second = signed({ seq: 1, prevHash: genesis.hash });
      const third = signed({ seq: 2, prevHash: second.hash });
      const waiting = decide([third]).events;
      expect(waiting[0]!.linkStatus).toBe('pending');
      const gapJudged = waiting.map((event) => ({ ...event, linkStatus: 'gap_undeclared' as const }));
      const plan = decide([second, genesis], { stored: storedState(gapJudged) });
      expect(plan.linkUpdates).toEqual([{ factoId: third.factoId, linkStatus: 'linked' }]);
      expect(plan.events.map((event) => [event.seq, event.linkStatus])).toEqual([
        [1, 'linked'],
        [0, 'genesis'],
      ]);
    });
  });

  describe('incidents', () => {
    it('records content that does not match its commitment, and still accepts the record', () => {
      const span = sealed({ attributes: [['gen_ai.input.messages', { s: 'what was said' }]] });
      const swapped = examine({ ...span, attributes: span.attributes.map(([key, value]) => [key, key === 'gen_ai.input.messages' ? { s: 'something else' } : value] as const) });
      const plan = decide([swapped]);
      expect(kinds(plan)).toEqual(['accepted']);
      expect(plan.incidents.map((incident) => incident.kind)).toEqual(['content_mismatch']);
    });

    it('caps the evidence it keeps, and gives a repeat of the same finding the same fingerprint', () => {
      const huge = sealed({ keys: mallory, attributes: [['note', { s: 'x'.repeat(3 * MAX_EVIDENCE_BYTES) }]] });
      const plan = decide([examine(huge), examine(huge)]);
      expect(kinds(plan)).toEqual(['rejected:unknown_key', 'rejected:unknown_key']);
      const [first, second] = plan.incidents as [NonNullable<IngestPlan['incidents'][0]>, NonNullable<IngestPlan['incidents'][0]>];
      expect(Buffer.byteLength(first.evidenceJson)).toBeLessThanOrEqual(MAX_EVIDENCE_BYTES);
      expect(JSON.parse(first.evidenceJson)).toMatchObject({ truncated: true, bytes: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(second.fingerprint).toBe(first.fingerprint);
      expect(decide([signed({ keys: mallory })]).incidents[0]!.fingerprint).not.toBe(first.fingerprint);
    });
  });
});
