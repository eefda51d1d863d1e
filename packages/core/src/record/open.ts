/**
 * Opening: what a verifier does with a span that arrived. It reads the facto.* attributes, rebuilds
 * the record from the span exactly as received, recomputes the hash, and checks each content value
 * that travelled against its commitment. The signature check against a trusted key is separate
 * (`verifyRecordSignature`), because which key to trust is the verifier's decision, not the span's.
 */
import { equalBytes, fromHex, toHex } from '../bytes.js';
import { verify } from '../crypto/index.js';
import { FactoError } from '../errors.js';
import { ATTR, FORMAT } from './constants.js';
import { commitContent, deriveKeySalt, SALT_LENGTH, type ContentDisclosure } from './content.js';
import { canonicalRecord, createRecord, type FactoRecord } from './record.js';
import type { SpanFields, TypedValue } from './types.js';

export interface OpenedSpan {
  readonly record: FactoRecord;
  /** The hash recomputed from what arrived. */
  readonly hash: Uint8Array;
  /** The record's RFC 8785 text: the bytes hashed after the domain prefix. */
  readonly canonical: string;
  /** Whether it equals the facto.hash the signer claimed (false: altered in transit, or a broken signer). */
  readonly hashMatches: boolean;
  readonly signature: Uint8Array;
  /** One per content value that travelled, with its key salt, checked against its commitment. */
  readonly disclosures: readonly ContentDisclosure[];
  /** Content keys whose value arrived but does not match its commitment. */
  readonly contentMismatches: readonly string[];
}

function fail(message: string): never {
  throw new FactoError('record_format', message);
}

function stringAttribute(attributes: Map<string, TypedValue>, key: string, optional = false): string | undefined {
  const value = attributes.get(key);
  if (value === undefined) return optional ? undefined : fail(`${key}: missing`);
  if (value === null || !('s' in value)) return fail(`${key}: expected a string attribute`);
  return value.s;
}

function integerAttribute(attributes: Map<string, TypedValue>, key: string, fallback?: number): number {
  const value = attributes.get(key);
  if (value === undefined && fallback !== undefined) return fallback;
  if (value === undefined) return fail(`${key}: missing`);
  if (value === null || !('i' in value)) return fail(`${key}: expected an int attribute`);
  const parsed = Number(value.i);
  if (!Number.isSafeInteger(parsed) || parsed < 0) fail(`${key}: expected a non-negative safe integer`);
  return parsed;
}

function stringList(attributes: Map<string, TypedValue>, key: string): string[] {
  const value = attributes.get(key);
  if (value === undefined) return [];
  if (value === null || !('a' in value)) return fail(`${key}: expected a string array attribute`);
  return value.a.map((item, index) => (item !== null && 's' in item ? item.s : fail(`${key}[${index}]: expected a string`)));
}

/** True when the span carries a Facto signature at all (the collector's unsigned-span policy applies otherwise). */
export function isSealed(span: SpanFields): boolean {
  return span.attributes.some(([key]) => key === ATTR.signature);
}

export function openSpan(span: SpanFields): OpenedSpan {
  const attributes = new Map<string, TypedValue>();
  for (const [key, value] of span.attributes) if (key.startsWith('facto.')) attributes.set(key, value);
  const format = stringAttribute(attributes, ATTR.format);
  if (format !== FORMAT) fail(`${ATTR.format}: unsupported format "${format}"`);

  const contentKeys = stringList(attributes, ATTR.contentKeys);
  const commitmentList = stringList(attributes, ATTR.commitments);
  if (contentKeys.length !== commitmentList.length) fail(`${ATTR.contentKeys} and ${ATTR.commitments} differ in length`);
  const commitments = new Map<string, string>();
  contentKeys.forEach((key, index) => {
    if (commitments.has(key)) fail(`${ATTR.contentKeys}: duplicate key "${key}"`);
    commitments.set(key, commitmentList[index]!);
  });

  const record = createRecord(
    span,
    {
      factoId: stringAttribute(attributes, ATTR.id)!,
      agentId: stringAttribute(attributes, ATTR.agentId)!,
      chainId: stringAttribute(attributes, ATTR.chainId)!,
      seq: integerAttribute(attributes, ATTR.seq),
      prevHash: stringAttribute(attributes, ATTR.prevHash)!,
      keyId: stringAttribute(attributes, ATTR.keyId)!,
      dropped: integerAttribute(attributes, ATTR.dropped, 0),
    },
    commitments,
  );
  const { text: canonical, hash } = canonicalRecord(record);
  const claimed = fromHex(stringAttribute(attributes, ATTR.hash)!, ATTR.hash, 32);
  const signature = fromHex(stringAttribute(attributes, ATTR.signature)!, ATTR.signature, 64);

  const disclosures: ContentDisclosure[] = [];
  const contentMismatches: string[] = [];
  const saltHex = stringAttribute(attributes, ATTR.salt, true);
  if (saltHex !== undefined && commitments.size > 0) {
    const spanSalt = fromHex(saltHex, ATTR.salt, SALT_LENGTH);
    for (const [key, value] of span.attributes) {
      const commitment = commitments.get(key);
      if (commitment === undefined) continue;
      const keySalt = deriveKeySalt(spanSalt, key);
      if (toHex(commitContent(key, value, keySalt)) === commitment) disclosures.push({ key, value, salt: toHex(keySalt) });
      else contentMismatches.push(key);
    }
  }
  return { record, hash, canonical, hashMatches: equalBytes(hash, claimed), signature, disclosures, contentMismatches };
}

export function verifyRecordSignature(hash: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  return verify(signature, hash, publicKey);
}
