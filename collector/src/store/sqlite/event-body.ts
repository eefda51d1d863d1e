/**
 * How the SQLite store keeps an event's bulky text (schema version 4): one compressed `body` per
 * event row holding the canonical record, the content disclosures, the span salt and the span fields
 * that are only ever shown (trace and span ids, name, times). Every field reads back exactly as it
 * was written; the columns keep what queries filter and sort on, and what the ingest lanes read.
 *
 * Layout of `events.body` (a BLOB), for anyone reading the file without the collector:
 *
 *   byte 0      format: 1
 *   bytes 1..   raw DEFLATE (RFC 1951) with the preset dictionary BODY_DICTIONARY_V1 below, of:
 *               8 field lengths, each a little-endian uint32 (the UTF-8 byte length, or 0xFFFFFFFF
 *               for a null salt), then the 8 fields' UTF-8 bytes in this order: trace_id, span_id,
 *               name, start_time_unix_nano, end_time_unix_nano, record_json, disclosures_json, salt.
 *
 * Python: zlib.decompressobj(-15, zdict=DICTIONARY).decompress(body[1:]). The dictionary is the text
 * a facto.v1 record and the GenAI conventions repeat (member names, typed-value tags, attribute
 * names): DEFLATE sees one event at a time, so that is where most of its redundancy is. A span's own
 * values appear twice (in the record and in the fields), and the second copy costs a back-reference.
 * Hashes, commitments and salts are random and do not compress; text content does.
 */
import { deflateRawSync, inflateRawSync, type ZlibOptions } from 'node:zlib';
import { FactoError } from '@facto/core';

export interface EventBody {
  readonly traceId: string;
  readonly spanId: string;
  readonly name: string;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly recordJson: string;
  readonly disclosuresJson: string;
  readonly salt: string | null;
}

export const BODY_FORMAT_V1 = 1;

const FIELDS = 8;
const NULL_LENGTH = 0xffffffff;

/**
 * Text every facto.v1 record and GenAI span repeats, most frequent last (DEFLATE reaches the end of
 * its window most cheaply). Changing it needs a new format byte: stored rows name the one they use.
 */
export const BODY_DICTIONARY_V1: Buffer = Buffer.from(
  [
    '"gen_ai.tool.call.arguments":{"c":"', '"gen_ai.tool.call.result":{"c":"', '"gen_ai.tool.definitions":{"c":"', '"gen_ai.tool.call.id":{"s":"',
    '"gen_ai.tool.name":{"s":"', '"gen_ai.tool.type":{"s":"function"}', '"gen_ai.agent.name":{"s":"', '"gen_ai.agent.id":{"s":"', '"facto.action_type":{"s":"',
    '"facto.input":{"c":"', '"facto.output":{"c":"', '"error.type":{"s":"', '"gen_ai.conversation.id":{"s":"', '"gen_ai.request.max_tokens":{"i":"',
    '"gen_ai.request.temperature":{"d":', '"gen_ai.request.top_p":{"d":', '"gen_ai.response.finish_reasons":{"a":[{"s":"stop"}]}', '"gen_ai.response.id":{"s":"',
    '"gen_ai.response.model":{"s":"', '"gen_ai.usage.input_tokens":{"i":"', '"gen_ai.usage.output_tokens":{"i":"', '"server.address":{"s":"', '"server.port":{"i":"443"}',
    '"gen_ai.system_instructions":{"c":"', '"gen_ai.input.messages":{"c":"', '"gen_ai.output.messages":{"c":"', '"gen_ai.provider.name":{"s":"openai"}',
    '"gen_ai.operation.name":{"s":"chat"}', '"gen_ai.request.model":{"s":"',
    '[{"role":"system","parts":[{"type":"text","content":"', '[{"role":"user","parts":[{"type":"text","content":"',
    '[{"role":"assistant","parts":[{"type":"text","content":"', '"}],"finish_reason":"stop"}]', '[{"type":"text","content":"',
    '[{"key":"gen_ai.system_instructions","value":{"s":"', '{"key":"gen_ai.input.messages","value":{"s":"', '{"key":"gen_ai.output.messages","value":{"s":"',
    '"},"salt":"', '{"agent_id":"', '"attributes":{', '"chain_id":"', '"dropped":0,"end_time_unix_nano":"', '"events":[],"facto_id":"ft-',
    '"format":"facto.v1","key_id":"', '"kind":3,"links":[],"name":"', '"kind":1,"links":[],"name":"', '"parent_span_id":"","prev_hash":"', '"parent_span_id":"',
    '"seq":', '"span_id":"', '"start_time_unix_nano":"', '"status":{"code":0,"message":""},"trace_id":"',
  ].join(''),
  'utf8',
);

