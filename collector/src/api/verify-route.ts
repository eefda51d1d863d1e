/**
 * POST /v1/verify: server-side verification of what a client holds, either an evidence bundle (run
 * through core's verifyBundle, trusting this log's key and the registry's non-revoked agent keys,
 * never the keys the bundle carries) or a single event { record, signature, hash?, disclosures? }.
 * The answer is 200 with the verdict whatever it is; 400 only when the body is neither (a single
 * event's record that is not a facto.v1 record, sections 3 and 4, is a malformed body too).
 */
import { BUNDLE_FORMAT, fromHex, hashRecord, recordProblem, toHex, verifyBundle, type ContentDisclosure, type EvidenceBundle, type FactoRecord } from '@facto/core';
import type { CollectorContext } from '../context.js';
import { json, type HttpRequest, type HttpResponse, type Route } from '../http/types.js';
import { checkSignature, trustedAgentKeys } from './agent-keys.js';
import { checkBundleShape } from './bundle-shape.js';
import { disclosureMatches } from './event-verification.js';
import { badRequest, readQuery } from './query-parameters.js';
import { isJsonObject, readJsonBody, rejectUnknownFields, type JsonObject } from './request-body.js';

const HASH_HEX = /^[0-9a-f]{64}$/;
const SIGNATURE_HEX = /^[0-9a-f]{128}$/;

export function verifyRoutes(context: CollectorContext): Route[] {
  return [{ method: 'POST', path: '/v1/verify', access: 'query', handler: (request) => verifySubmitted(context, request) }];
}

async function verifySubmitted(context: CollectorContext, request: HttpRequest): Promise<HttpResponse> {
  readQuery(request.url, []);
  const body = readJsonBody(request);
  const expected = `expected an evidence bundle ("format": "${BUNDLE_FORMAT}") or an event { "record", "signature", "hash"? }`;
  if (!isJsonObject(body)) throw badRequest(`the body is not a JSON object; ${expected}`);
  if (body.format === BUNDLE_FORMAT) return verifySubmittedBundle(context, body);
  if (body.format !== undefined) throw badRequest(`unsupported format ${JSON.stringify(body.format)}; ${expected}`);
  if (body.record !== undefined) return verifySubmittedEvent(context, body);
  throw badRequest(expected);
}

async function verifySubmittedBundle(context: CollectorContext, body: JsonObject): Promise<HttpResponse> {
  checkBundleShape(body);
  const trustedKeys = { log: context.log.key.verifierKey, agents: await trustedAgentKeys(context) };
  try {
    const report = verifyBundle(body as unknown as EvidenceBundle, { trustedKeys });
    return json(200, { type: 'bundle', ok: report.ok, report });
  } catch (error) {
    // verifyBundle reports what it can check; whatever shape slipped past checkBundleShape lands here.
    throw badRequest(`the bundle is malformed: ${(error as Error).message}`);
  }
}

function readDisclosures(value: unknown): ContentDisclosure[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw badRequest('disclosures must be an array of { key, value, salt }');
  value.forEach((item, index) => {
    if (!isJsonObject(item) || typeof item.key !== 'string' || typeof item.salt !== 'string' || !('value' in item)) {
      throw badRequest(`disclosures[${index}] must be an object { key, value, salt }`);
    }
  });
  return value as ContentDisclosure[];
}

async function verifySubmittedEvent(context: CollectorContext, body: JsonObject): Promise<HttpResponse> {
  rejectUnknownFields(body, ['record', 'signature', 'hash', 'disclosures'], 'the event');
  const record = body.record as FactoRecord;
  // The same definition of a record (docs/spec.md sections 3 and 4) as every verifier of @facto/core.
  const problem = recordProblem(record);
  if (problem !== undefined) throw badRequest(`record: ${problem}`);
  if (typeof body.signature !== 'string' || !SIGNATURE_HEX.test(body.signature)) throw badRequest('signature must be 128 lowercase hex digits (an Ed25519 signature)');
  if (body.hash !== undefined && (typeof body.hash !== 'string' || !HASH_HEX.test(body.hash))) throw badRequest('hash, when given, must be 64 lowercase hex digits');
  const stated = body.hash as string | undefined;
  const disclosures = readDisclosures(body.disclosures);

  let computed: Uint8Array | undefined;
  let hashError: string | undefined;
  try {
    computed = hashRecord(record);
  } catch (error) {
    hashError = `the record cannot be canonicalised: ${(error as Error).message}`;
  }
  const computedHex = computed === undefined ? null : toHex(computed);
  const hashOk = computedHex !== null && (stated === undefined || stated === computedHex);
  const signature = computed === undefined
    ? { ok: false, key_id: record.key_id, key_status: 'unknown' as const, valid: false }
    : await checkSignature(context, { agentId: record.agent_id, keyId: record.key_id, endTimeUnixNano: record.end_time_unix_nano, hash: computed, signature: fromHex(body.signature, 'signature', 64) });
  const disclosureResults = disclosures.map((disclosure) => ({ key: disclosure.key, ok: disclosureMatches(record, disclosure) }));
  // Whether this log holds the record too: a client may hold a copy the log never received.
  const stored = computedHex === null ? [] : await context.store.getEventsByHash([computedHex]);
  const ok = hashOk && signature.ok && disclosureResults.every((result) => result.ok);
  return json(200, {
    type: 'event',
    ok,
    facto_id: record.facto_id,
    agent_id: record.agent_id,
    chain_id: record.chain_id,
    seq: record.seq,
    hash: { ok: hashOk, computed: computedHex, stated: stated ?? null, ...(hashError === undefined ? {} : { error: hashError }) },
    signature,
    disclosures: disclosureResults,
    log: stored[0] === undefined ? null : { leaf_index: stored[0].leafIndex, erased: stored[0].erasedBy !== null },
  });
}
