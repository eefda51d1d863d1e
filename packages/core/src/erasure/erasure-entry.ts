/**
 * Erasure entries (docs/spec.md section 12). Erasing deletes stored content values and salts, never a
 * record; the erasure itself is a log entry signed with the log key, so the log shows what was erased,
 * when and why, and a verifier can tell an erased value from one that was never shown. Its hash is
 * domain-separated ("facto.v1.erasure" 0x00) so it can never pass for a record hash.
 */
import { concatBytes, fromHex, toHex, utf8 } from '../bytes.js';
import { canonicalBytes, canonicalize } from '../canonicalize.js';
import { sha3_256, sign, verify } from '../crypto/index.js';
import { FactoError } from '../errors.js';
import { parseVerifierKey, type VerifierKey } from '../note/index.js';
import { DOMAIN } from '../record/constants.js';
import { isFactoId } from '../record/record.js';
import { parseStrictJson } from '../strict-json.js';

export const ERASURE_FORMAT = 'facto.v1.erasure';

export interface ErasureEntry {
  readonly format: typeof ERASURE_FORMAT;
  /** Sorted by UTF-16 code units, without duplicates. */
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

export interface ErasureVerdict {
  readonly ok: boolean;
  readonly entry: ErasureEntry | null;
  readonly errors: readonly string[];
}

const ERASURE_PREFIX = concatBytes(utf8(DOMAIN.erasure), new Uint8Array([0]));
const KEY_HASH = /^[0-9a-f]{8}$/;
const MEMBERS = ['erased_at_unix_ms', 'facto_ids', 'format', 'log_key_id', 'reason'];

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

/** The shape rules of section 12; each broken rule is one message. */
function shapeErrors(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || (value as ErasureEntry).format !== ERASURE_FORMAT) return [`entry is not a ${ERASURE_FORMAT} object`];
  const entry = value as ErasureEntry;
  const errors: string[] = [];
  const ids = entry.facto_ids;
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every(isFactoId)) errors.push('facto_ids must be a non-empty array of facto_ids');
  else if (ids.some((id, index) => index > 0 && ids[index - 1]! >= id)) errors.push('facto_ids must be sorted and without duplicates');
  if (typeof entry.reason !== 'string') errors.push('reason must be a string');
  if (!Number.isSafeInteger(entry.erased_at_unix_ms) || entry.erased_at_unix_ms < 0) errors.push('erased_at_unix_ms must be a non-negative integer');
  if (typeof entry.log_key_id !== 'string' || !KEY_HASH.test(entry.log_key_id)) errors.push('log_key_id must be 8 lowercase hex digits');
  const extra = Object.keys(value).filter((key) => !MEMBERS.includes(key));
  if (extra.length > 0) errors.push(`unexpected member ${JSON.stringify(extra[0])}`);
  return errors;
}

/**
 * Checks an erasure entry (as a parsed object) against the log's key: its shape, that `hash` is its
 * erasure hash, that it names this log key, and the log key's signature over the hash (the rule of
 * section 9). Never throws on what it is given.
 */
export function checkErasureEntry(value: unknown, hash: unknown, signature: unknown, logKey: VerifierKey): ErasureVerdict {
  const errors = shapeErrors(value);
  if (errors.length > 0) return { ok: false, entry: null, errors };
  const entry = value as ErasureEntry;
  if (entry.log_key_id !== toHex(logKey.keyId)) errors.push(`entry names log key ${JSON.stringify(entry.log_key_id)}, not ${toHex(logKey.keyId)}`);
  let computed: Uint8Array | undefined;
  try {
    computed = hashErasureEntry(entry);
  } catch (error) {
    errors.push(`entry cannot be canonicalised: ${(error as Error).message}`);
  }
  if (computed !== undefined && toHex(computed) !== hash) errors.push('hash: the entry does not hash to the stated hash (entry altered)');
  let signatureOk = false;
  try {
    signatureOk = computed !== undefined && typeof signature === 'string' && verify(fromHex(signature, 'signature', 64), computed, logKey.publicKey);
  } catch {
    signatureOk = false;
  }
  if (!signatureOk) errors.push('signature: not a valid log-key signature over the erasure hash');
  return { ok: errors.length === 0, entry, errors };
}

/**
 * Checks a stored or published erasure entry (its JSON text, as the erase receipt and the store hold
 * it) against the log's C2SP verifier key. Text with a duplicate member name is refused.
 */
export function verifyErasureEntry(input: { entryJson: string; hash: string; signature: string }, logVerifierKey: string | VerifierKey): ErasureVerdict {
  let value: unknown;
  try {
    value = parseStrictJson(input.entryJson);
  } catch (error) {
    return { ok: false, entry: null, errors: [`entry is not JSON: ${(error as Error).message}`] };
  }
  const key = typeof logVerifierKey === 'string' ? parseVerifierKey(logVerifierKey) : logVerifierKey;
  return checkErasureEntry(value, input.hash, input.signature, key);
}
