import { describe, expect, it } from 'vitest';
import { generateKeyPair, publicKeyToPem } from '../crypto/index.js';
import { encodeVerifierKey } from '../note/index.js';
import { toHex } from '../bytes.js';
import { sign } from '../crypto/index.js';
import { hashRecord } from '../record/record.js';
import { bundleFixture, TestLog } from '../test-helpers/bundle-fixture.js';
import { parseEvidenceBundle, verifyBundle } from './verify-bundle.js';
import type { EvidenceBundle } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };

function clone(bundle: EvidenceBundle): Mutable<EvidenceBundle> {
  return JSON.parse(JSON.stringify(bundle));
}

describe('verifyBundle', async () => {
  const fixture = await bundleFixture({ 'session-1': 4, 'session-2': 2 });
  const trustedKeys = { log: fixture.logKey, agents: fixture.agentKeys };

  it('accepts an untouched bundle, offline, with keys alone', () => {
    const report = verifyBundle(fixture.bundle, { trustedKeys });
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.events.every((event) => event.hash && event.signature && event.inclusion && event.key === 'trusted')).toBe(true);
    expect(report.chains.map((chain) => chain.ok)).toEqual([true, true]);
    expect(report.events[0]!.disclosures.every((disclosure) => disclosure.ok)).toBe(true);
  });

  it('takes trusted agent keys as `facto keygen` writes them (PEM) or as hex, with the same verdict', () => {
    const [agent, [publicKey]] = Object.entries(fixture.agentKeys)[0]!;
    const asPem = verifyBundle(fixture.bundle, { trustedKeys: { log: fixture.logKey, agents: { [agent]: [publicKeyToPem(publicKey!)] } } });
    const asHex = verifyBundle(fixture.bundle, { trustedKeys: { log: fixture.logKey, agents: { [agent]: [toHex(publicKey!)] } } });
    expect(asPem.ok).toBe(true);
    expect(asPem).toEqual(asHex);
  });

  it("throws on a trusted key it cannot read, naming the entry: the caller's mistake, not a malformed bundle", () => {
    const [agent] = Object.keys(fixture.agentKeys);
    const options = { trustedKeys: { log: fixture.logKey, agents: { [agent!]: [toHex(generateKeyPair().publicKey), 'agent.pem.pub'] } } };
    expect(() => verifyBundle(fixture.bundle, options)).toThrow(new RegExp(`^verifyBundle: trustedKeys\\.agents\\["${agent}"\\]\\[1\\]: public key must be an SPKI PEM`));
    expect(() => verifyBundle(fixture.bundle, { trustedKeys: { log: fixture.logKey, agents: { [agent!]: 'not-a-list' as never } } })).toThrow(TypeError);
  });

  it('names an altered record field', () => {
    const bundle = clone(fixture.bundle);
    (bundle.events[1]!.record as { name: string }).name = 'chat gpt-4o (edited)';
    const report = verifyBundle(bundle as EvidenceBundle, { trustedKeys });
    expect(report.ok).toBe(false);
    expect(report.events[1]!.hash).toBe(false);
    expect(report.events[1]!.errors.join()).toMatch(/the record or the stated hash was altered/);
    expect(report.events[0]!.ok).toBe(true);
  });

  it('says an altered event is there but does not verify, not that it is missing, and counts it against the statement', () => {
    const middle = clone(fixture.bundle);
    (middle.events[1]!.record as { name: string }).name = 'edited';
    const chain = verifyBundle(middle as EvidenceBundle, { trustedKeys }).chains[0]!;
    expect(chain).toMatchObject({ ok: false, missing: [], unverified: [1] });
    expect(chain.errors).toEqual(["the bundle's events at seq 1 could not be verified (see those events), so the chain cannot be checked through them"]);

    // The head altered: nothing was removed from the end, and the range and count agree.
    const head = clone(fixture.bundle);
    (head.events[3]!.record as { name: string }).name = 'edited';
    expect(verifyBundle(head as EvidenceBundle, { trustedKeys }).chains[0]!.errors).toEqual(["the bundle's events at seq 3 could not be verified (see those events), so the chain cannot be checked through them"]);

    // Altered and removed side by side: each is named for what it is.
    const both = clone(fixture.bundle);
    (both.events[1]!.record as { name: string }).name = 'edited';
    both.events.splice(2, 1);
    const mixed = verifyBundle(both as EvidenceBundle, { trustedKeys }).chains[0]!;
    expect(mixed).toMatchObject({ missing: [{ fromSeq: 2, toSeq: 2, declared: false }], unverified: [1] });
    expect(mixed.errors).toEqual([
      "the bundle's events at seq 1 could not be verified (see those events), so the chain cannot be checked through them",
      'events 2..2 are missing and were not declared dropped',
      'the statement counts 4 events, the bundle holds 3',
    ]);

    // A chain whose every event is altered still holds them.
    const all = clone(fixture.bundle);
    for (const event of all.events) if (event.record.chain_id === 'session-2') (event.record as { name: string }).name = 'edited';
    const second = verifyBundle(all as EvidenceBundle, { trustedKeys }).chains.find((found) => found.chainId === 'session-2')!;
    expect(second).toMatchObject({ ok: false, unverified: [0, 1] });
    expect(second.errors).toEqual(["the statement covers 2 events of this chain, the bundle holds none that verify: the bundle's events at seqs 0..1 could not be verified (see those events), so the chain cannot be checked through them"]);
  });

  it('names what is absent beside unverified events: after the last verified one, and before the first in a partial view', () => {
    const unverifiedLine = (seq: number) => `the bundle's events at seq ${seq} could not be verified (see those events), so the chain cannot be checked through them`;
    // Seq 2 removed and the head (3) altered: 2 is missing, not only miscounted.
    const tail = clone(fixture.bundle);
    tail.events.splice(2, 1);
    (tail.events[2]!.record as { name: string }).name = 'edited';
    const chain = verifyBundle(tail as EvidenceBundle, { trustedKeys }).chains[0]!;
    expect(chain).toMatchObject({ missing: [{ fromSeq: 2, toSeq: 2, declared: false }], unverified: [3] });
    expect(chain.errors).toEqual([unverifiedLine(3), 'events 2..2 are missing and were not declared dropped', 'the statement counts 4 events, the bundle holds 3']);
    // A partial view (since): seq 0 altered, seq 1 removed.
    const partial = clone(fixture.bundle);
    partial.query = { ...partial.query, since: '2026-01-01T00:00:00Z' };
    (partial.events[0]!.record as { name: string }).name = 'edited';
    partial.events.splice(1, 1);
    const first = verifyBundle(partial as EvidenceBundle, { trustedKeys }).chains[0]!;
    expect(first).toMatchObject({ missing: [{ fromSeq: 1, toSeq: 1, declared: false }], unverified: [0] });
  });

  it('says an event refused before its hash was checked could not be verified, not that it does not hash', () => {
    const bundle = clone(fixture.bundle);
    (bundle.events[1] as { disclosures: unknown }).disclosures = null;
    const chain = verifyBundle(bundle as EvidenceBundle, { trustedKeys }).chains[0]!;
    expect(chain.errors).toEqual(["the bundle's events at seq 1 could not be verified (see those events), so the chain cannot be checked through them"]);
  });

  it('places no unverified event by a seq outside the signed range, nor invents a chain from an edited agent_id', () => {
    // An edited seq (1 -> 9): 9 is only a claim, outside the statement's 0..3; seq 1 is then missing.
    const seq = clone(fixture.bundle);
    (seq.events[1]!.record as { seq: number }).seq = 9;
    const chain = verifyBundle(seq as EvidenceBundle, { trustedKeys }).chains[0]!;
    expect(chain).toMatchObject({ missing: [{ fromSeq: 1, toSeq: 1, declared: false }], unverified: [9] });
    expect(chain.errors).toEqual([
      "the bundle's events at seq 9 could not be verified (see those events), so the chain cannot be checked through them",
      'events 1..1 are missing and were not declared dropped',
      'the statement counts 4 events, the bundle holds 3',
    ]);
    // An edited agent_id: no verdict for a chain only that claim names.
    const agent = clone(fixture.bundle);
    (agent.events[1]!.record as { agent_id: string }).agent_id = 'someone-else';
    expect(verifyBundle(agent as EvidenceBundle, { trustedKeys }).chains.map((found) => found.agentId)).not.toContain('someone-else');
  });

  it('counts a value as disclosed and checked only on a record in the checkpointed log, and says so of an event refused early', () => {
    const outside = clone(fixture.bundle);
    outside.events[0]!.inclusion_proof = [];
    const statuses = verifyBundle(outside as EvidenceBundle, { trustedKeys }).events[0]!.content.map((item) => item.status);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 'unverified')).toBe(true);
    // Refused before hashing: still placed where the record says it is.
    const early = clone(fixture.bundle);
    (early.events[1] as { disclosures: unknown }).disclosures = null;
    expect(verifyBundle(early as EvidenceBundle, { trustedKeys }).events[1]).toMatchObject({ chainId: 'session-1', seq: 1, factoId: early.events[1]!.record.facto_id });
    // A disclosure of a key the record holds no commitment for says that, not that it mismatches.
    const plain = clone(fixture.bundle);
    plain.events[0]!.disclosures.push({ key: 'gen_ai.operation.name', value: { s: 'chat' }, salt: '00'.repeat(16) });
    expect(verifyBundle(plain as EvidenceBundle, { trustedKeys }).events[0]!.errors).toContain('disclosure "gen_ai.operation.name": the record holds no commitment under this key');
  });

  it('refuses null where section 13 requires an array: an event\'s disclosures, the bundle\'s keys', () => {
    const disclosures = clone(fixture.bundle);
    (disclosures.events[0] as { disclosures: unknown }).disclosures = null;
    const report = verifyBundle(disclosures as EvidenceBundle, { trustedKeys });
    expect(report.ok).toBe(false);
    expect(report.events[0]!.errors).toEqual(['inclusion_proof and disclosures must be arrays']);
    const keys = clone(fixture.bundle);
    (keys as { keys: unknown }).keys = null;
    expect(verifyBundle(keys as EvidenceBundle, { trustedKeys })).toMatchObject({ ok: false, errors: ['keys must be an array'] });
  });

  it('names two different events at one leaf index as claiming it, and a copy as the same event', () => {
    const forged = clone(fixture.bundle);
    const other = clone(fixture.bundle).events[2]!;
    forged.events.push({ ...other, leaf_index: forged.events[1]!.leaf_index });
    const errors = verifyBundle(forged as EvidenceBundle, { trustedKeys }).errors;
    expect(errors).toContain('events 1 and 6 claim the same leaf index: a bundle holds each event once, and one leaf holds one event');
    expect(errors).toContain('events 2 and 6 are the same event (same hash): a bundle holds each event once');
  });

  it('catches an event removed from the end of a chain as surely as from the middle', () => {
    const tail = clone(fixture.bundle);
    tail.events.splice(3, 1);
    const tailReport = verifyBundle(tail as EvidenceBundle, { trustedKeys });
    expect(tailReport.ok).toBe(false);
    expect(tailReport.chains[0]!.errors.join()).toMatch(/removed from the end/);

    const middle = clone(fixture.bundle);
    middle.events.splice(1, 1);
    const middleReport = verifyBundle(middle as EvidenceBundle, { trustedKeys });
    expect(middleReport.ok).toBe(false);
    expect(middleReport.chains[0]!.errors.join()).toMatch(/events 1\.\.1 are missing/);
  });

  it('catches a chain whose events were all removed while its statement stayed', () => {
    const bundle = clone(fixture.bundle);
    bundle.events = bundle.events.filter((event) => event.record.chain_id !== 'session-2');
    const report = verifyBundle(bundle as EvidenceBundle, { trustedKeys });
    expect(report.ok).toBe(false);
    expect(report.chains.find((chain) => chain.chainId === 'session-2')!.errors.join()).toMatch(/holds none/);
  });

  it('catches a whole chain removed together with its statement, through the signed manifest', () => {
    const bundle = clone(fixture.bundle);
    bundle.events = bundle.events.filter((event) => event.record.chain_id !== 'session-2');
    bundle.chains = bundle.chains.filter((chain) => chain.chain_id !== 'session-2');
    const report = verifyBundle(bundle as EvidenceBundle, { trustedKeys });
    expect(report.ok).toBe(false);
    expect(report.errors.join()).toMatch(/session-2 should hold 2 events, the bundle holds 0/);
    expect(report.chains.every((chain) => chain.ok)).toBe(true);

    const withoutManifest = clone(fixture.bundle);
    delete (withoutManifest as { manifest?: string }).manifest;
    expect(verifyBundle(withoutManifest as EvidenceBundle, { trustedKeys }).errors.join()).toMatch(/no export manifest/);

    const otherQuery = clone(fixture.bundle);
    otherQuery.query = { agent_id: 'agent-2' };
    expect(verifyBundle(otherQuery as EvidenceBundle, { trustedKeys }).errors.join()).toMatch(/query differs/);
  });

  it('rejects a bundle whose chain statement was dropped or edited', () => {
    const dropped = clone(fixture.bundle);
    dropped.chains.splice(0, 1);
    expect(verifyBundle(dropped as EvidenceBundle, { trustedKeys }).chains[0]!.errors.join()).toMatch(/no chain statement/);
    const edited = clone(fixture.bundle);
    edited.chains[0]!.statement = edited.chains[0]!.statement.replace('range 0 3 4', 'range 0 2 3');
    expect(verifyBundle(edited as EvidenceBundle, { trustedKeys }).ok).toBe(false);
  });

  it('detects every single-character change to a proof, signature or the checkpoint', () => {
    const targets: [string, (bundle: Mutable<EvidenceBundle>) => { get(): string; set(value: string): void }][] = [
      ['proof', (bundle) => ({ get: () => bundle.events[0]!.inclusion_proof[0]!, set: (value) => void (bundle.events[0]!.inclusion_proof[0] = value) })],
      ['signature', (bundle) => ({ get: () => bundle.events[2]!.signature, set: (value) => void (bundle.events[2]!.signature = value) })],
      ['hash', (bundle) => ({ get: () => bundle.events[2]!.hash, set: (value) => void (bundle.events[2]!.hash = value) })],
      ['checkpoint', (bundle) => ({ get: () => bundle.checkpoint, set: (value) => void (bundle.checkpoint = value) })],
      ['manifest', (bundle) => ({ get: () => bundle.manifest, set: (value) => void (bundle.manifest = value) })],
    ];
    for (const [name, target] of targets) {
      const length = target(clone(fixture.bundle)).get().length;
      for (let index = 0; index < length; index++) {
        const bundle = clone(fixture.bundle);
        const field = target(bundle);
        const text = field.get();
        const replacement = text[index] === 'a' ? 'b' : 'a';
        field.set(text.slice(0, index) + replacement + text.slice(index + 1));
        expect(verifyBundle(bundle as EvidenceBundle, { trustedKeys }).ok, `${name}[${index}]`).toBe(false);
      }
    }
  });

  it('trusts no key it was not given', () => {
    const report = verifyBundle(fixture.bundle, { trustedKeys: { log: fixture.logKey } });
    expect(report.ok).toBe(false);
    expect(report.events[0]!.errors.join()).toMatch(/no trusted key/);
    const withBundleKeys = verifyBundle(fixture.bundle, { trustedKeys: { log: fixture.logKey }, trustBundleKeys: true });
    expect(withBundleKeys.ok).toBe(true);
    expect(withBundleKeys.events[0]!.key).toBe('bundle');

    const stranger = generateKeyPair();
    const wrongAgent = verifyBundle(fixture.bundle, { trustedKeys: { log: fixture.logKey, agents: { 'agent-1': [stranger.publicKey] } } });
    expect(wrongAgent.ok).toBe(false);
    expect(wrongAgent.events[0]!.key).toBe('untrusted');

    const wrongLog = verifyBundle(fixture.bundle, { trustedKeys: { log: encodeVerifierKey('facto.test/log', stranger.publicKey), agents: fixture.agentKeys } });
    expect(wrongLog.ok).toBe(false);
    expect(wrongLog.checkpoint.ok).toBe(false);
  });

  it('says what could not be checked when the checkpoint does not open, quoting no placeholder for it', async () => {
    const log = new TestLog();
    for (let seq = 0; seq < 3; seq++) log.sign('c');
    log.erase([log.factoIds[0]!]);
    const exported = clone(await log.export());
    const agents = { 'agent-1': [log.agent.publicKey] };
    const notOpened = 'the checkpoint did not open with the log key';
    // An unsigned line added to the checkpoint (statements and manifest still open), and the right bundle under another log key.
    exported.checkpoint = exported.checkpoint.replace('\n\n', '\nan unsigned extension\n\n');
    const stranger = encodeVerifierKey('facto.test/log', generateKeyPair().publicKey);
    for (const [bundle, logKey] of [[exported, log.logKey], [await log.export(), stranger]] as const) {
      const report = verifyBundle(bundle as EvidenceBundle, { trustedKeys: { log: logKey, agents } });
      expect(report.ok).toBe(false);
      expect(report.errors[0]).toMatch(/^checkpoint: did not open with the log key, so no inclusion proof, chain statement or manifest could be checked against it: /);
      for (const event of report.events) expect(event.errors).toEqual([`inclusion: not checked: ${notOpened}`]);
      const messages = [...report.errors, ...report.chains.flatMap((chain) => chain.errors)].join('\n');
      expect(messages).not.toMatch(/ -1\b|another log|the checkpoint is at/);
      if (logKey === log.logKey) {
        expect(report.chains[0]!.errors).toEqual([`statement: its origin and tree size could not be compared with the checkpoint: ${notOpened}`]);
        expect(report.errors).toContain(`erasure 0: inclusion not checked: ${notOpened}`);
        expect(report.errors).toContain(`manifest: its origin and tree size could not be compared with the checkpoint: ${notOpened}`);
      }
    }
  });

  it('flags a disclosure that does not match its commitment', () => {
    const bundle = clone(fixture.bundle);
    (bundle.events[0]!.disclosures[0] as { value: unknown }).value = { s: 'something else' };
    const report = verifyBundle(bundle as EvidenceBundle, { trustedKeys });
    expect(report.ok).toBe(false);
    expect(report.events[0]!.disclosures.some((disclosure) => !disclosure.ok)).toBe(true);
    // Shown, not withheld: the value is there, and it proves nothing.
    const key = bundle.events[0]!.disclosures[0]!.key;
    expect(report.events[0]!.content.find((item) => item.key === key)!.status).toBe('unverified');
  });

  it('counts no value as disclosed and checked when the record holding its commitment does not verify', () => {
    const bundle = clone(fixture.bundle);
    expect(bundle.events[0]!.disclosures.length).toBeGreaterThan(0);
    (bundle.events[0]!.record as { name: string }).name = 'edited';
    const statuses = verifyBundle(bundle as EvidenceBundle, { trustedKeys }).events[0]!.content.map((item) => item.status);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 'unverified')).toBe(true);
    // Nor under a key that is not trusted: a forged record opens its own commitments.
    const untrusted = verifyBundle(fixture.bundle, { trustedKeys: { log: fixture.logKey, agents: {} } }).events[0]!.content.map((item) => item.status);
    expect(untrusted.every((status) => status === 'unverified')).toBe(true);
  });

  it('refuses what is not a bundle', () => {
    expect(verifyBundle({} as EvidenceBundle, { trustedKeys }).errors).toEqual(['not a facto.bundle.v1 document']);
  });
});

