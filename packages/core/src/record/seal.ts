/**
 * Sealing: what a signer does to one span. Given the span's fields (content values included, facto.*
 * attributes not yet set) and its place in the chain, it commits the content, builds the record,
 * hashes and signs it, and returns the facto.* attributes to write onto the span. Pure and
 * synchronous: the OpenTelemetry processor calls it inside `onEnding`.
 */
import { toHex } from '../bytes.js';
import { sign } from '../crypto/index.js';
import { ATTR, FORMAT } from './constants.js';
import { commitContent, deriveKeySalt, generateSalt } from './content.js';
import { createRecord, hashRecord, type ChainFields, type FactoRecord } from './record.js';
import type { SpanFields, TypedValue } from './types.js';

/**
 * What leaves the process for a content attribute: `full` the value, its commitment and the span salt;
 * `hashes` the commitment only (the value never leaves; nobody can open it without value and salt);
 * `none` nothing (the attribute is removed before signing and is not part of the record).
 */
export type ContentCapture = 'full' | 'hashes' | 'none';

export interface SealOptions {
  readonly span: SpanFields;
  readonly chain: ChainFields;
  readonly privateKey: Uint8Array;
  /** The matching public key, hex; sent as facto.public_key so a collector in TOFU mode can pin it. */
  readonly publicKey?: string;
  /** Keys treated as content. */
  readonly contentKeys: ReadonlySet<string>;
  readonly capture: ContentCapture;
  /** For tests and vectors: the span salt. Random otherwise. */
  readonly salt?: Uint8Array;
}

/** Attribute values as OpenTelemetry accepts them. */
export type FactoAttributeValue = string | number | string[];

/** A span whose record and hash are final (and chained) but not yet signed. */
export interface PreparedSeal {
  readonly record: FactoRecord;
  readonly hash: Uint8Array;
  /** facto.* attributes to set on the span, all but facto.signature. */
  readonly attributes: Readonly<Record<string, FactoAttributeValue>>;
  /** Content attributes to remove from the span before export (capture `hashes` or `none`). */
  readonly removeKeys: readonly string[];
}

export interface SealedSpan extends PreparedSeal {
  readonly signature: Uint8Array;
}

/** Seals a span: prepareSeal, then the Ed25519 signature over the hash. */
export function sealSpan(options: SealOptions): SealedSpan {
  const prepared = prepareSeal(options);
  const signature = sign(prepared.hash, options.privateKey);
  return { ...prepared, signature, attributes: { ...prepared.attributes, [ATTR.signature]: toHex(signature) } };
}

/**
 * Everything but the signature: commitments, record, hash, and the transport attributes. The hash is
 * what the chain links to and what the signature covers, so once this has run the span's place in
 * the chain is fixed; signing can follow later (the processor's deferred mode).
 */
export function prepareSeal(options: Omit<SealOptions, 'privateKey'>): PreparedSeal {
  const { span, chain, capture } = options;
  const content: [string, TypedValue][] = [];
  const kept = span.attributes.filter(([key, value]) => {
    if (!options.contentKeys.has(key)) return true;
    if (capture !== 'none') content.push([key, value]);
    return false;
  });
  content.sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));

  const commitments = new Map<string, string>();
  let salt: Uint8Array | undefined;
  if (content.length > 0) {
    salt = options.salt ?? generateSalt();
    for (const [key, value] of content) commitments.set(key, toHex(commitContent(key, value, deriveKeySalt(salt, key))));
  }
  const record = createRecord({ ...span, attributes: kept }, chain, commitments);
  const hash = hashRecord(record);

  const attributes: Record<string, FactoAttributeValue> = {
    [ATTR.format]: FORMAT,
    [ATTR.id]: chain.factoId,
    [ATTR.agentId]: chain.agentId,
    [ATTR.chainId]: chain.chainId,
    [ATTR.seq]: chain.seq,
    [ATTR.prevHash]: chain.prevHash,
    [ATTR.keyId]: chain.keyId,
    [ATTR.hash]: toHex(hash),
  };
  if (options.publicKey !== undefined) attributes[ATTR.publicKey] = options.publicKey;
  if (chain.dropped > 0) attributes[ATTR.dropped] = chain.dropped;
  if (commitments.size > 0) {
    attributes[ATTR.contentKeys] = [...commitments.keys()];
    attributes[ATTR.commitments] = [...commitments.values()];
    if (capture === 'full' && salt) attributes[ATTR.salt] = toHex(salt);
  }
  const removeKeys = capture === 'full' ? [] : span.attributes.filter(([key]) => options.contentKeys.has(key)).map(([key]) => key);
  return { record, hash, attributes, removeKeys };
}
