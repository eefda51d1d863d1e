/**
 * What one span's examination costs, stage by stage, on one thread: the work a collector's
 * examination worker does for every span before the main thread sees it (decode, rebuild and hash,
 * verify, compress the stored body), timed on the same realistic requests the load generator sends.
 *
 * It answers what bounds ingest whatever the rest of the collector does: the verify ceiling counts
 * only the Ed25519 verification, so the ceiling's share ingest could reach if HTTP, the decision, the
 * Merkle log and SQLite cost nothing is the verification's time over the whole examination's.
 * Uses the built collector (dist/), as the collector process does.
 */
import { ATTR, fromHex, openSpan, verifyRecordSignature } from '@facto/core';
import { examineBody } from '../collector/dist/ingest/examine.js';
import { decodeTraceRequest } from '../collector/dist/otlp/decode-trace-request.js';
import { encodeEventBody } from '../collector/dist/store/sqlite/event-body.js';
import { measure, row } from './harness.mjs';
import { realisticWorkload } from './realistic-spans.mjs';

const spansOf = (decoded) => decoded.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans));

/** µs per span for `work`, which examines `spans` spans per call (the median round's rate, as every primitive is timed). */
function microsPerSpan(work, spans, seconds) {
  return 1e6 / (measure(work, { seconds, rounds: 3 }) * spans);
}

export function examinationStages({ smoke }) {
  const { requests, spans } = realisticWorkload(smoke ? { agents: 1, chainsPerAgent: 1, spansPerChain: 20, spansPerRequest: 10 } : { agents: 2, chainsPerAgent: 2, spansPerChain: 200, spansPerRequest: 100 });
  const seconds = smoke ? 0.05 : 1.5;
  const decodedSpans = requests.flatMap((body) => spansOf(decodeTraceRequest(body, 'protobuf')));
  const opened = decodedSpans.map((span) => openSpan(span));
  const keys = decodedSpans.map((span) => fromHex(span.attributes.find(([key]) => key === ATTR.publicKey)[1].s, ATTR.publicKey, 32));
  const examined = requests.flatMap((body) => examineBody(body, 'protobuf').spans);
  if (examined.some((span) => span.kind !== 'signed' || span.verifiedWith === undefined)) throw new Error('a benchmark span did not verify');

  const decode = microsPerSpan(() => requests.forEach((body) => decodeTraceRequest(body, 'protobuf')), spans, seconds);
  const open = microsPerSpan(() => decodedSpans.forEach((span) => openSpan(span)), spans, seconds);
  const verify = microsPerSpan(() => opened.forEach((span, index) => verifyRecordSignature(span.hash, span.signature, keys[index])), spans, seconds);
  const compress = microsPerSpan(() => examined.forEach((span) => encodeEventBody(span)), spans, seconds);
  const whole = microsPerSpan(() => requests.forEach((body) => examineBody(body, 'protobuf', { prepareBodies: true })), spans, seconds);
  const prefix = 'examination on one thread';
  return [
    row(`${prefix}: decode OTLP/protobuf`, decode, 'µs/span', 'protobufjs with the official protos, then our span fields'),
    row(`${prefix}: rebuild record, canonical text, hashes`, open, 'µs/span', 'openSpan: record, SHA3-256, content commitments'),
    row(`${prefix}: Ed25519 verification`, verify, 'µs/span'),
    row(`${prefix}: compress the stored body`, compress, 'µs/span', 'DEFLATE level 3 with the body dictionary'),
    row(`${prefix}: all of it, as a worker runs it`, whole, 'µs/span', `${(verify / whole).toFixed(2)}: the most of the verify ceiling ingest could reach if nothing else cost anything`),
  ];
}