describe('verifyBundle: what section 13 says a verifier must refuse', async () => {
  const fixture = await bundleFixture({ 'session-1': 4 });
  const trustedKeys = { log: fixture.logKey, agents: fixture.agentKeys };

  it('a duplicated event (a replay), whether or not its leaf index was changed', () => {
    const same = clone(fixture.bundle);
    same.events.push(clone(fixture.bundle).events[1]!);
    const report = verifyBundle(same as EvidenceBundle, { trustedKeys });
    expect(report.ok).toBe(false);
    expect(report.errors).toContain('events 1 and 4 are the same event (same hash): a bundle holds each event once');
    const moved = clone(fixture.bundle);
    moved.events.push({ ...clone(fixture.bundle).events[1]!, leaf_index: 4 });
    expect(verifyBundle(moved as EvidenceBundle, { trustedKeys }).errors.join()).toMatch(/events 1 and 4 are the same event \(same hash\)/);
  });

  it('events reordered in the log (leaf indices swapped)', () => {
    const bundle = clone(fixture.bundle);
    [bundle.events[1]!.leaf_index, bundle.events[2]!.leaf_index] = [bundle.events[2]!.leaf_index, bundle.events[1]!.leaf_index];
    const report = verifyBundle(bundle as EvidenceBundle, { trustedKeys });
    expect(report.ok).toBe(false);
    expect(report.events.filter((event) => !event.inclusion).map((event) => event.seq)).toEqual([1, 2]);
  });

  it('an event re-signed with another key', () => {
    const bundle = clone(fixture.bundle);
    const forger = generateKeyPair();
    bundle.events[2]!.signature = toHex(sign(hashRecord(bundle.events[2]!.record), forger.privateKey));
    const report = verifyBundle(bundle as EvidenceBundle, { trustedKeys });
    expect(report.events[2]!.errors).toEqual(['signature: does not verify under the agent key']);
  });

  it('a record with a member section 4 does not define', () => {
    const bundle = clone(fixture.bundle);
    (bundle.events[0]!.record as unknown as Record<string, unknown>).approved_by = 'nobody';
    expect(verifyBundle(bundle as EvidenceBundle, { trustedKeys }).events[0]!.errors).toEqual([
      'record: unknown member "approved_by": a facto.v1 record has exactly the members agent_id, attributes, chain_id, dropped, end_time_unix_nano, events, facto_id, format, key_id, kind, links, name, parent_span_id, prev_hash, seq, span_id, start_time_unix_nano, status, trace_id (section 4)',
      'hash: the record does not hash to the stated hash (the record or the stated hash was altered)',
      'signature: does not verify under the agent key',
      'inclusion: no valid proof that leaf 0 is in the checkpointed tree',
    ]);
  });

  it('bundle text with a duplicate member name, before any check', () => {
    const text = JSON.stringify(fixture.bundle).replace('"format":"facto.bundle.v1"', '"format":"facto.bundle.v1","format":"facto.bundle.v1"');
    expect(() => parseEvidenceBundle(text)).toThrow(/duplicate member name "format"/);
    expect(verifyBundle(parseEvidenceBundle(JSON.stringify(fixture.bundle)), { trustedKeys }).ok).toBe(true);
  });
});

