/**
 * Erasure entries (docs/spec.md section 12). Erasing deletes stored content values and salts, never a
 * record; the erasure itself becomes a signed log entry so the log shows what was erased, when and
 * why. Its hash is domain-separated ("facto.v1.erasure" 0x00) so it can never pass for a record hash.
 */
import { canonicalBytes, canonicalize, concatBytes, DOMAIN, FactoError, fromHex, parseVerifierKey, sha3_256, sign, toHex, utf8, verify } from '@facto/core';
import { isFactoId } from './query-parameters.js';

export const ERASURE_FORMAT = 'facto.v1.erasure';

export interface ErasureEntry {
  readonly format: typeof ERASURE_FORMAT;
  /** Sorted, without duplicates. */
  readonly facto_ids: readonly string[];
  readonly reason: string;
  readonly erased_at_unix_ms: number;
  /** The log key's C2SP key hash, 8 hex digits. */
  readonly log_key_id: string;
}

export interface SignedErasureEntry {
  readonly entry: ErasureEntry;
  /** RFC 8785 canonical JSON of the entry: exactly the bytes hashed after the domain prefix. */
  readonly entryJson: string;
  readonly hash: Uint8Array;
  readonly signature: Uint8Array;
}

const ERASURE_PREFIX = concatBytes(utf8(DOMAIN.erasure), new Uint8Array([0]));
const KEY_HASH = /^[0-9a-f]{8}$/;

function fail(message: string): never {
  throw new FactoError('invalid_argument', `erasure entry: ${message}`);
}

export function createErasureEntry(input: { factoIds: readonly string[]; reason: string; erasedAt: number; logKeyId: string }): ErasureEntry {
  const factoIds = [...new Set(input.factoIds)].sort();
  if (factoIds.length === 0) fail('facto_ids must not be empty');
  const malformed = factoIds.find((factoId) => !isFactoId(factoId));
  if (malformed !== undefined) fail(`${JSON.stringify(malformed)} is not a facto_id`);
  if (typeof input.reason !== 'string' || input.reason.trim() === '') fail('reason must be a non-empty string');
  if (!Number.isSafeInteger(input.erasedAt) || input.erasedAt < 0) fail('erased_at_unix_ms must be a non-negative integer');
  if (!KEY_HASH.test(input.logKeyId)) fail('log_key_id must be 8 lowercase hex digits');
  return { format: ERASURE_FORMAT, facto_ids: factoIds, reason: input.reason, erased_at_unix_ms: input.erasedAt, log_key_id: input.logKeyId };
}

/** erasure_hash = SHA3-256("facto.v1.erasure" 0x00 || JCS(entry)). */
export function hashErasureEntry(entry: ErasureEntry): Uint8Array {
  return sha3_256(concatBytes(ERASURE_PREFIX, canonicalBytes(entry)));
}

export function signErasureEntry(entry: ErasureEntry, logPrivateKey: Uint8Array): SignedErasureEntry {
  const entryJson = canonicalize(entry);
  const hash = hashErasureEntry(entry);
  return { entry, entryJson, hash, signature: sign(hash, logPrivateKey) };
}

export interface ErasureVerdict {
  readonly ok: boolean;
  readonly entry: ErasureEntry | null;
  readonly errors: readonly string[];
}

function parseEntry(entryJson: string, errors: string[]): ErasureEntry | null {
  let value: unknown;
  try {
    value = JSON.parse(entryJson);
  } catch {
    errors.push('entry is not JSON');
    return null;
  }
  const entry = value as ErasureEntry;
  if (typeof value !== 'object' || value === null || entry.format !== ERASURE_FORMAT) {
    errors.push(`entry is not a ${ERASURE_FORMAT} object`);
    return null;
  }
  const ids = entry.facto_ids;
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every(isFactoId)) errors.push('facto_ids must be a non-empty array of facto_ids');
  else if (ids.some((id, index) => index > 0 && ids[index - 1]! >= id)) errors.push('facto_ids must be sorted and without duplicates');
  if (typeof entry.reason !== 'string') errors.push('reason must be a string');
  if (!Number.isSafeInteger(entry.erased_at_unix_ms)) errors.push('erased_at_unix_ms must be an integer');
  const extra = Object.keys(value).filter((key) => !['format', 'facto_ids', 'reason', 'erased_at_unix_ms', 'log_key_id'].includes(key));
  if (extra.length > 0) errors.push(`unexpected field ${JSON.stringify(extra[0])}`);
  return entry;
}

/**
 * Checks a stored or published erasure entry against the log's C2SP verifier key: its shape, that
 * `hash` is its erasure hash, that it names this log key, and the log key's signature over the hash.
 */
export function verifyErasureEntry(input: { entryJson: string; hash: string; signature: string }, logVerifierKey: string): ErasureVerdict {
  const errors: string[] = [];
  const entry = parseEntry(input.entryJson, errors);
  if (entry === null) return { ok: false, entry: null, errors };
  const key = parseVerifierKey(logVerifierKey);
  if (entry.log_key_id !== toHex(key.keyId)) errors.push(`entry names log key ${JSON.stringify(entry.log_key_id)}, not ${toHex(key.keyId)}`);
  let hash: Uint8Array | undefined;
  try {
    hash = hashErasureEntry(entry);
  } catch (error) {
    errors.push(`entry cannot be canonicalised: ${(error as Error).message}`);
  }
  if (hash !== undefined && toHex(hash) !== input.hash) errors.push('hash: the entry does not hash to the stated hash (entry altered)');
  let signatureOk = false;
  try {
    signatureOk = hash !== undefined && verify(fromHex(input.signature, 'signature', 64), hash, key.publicKey);
  } catch {
    signatureOk = false;
  }
  if (!signatureOk) errors.push('signature: not a valid log-key signature over the erasure hash');
  return { ok: errors.length === 0, entry, errors };
}
