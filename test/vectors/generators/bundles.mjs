/**
 * Evidence-bundle vectors (docs/spec.md section 13): a complete bundle made from a fixed log (agent
 * key RFC 8032 TEST 1, log key RFC 8032 TEST 2), with a declared drop and an erased event, that
 * MUST verify; and one tampered copy per kind of tampering, each of which MUST NOT. A partial
 * (time-window) export of a chain that lost a record after an earlier declared drop covers the gap
 * rule of section 10.
 */
import {
  BUNDLE_FORMAT, createErasureEntry, encodeVerifierKey, formatChainStatement, formatExportManifest, fromHex, getPublicKey, hashLeaf, hashRecord,
  inclusionProof, keyId, MemoryNodeStore, MerkleTree, noteKeyId, openSpan, sealSpan, sign, signCheckpoint, signErasureEntry, signNote, toHex, toTypedValue,
  DEFAULT_CONTENT_KEYS, ZERO_HASH_HEX,
} from '@facto/core';

const LOG_PRIVATE_KEY = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'); // RFC 8032 7.1 TEST 2
const OTHER_PRIVATE_KEY = fromHex('c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7'); // RFC 8032 7.1 TEST 3
const ORIGIN = 'facto.vectors/log';
const AGENT = 'agent-vectors';
const OTHER_AGENT = 'agent-elsewhere';
const SALT = fromHex('202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f');

/** A fixed log: the agent signs, the log appends, erases and exports. */
class VectorLog {
  #tree = new MerkleTree();
  #store = new MemoryNodeStore();
  #events = [];
  #erasures = [];
  #heads = new Map();
  #serial = 0;

  constructor(agentPrivateKey) {
    this.agentPrivateKey = agentPrivateKey;
    this.agentPublicKey = getPublicKey(agentPrivateKey);
    this.logKey = encodeVerifierKey(ORIGIN, getPublicKey(LOG_PRIVATE_KEY));
  }