describe('verifyBundle: gaps in a partial chain (section 10)', async () => {
  // Seq 4 and 5 dropped by the signer (declared from seq 6 on); seq 8 signed but lost on the way.
  const log = new TestLog();
  for (let seq = 0; seq < 10; seq++) log.sign('c', { dropped: seq === 4 || seq === 5, logged: seq !== 8 });
  const trustedKeys = { log: log.logKey, agents: { 'agent-1': [log.agent.publicKey] } };
  const window = { agent_id: 'agent-1', since: '2026-11-30T00:00:00Z' };

  it('fails the whole chain: the declared drop covers 4..5, not the loss of 8', async () => {
    const report = verifyBundle(await log.export(), { trustedKeys });
    expect(report.chains[0]!.errors).toEqual(['events 8..8 are missing and were not declared dropped']);
  });

  it('fails a window from seq 6: drops declared before the window cannot cover a gap inside it', async () => {
    const report = verifyBundle(await log.export({ select: (record) => record.seq >= 6, query: window }), { trustedKeys });
    expect(report.ok).toBe(false);
    expect(report.chains[0]!.errors).toEqual(['events 8..8 are missing and were not declared dropped']);
  });

  it('accepts a window of an honest chain, whatever was dropped before it', async () => {
    const honest = new TestLog();
    for (let seq = 0; seq < 10; seq++) honest.sign('c', { dropped: seq === 4 || seq === 5 || seq === 8 });
    const report = verifyBundle(await honest.export({ select: (record) => record.seq >= 6, query: window }), { trustedKeys: { log: honest.logKey, agents: { 'agent-1': [honest.agent.publicKey] } } });
    expect(report.errors).toEqual([]);
    expect(report.chains[0]).toMatchObject({ ok: true, missing: [] });
  });
});