function bodyError(message: string): FactoError {
  return new FactoError('invalid_argument', `stored event body: ${message}`);
}

// Level 3, not zlib's default 6: on realistic chat spans (2.5 KB in) it compresses 1.5% less
// (944 bytes out against 930) in three quarters of the time (about 31 µs against 42, most of either
// being the fixed cost of a stream and its dictionary). Readers need not know: any DEFLATE inflates.
// chunkSize: zlib's output buffer, allocated per call. The default 16 KiB, for a body that compresses
// to about 1 KB, put 15 KB of memory outside the JS heap per event until the GC found it; a larger
// body takes two chunks and a concatenation.
const DEFLATE_OPTIONS: ZlibOptions = { level: 3, dictionary: BODY_DICTIONARY_V1, chunkSize: 2048 };

function plainBody(body: EventBody): Buffer {
  const values = [body.traceId, body.spanId, body.name, body.startTimeUnixNano, body.endTimeUnixNano, body.recordJson, body.disclosuresJson, body.salt];
  const parts = values.map((value) => (value === null ? null : Buffer.from(value, 'utf8')));
  const plain = Buffer.allocUnsafe(FIELDS * 4 + parts.reduce((sum, part) => sum + (part?.length ?? 0), 0));
  let offset = FIELDS * 4;
  parts.forEach((part, index) => {
    plain.writeUInt32LE(part === null ? NULL_LENGTH : part.length, index * 4);
    if (part !== null) offset += part.copy(plain, offset);
  });
  return plain;
}

function framed(compressed: Buffer): Buffer {
  const out = Buffer.allocUnsafe(compressed.length + 1);
  out[0] = BODY_FORMAT_V1;
  compressed.copy(out, 1);
  return out;
}

export function encodeEventBody(body: EventBody): Buffer {
  return framed(deflateRawSync(plainBody(body), DEFLATE_OPTIONS));
}

export function decodeEventBody(stored: Uint8Array): EventBody {
  if (stored.length < 2) throw bodyError('too short');
  if (stored[0] !== BODY_FORMAT_V1) throw bodyError(`unknown format ${stored[0]}`);
  let plain: Buffer;
  try {
    plain = inflateRawSync(stored.subarray(1), { dictionary: BODY_DICTIONARY_V1 });
  } catch {
    throw bodyError('not a valid DEFLATE stream');
  }
  if (plain.length < FIELDS * 4) throw bodyError('truncated');
  const values: (string | null)[] = [];
  let offset = FIELDS * 4;
  for (let index = 0; index < FIELDS; index++) {
    const length = plain.readUInt32LE(index * 4);
    if (length === NULL_LENGTH) {
      values.push(null);
      continue;
    }
    if (offset + length > plain.length) throw bodyError('truncated');
    values.push(plain.toString('utf8', offset, offset + length));
    offset += length;
  }
  if (offset !== plain.length) throw bodyError('trailing bytes');
  const [traceId, spanId, name, startTimeUnixNano, endTimeUnixNano, recordJson, disclosuresJson, salt] = values;
  if ([traceId, spanId, name, startTimeUnixNano, endTimeUnixNano, recordJson, disclosuresJson].some((value) => value === null)) throw bodyError('a required field is null');
  return { traceId: traceId!, spanId: spanId!, name: name!, startTimeUnixNano: startTimeUnixNano!, endTimeUnixNano: endTimeUnixNano!, recordJson: recordJson!, disclosuresJson: disclosuresJson!, salt: salt ?? null };
}

const LOWER_HEX = /^(?:[0-9a-f]{2})+$/;

/** Hex the contract promises lowercase, as bytes; anything else is refused rather than mangled. */
export function hexToBytes(hex: string, what: string): Buffer {
  if (typeof hex !== 'string' || !LOWER_HEX.test(hex)) throw new FactoError('invalid_argument', `${what} must be lowercase hex`);
  return Buffer.from(hex, 'hex');
}

export function isLowerHex(value: unknown): value is string {
  return typeof value === 'string' && LOWER_HEX.test(value);
}