  /** `alter` changes the record before it is hashed and signed, as a signer that does not follow section 4 would. */
  sign(chainId, { logged = true, dropped = false, agentId = AGENT, alter } = {}) {
    const headKey = JSON.stringify([agentId, chainId]);
    const head = this.#heads.get(headKey) ?? { seq: 0, prevHash: ZERO_HASH_HEX, dropped: 0 };
    const serial = ++this.#serial;
    const span = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: serial.toString(16).padStart(16, '0'), parentSpanId: '', name: `step ${serial}`, kind: 1,
      startTimeUnixNano: String(1732280000000000000n + BigInt(serial) * 1000000n), endTimeUnixNano: String(1732280000000500000n + BigInt(serial) * 1000000n),
      status: { code: 0, message: '' }, events: [], links: [],
      attributes: [['facto.action_type', toTypedValue('tool.call')], ['facto.input', toTypedValue(`{"step":${serial}}`)], ['facto.output', toTypedValue('{"ok":true}')]],
    };
    const chain = { factoId: `ft-00000000-0000-4000-8000-${serial.toString(16).padStart(12, '0')}`, agentId, chainId, seq: head.seq, prevHash: head.prevHash, keyId: keyId(this.agentPublicKey), dropped: head.dropped };
    const sealed = sealSpan({ span, chain, privateKey: this.agentPrivateKey, contentKeys: new Set(DEFAULT_CONTENT_KEYS), capture: 'full', salt: SALT });
    if (alter !== undefined) {
      const record = JSON.parse(JSON.stringify(sealed.record));
      alter(record);
      const hash = hashRecord(record);
      Object.assign(sealed, { record, hash, signature: sign(hash, this.agentPrivateKey) });
    }
    this.#heads.set(headKey, { seq: head.seq + 1, prevHash: toHex(sealed.hash), dropped: head.dropped + (dropped ? 1 : 0) });
    if (dropped || !logged) return;
    const received = { ...span, attributes: [...span.attributes, ...Object.entries(sealed.attributes).map(([key, value]) => [key, toTypedValue(value)])] };
    this.#append(sealed.hash);
    this.#events.push({ leaf_index: this.#tree.size - 1, record: sealed.record, hash: toHex(sealed.hash), signature: toHex(sealed.signature), disclosures: openSpan(received).disclosures });
  }

  erase(seqs, chainId, agentId = AGENT) {
    const factoIds = this.#events.filter((event) => event.record.agent_id === agentId && event.record.chain_id === chainId && seqs.includes(event.record.seq)).map((event) => event.record.facto_id);
    const entry = createErasureEntry({ factoIds, reason: 'GDPR Art. 17 request #7', erasedAt: 1732290000000, logKeyId: toHex(noteKeyId(ORIGIN, getPublicKey(LOG_PRIVATE_KEY))) });
    const signed = signErasureEntry(entry, LOG_PRIVATE_KEY);
    this.#append(signed.hash);
    this.#erasures.push({ leaf_index: this.#tree.size - 1, entry, hash: toHex(signed.hash), signature: toHex(signed.signature) });
    this.#events = this.#events.map((event) => (factoIds.includes(event.record.facto_id) ? { ...event, disclosures: [] } : event));
  }

  async export({ select = (record) => record.agent_id === AGENT, query = { agent_id: AGENT } } = {}) {
    const signer = { name: ORIGIN, privateKey: LOG_PRIVATE_KEY };
    const treeSize = this.#tree.size;
    const prove = async (leaf) => (await inclusionProof(this.#store, leaf, treeSize)).map(toHex);
    const events = [];
    for (const event of this.#events.filter((item) => select(item.record))) events.push({ ...event, inclusion_proof: await prove(event.leaf_index) });
    const ids = new Set(events.map((event) => event.record.facto_id));
    const erasures = [];
    for (const erasure of this.#erasures.filter((item) => item.entry.facto_ids.some((id) => ids.has(id)))) erasures.push({ ...erasure, inclusion_proof: await prove(erasure.leaf_index) });
    const agentId = events[0]?.record.agent_id ?? AGENT;
    const chainIds = [...new Set(events.map((event) => event.record.chain_id))].sort();
    const chains = chainIds.map((chainId) => {
      const mine = events.filter((event) => event.record.chain_id === chainId);
      const all = this.#events.filter((event) => event.record.agent_id === agentId && event.record.chain_id === chainId);
      const head = all[all.length - 1];
      const text = formatChainStatement({ origin: ORIGIN, agentId, chainId, firstSeq: mine[0].record.seq, lastSeq: mine[mine.length - 1].record.seq, count: mine.length, headSeq: head.record.seq, headHash: head.hash, treeSize });
      return { agent_id: agentId, chain_id: chainId, statement: signNote(text, [signer]) };
    });
    const manifest = signNote(formatExportManifest({ origin: ORIGIN, treeSize, query, events: events.length, erasures: erasures.length, chains: chainIds.map((chainId) => ({ agentId, chainId, count: events.filter((event) => event.record.chain_id === chainId).length })) }), [signer]);
    return {
      format: BUNDLE_FORMAT,
      log_key: this.logKey,
      checkpoint: signCheckpoint({ origin: ORIGIN, treeSize, rootHash: this.#tree.root() }, signer),
      keys: [{ agent_id: AGENT, key_id: keyId(this.agentPublicKey), public_key: toHex(this.agentPublicKey) }],
      events,
      chains,
      ...(erasures.length > 0 ? { erasures } : {}),
      manifest,
      query,
    };
  }

  #append(hash) {
    this.#store.put(this.#tree.append([hashLeaf(hash)]).nodes);
  }
}

const copy = (value) => JSON.parse(JSON.stringify(value));

export async function generateBundles(agentPrivateKey) {
  const log = new VectorLog(agentPrivateKey);
  // chain-a: seq 0..5, seq 2 dropped by the signer (declared from seq 3); chain-b: seq 0..1.
  for (let seq = 0; seq < 6; seq++) log.sign('chain-a', { dropped: seq === 2 });
  log.sign('chain-b');
  log.sign('chain-b');
  log.erase([1], 'chain-a');
  log.erase([0], 'chain-b');
  // Another agent's event in the same log, erased: its entry belongs in that agent's exports only.
  log.sign('chain-x', { agentId: OTHER_AGENT });
  log.erase([0], 'chain-x', OTHER_AGENT);
  const valid = await log.export();
  const foreign = await log.export({ select: (record) => record.agent_id === OTHER_AGENT, query: { agent_id: OTHER_AGENT } });
  const indexOf = (chainId, seq) => valid.events.findIndex((event) => event.record.chain_id === chainId && event.record.seq === seq);

  const tampered = [];
  const add = (name, change, fails) => {
    const bundle = copy(valid);
    change(bundle);
    tampered.push({ name, bundle, ok: false, fails });
  };
  add('an event removed from the middle of a chain', (bundle) => bundle.events.splice(indexOf('chain-a', 3), 1), ['chain', 'manifest']);
  add('an event removed from the end of a chain', (bundle) => bundle.events.splice(indexOf('chain-a', 5), 1), ['chain', 'manifest']);
  add('two events reordered in the log (leaf indices swapped)', (bundle) => {
    const [first, second] = [bundle.events[indexOf('chain-a', 3)], bundle.events[indexOf('chain-a', 4)]];
    [first.leaf_index, second.leaf_index] = [second.leaf_index, first.leaf_index];
  }, ['event:inclusion']);
  add('an event re-signed with another key', (bundle) => {
    const event = bundle.events[indexOf('chain-a', 4)];
    event.signature = toHex(sign(hashRecord(event.record), OTHER_PRIVATE_KEY));
  }, ['event:signature']);
  add('an event duplicated (a replay)', (bundle) => bundle.events.push(copy(bundle.events[indexOf('chain-b', 1)])), ['bundle', 'chain', 'manifest']);
  add('a record field altered', (bundle) => (bundle.events[indexOf('chain-b', 0)].record.name = 'step edited'), ['event:hash', 'chain']);
  add('a disclosure that does not open its commitment', (bundle) => (bundle.events[indexOf('chain-a', 0)].disclosures[0].value = { s: '{"step":999}' }), ['event:disclosure']);
  // The altered record no longer hashes to the logged hash (chain), yet it still names its chain, which the manifest counts.
  add('a record with a member section 4 does not define', (bundle) => (bundle.events[indexOf('chain-a', 0)].record.approved_by = 'nobody'), ['event:record', 'chain']);
  add('a checkpoint from another log (same origin, another key)', (bundle) => {
    bundle.checkpoint = signCheckpoint({ origin: ORIGIN, treeSize: 11, rootHash: new Uint8Array(32) }, { name: ORIGIN, privateKey: OTHER_PRIVATE_KEY });
  }, ['checkpoint']);
  add('the erasure entries removed', (bundle) => delete bundle.erasures, ['manifest']);
  add('an erasure entry replaced by a copy of the other one (the erased event then looks withheld)', (bundle) => (bundle.erasures[1] = copy(bundle.erasures[0])), ['erasures']);
  add('an erasure entry replaced by one from another export of the same checkpoint, naming none of its events', (bundle) => (bundle.erasures[1] = copy(foreign.erasures[0])), ['erasures']);
  add('a whole chain removed with its statement', (bundle) => {
    bundle.events = bundle.events.filter((event) => event.record.chain_id !== 'chain-b');
    bundle.chains = bundle.chains.filter((chain) => chain.chain_id !== 'chain-b');
  }, ['erasures', 'manifest']);

  // The same log seen through a time window: seq 4-5 dropped by the signer, seq 8 lost on the way.
  const windowed = new VectorLog(agentPrivateKey);
  for (let seq = 0; seq < 10; seq++) windowed.sign('chain-w', { dropped: seq === 4 || seq === 5, logged: seq !== 8 });
  const window = { agent_id: AGENT, since: '2024-11-22T13:33:20.000Z' };
  const hidden = await windowed.export({ select: (record) => record.seq >= 6, query: window });
  tampered.push({ name: 'a time window (since=) over a chain that lost seq 8 after a drop declared before the window', bundle: hidden, ok: false, fails: ['chain'] });

  const honest = new VectorLog(agentPrivateKey);
  for (let seq = 0; seq < 10; seq++) honest.sign('chain-w', { dropped: seq === 4 || seq === 5 || seq === 8 });
  const honestWindow = await honest.export({ select: (record) => record.seq >= 6, query: window });

  // Records a signer following section 4 never produces, yet signed, logged and proven: each MUST fail
  // for its record alone (section 13.1, step 4); and one a signer may produce (an empty AnyValue).
  const shaped = async (alter) => {
    const shapeLog = new VectorLog(agentPrivateKey);
    for (let seq = 0; seq < 2; seq++) shapeLog.sign('chain-s', { alter: seq === 1 ? alter : undefined });
    return shapeLog.export();
  };
  const recordCase = async (name, alter) => tampered.push({ name, bundle: await shaped(alter), ok: false, fails: ['event:record'] });
  await recordCase('a signed record whose name is a number (section 4)', (record) => (record.name = 5));
  await recordCase('a signed record whose events member is an object (section 4)', (record) => (record.events = {}));
  await recordCase('a signed record whose start time is a JSON number (section 4)', (record) => (record.start_time_unix_nano = 1));
  await recordCase('a signed record whose status has a member section 4 does not define', (record) => (record.status.note = 'x'));
  await recordCase('a signed record with an int attribute that is not canonical, {"i":"007"} (section 3)', (record) => (record.attributes.x = { i: '007' }));
  await recordCase('a signed record with a typed value of two members (section 3)', (record) => (record.attributes.x = { s: 'a', i: '1' }));
  await recordCase('a signed record with a commitment in an event attribute (section 4.1)', (record) => (record.events = [{ name: 'e', time_unix_nano: '1', attributes: { k: { c: 'ab'.repeat(32) } } }]));
  const emptyValue = await shaped((record) => (record.attributes.empty = null));
  add('an event with a member section 13 does not define', (bundle) => (bundle.events[indexOf('chain-a', 0)].comment = 'approved by auditor'), ['event:members']);
  add('a key disclosed twice in one event', (bundle) => {
    const event = bundle.events[indexOf('chain-a', 0)];
    event.disclosures.push(copy(event.disclosures[0]));
  }, ['event:members']);
  add('an event without its disclosures member', (bundle) => delete bundle.events[indexOf('chain-a', 0)].disclosures, ['event:members']);
  add('a bundle with a top-level member section 13 does not define', (bundle) => (bundle.note = 'verified by the exporter'), ['bundle']);

  const duplicateNames = JSON.stringify(valid).replace(`"format":"${BUNDLE_FORMAT}"`, `"format":"${BUNDLE_FORMAT}","format":"${BUNDLE_FORMAT}"`);
  return {
    description:
      'facto.bundle.v1 vectors: see docs/spec.md section 13. Verify each bundle with the trusted keys below and nothing else (not the keys a bundle carries); ok is the verdict a verifier MUST reach. fails names the checks that fail, for information: event:record (a record that is not a section 4 record with section 3 values), event:members (an event or disclosure member section 13 does not define, a missing disclosures member, a key disclosed twice), event:hash, event:signature, event:inclusion, event:disclosure, chain, checkpoint, manifest, bundle (an event held twice, or a member section 13 does not define in the bundle, a keys or a chains entry), erasures, and json (the text is refused before it is read as a bundle). bundle_text cases must be read as JSON text (section 13.1, step 1): UTF-8 without a byte order mark, refusing duplicate member names.',
    generator: 'test/vectors/generate.mjs',
    checked_by: 'test/vectors/vectors.test.ts',
    trusted_keys: { log: log.logKey, agents: { [AGENT]: [toHex(log.agentPublicKey)] } },
    cases: [
      { name: 'a complete export: two chains, a declared drop, two erasure entries', bundle: valid, ok: true, fails: [] },
      { name: 'an honest time window (since=) after drops the signer declared', bundle: honestWindow, ok: true, fails: [] },
      { name: 'a record with an attribute whose value is an empty AnyValue (null, section 3)', bundle: emptyValue, ok: true, fails: [] },
      ...tampered,
      { name: 'duplicate member names in the bundle text', bundle_text: duplicateNames, ok: false, fails: ['json'] },
      { name: 'bundle text that begins with a byte order mark', bundle_text: `\uFEFF${JSON.stringify(valid)}`, ok: false, fails: ['json'] },
    ],
  };
}