describe('verifyBundle: erased content (sections 12 and 13)', async () => {
  const log = new TestLog();
  for (let seq = 0; seq < 3; seq++) log.sign('c');
  const erased = log.factoIds[1]!;
  log.erase([erased]);
  const bundle = await log.export();
  const trustedKeys = { log: log.logKey, agents: { 'agent-1': [log.agent.publicKey] } };

  it('tells erased content from disclosed content, through the erasure entry the bundle carries', () => {
    const report = verifyBundle(bundle, { trustedKeys });
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.events[1]).toMatchObject({ factoId: erased, erasedBy: 3, content: [{ key: 'gen_ai.input.messages', status: 'erased' }, { key: 'gen_ai.output.messages', status: 'erased' }] });
    expect(report.events[0]!.content.map((item) => item.status)).toEqual(['disclosed', 'disclosed']);
  });

  it('catches an erasure entry removed from the bundle (the content then reads as withheld), altered, or signed by another key', () => {
    const removed = clone(bundle);
    delete (removed as { erasures?: unknown }).erasures;
    const removedReport = verifyBundle(removed as EvidenceBundle, { trustedKeys });
    expect(removedReport.errors).toEqual(['manifest: lists 1 erasure entries, the bundle holds 0']);
    expect(removedReport.events[1]!.content.map((item) => item.status)).toEqual(['withheld', 'withheld']);

    const altered = clone(bundle);
    (altered.erasures![0]!.entry as { reason: string }).reason = 'routine cleanup';
    expect(verifyBundle(altered as EvidenceBundle, { trustedKeys }).errors).toEqual([
      'erasure 0: hash: the entry does not hash to the stated hash (entry altered)',
      'erasure 0: signature: not a valid log-key signature over the erasure hash',
    ]);

    const stranger = generateKeyPair();
    const foreign = verifyBundle(bundle, { trustedKeys: { ...trustedKeys, log: [log.logKey, encodeVerifierKey('facto.test/log', stranger.publicKey)] } });
    expect(foreign.ok).toBe(true);
    expect(verifyBundle(bundle, { trustedKeys: { ...trustedKeys, log: encodeVerifierKey('facto.test/log', stranger.publicKey) } }).errors).toContain('erasure 0: not signed by a trusted log key');
  });

  it('refuses an entry given twice, an entry naming none of its events, and two entries naming one event', async () => {
    const twice = clone(bundle);
    twice.erasures = [...twice.erasures!, clone(bundle).erasures![0]!];
    expect(verifyBundle(twice as EvidenceBundle, { trustedKeys }).errors).toEqual([
      'erasure 1: the same entry as erasure 0 (leaf 3): a bundle carries each entry once',
      'manifest: lists 1 erasure entries, the bundle holds 2',
    ]);

    const other = new TestLog();
    for (let seq = 0; seq < 2; seq++) other.sign('c');
    other.erase([other.factoIds[0]!]);
    other.erase([other.factoIds[0]!, other.factoIds[1]!]);
    const otherKeys = { log: other.logKey, agents: { 'agent-1': [other.agent.publicKey] } };
    expect(verifyBundle(await other.export(), { trustedKeys: otherKeys }).errors).toEqual([
      `erasure 1: names ${other.factoIds[0]}, which the entry at leaf 2 names too: a log names an event in one erasure entry only`,
    ]);
    // Each event erased by its own entry; only the second exported, with the first entry (proved against the same checkpoint) added.
    const apart = new TestLog();
    for (let seq = 0; seq < 2; seq++) apart.sign('c');
    apart.erase([apart.factoIds[0]!]);
    apart.erase([apart.factoIds[1]!]);
    const exported = await apart.export({ select: (record) => record.facto_id === apart.factoIds[1] });
    const second = { ...exported, erasures: [...exported.erasures!, (await apart.export()).erasures![0]!] };
    const report = verifyBundle(second, { trustedKeys: { log: apart.logKey, agents: { 'agent-1': [apart.agent.publicKey] } } });
    expect(report.errors).toEqual([
      'erasure 1: names no event of the bundle (leaf 2): either the events it names were removed from the bundle, or the entry was added to it; a bundle carries the entries of its own events only',
      'manifest: lists 1 erasure entries, the bundle holds 2',
    ]);
    expect(report.ok).toBe(false);
  });

  it('catches content disclosed for an event an erasure entry names', () => {
    const restored = clone(bundle);
    restored.events[1]!.disclosures = clone(bundle).events[0]!.disclosures;
    expect(verifyBundle(restored as EvidenceBundle, { trustedKeys }).events[1]!.errors).toContain('content: disclosed, yet named by the erasure entry at leaf 3');
  });
});

describe('verifyBundle on hostile input', async () => {
  const { default: fc } = await import('fast-check');
  const fixture = await bundleFixture({ 'session-1': 3 });
  const trustedKeys = { log: fixture.logKey, agents: fixture.agentKeys };

  it('reports instead of throwing, whatever a field is replaced with, and never calls it verified', () => {
    const paths: ((bundle: any, value: unknown) => void)[] = [
      (bundle, value) => (bundle.events[0].record = value),
      (bundle, value) => (bundle.events[0].record.attributes = value),
      (bundle, value) => (bundle.events[0].record.attributes['gen_ai.input.messages'] = value),
      (bundle, value) => (bundle.events[0].disclosures = value),
      (bundle, value) => (bundle.events[0].disclosures[0] = value),
      (bundle, value) => (bundle.events[0].inclusion_proof = value),
      (bundle, value) => (bundle.events[0].inclusion_proof[0] = value),
      (bundle, value) => (bundle.events[1] = value),
      (bundle, value) => (bundle.events[0].hash = value),
      (bundle, value) => (bundle.events[0].leaf_index = value),
      (bundle, value) => (bundle.keys = value),
      (bundle, value) => (bundle.chains[0] = value),
      (bundle, value) => (bundle.chains[0].statement = value),
      (bundle, value) => (bundle.checkpoint = value),
      (bundle, value) => (bundle.events = value),
      (bundle, value) => (bundle.manifest = value),
    ];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: paths.length - 1 }), fc.jsonValue(), (path, value) => {
        const bundle = clone(fixture.bundle);
        paths[path]!(bundle, value);
        const report = verifyBundle(bundle as EvidenceBundle, { trustedKeys });
        // Dropping disclosures is what erasure does, and the bundle's own keys are information only:
        // integrity holds without either.
        // Not null, though: section 13 requires both to be arrays.
        const harmless = (path === 3 || path === 10) && Array.isArray(value) && value.length === 0;
        return report.ok === false || harmless || JSON.stringify(bundle) === JSON.stringify(fixture.bundle);
      }),
      { numRuns: 600 },
    );
  });
});
