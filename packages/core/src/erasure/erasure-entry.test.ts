import { describe, expect, it } from 'vitest';
import { concatBytes, toHex, utf8 } from '../bytes.js';
import { canonicalBytes } from '../canonicalize.js';
import { generateKeyPair, sha3_256 } from '../crypto/index.js';
import { encodeVerifierKey, noteKeyId } from '../note/index.js';
import { createErasureEntry, hashErasureEntry, signErasureEntry, verifyErasureEntry } from './erasure-entry.js';

const logKey = generateKeyPair();
const origin = 'facto.test/log';
const verifierKey = encodeVerifierKey(origin, logKey.publicKey);
const logKeyId = toHex(noteKeyId(origin, logKey.publicKey));
const ID_A = 'ft-00000000-0000-4000-8000-00000000000a';
const ID_B = 'ft-00000000-0000-4000-8000-00000000000b';

function signed() {
  const entry = createErasureEntry({ factoIds: [ID_B, ID_A, ID_B], reason: 'GDPR Art. 17 request #42', erasedAt: 1_750_000_000_000, logKeyId });
  const { entryJson, hash, signature } = signErasureEntry(entry, logKey.privateKey);
  return { entry, entryJson, hash: toHex(hash), signature: toHex(signature) };
}

describe('erasure entries', () => {
  it('sorts and de-duplicates the ids, and hashes D("facto.v1.erasure") || JCS(entry)', () => {
    const { entry, entryJson, hash } = signed();
    expect(entry).toEqual({ format: 'facto.v1.erasure', facto_ids: [ID_A, ID_B], reason: 'GDPR Art. 17 request #42', erased_at_unix_ms: 1_750_000_000_000, log_key_id: logKeyId });
    expect(entryJson).toBe(`{"erased_at_unix_ms":1750000000000,"facto_ids":["${ID_A}","${ID_B}"],"format":"facto.v1.erasure","log_key_id":"${logKeyId}","reason":"GDPR Art. 17 request #42"}`);
    const expected = sha3_256(concatBytes(utf8('facto.v1.erasure'), new Uint8Array([0]), canonicalBytes(entry)));
    expect(hash).toBe(toHex(expected));
    expect(toHex(hashErasureEntry(entry))).toBe(hash);
  });

  it('verifies a signed entry against the log verifier key', () => {
    const { entry, ...stored } = signed();
    expect(verifyErasureEntry(stored, verifierKey)).toEqual({ ok: true, entry, errors: [] });
  });

  it('names what is wrong with an altered entry, a wrong hash, a foreign key or a bad signature', () => {
    const stored = signed();
    const altered = verifyErasureEntry({ ...stored, entryJson: stored.entryJson.replace('#42', '#43') }, verifierKey);
    expect(altered.ok).toBe(false);
    expect(altered.errors).toEqual(['hash: the entry does not hash to the stated hash (entry altered)', 'signature: not a valid log-key signature over the erasure hash']);

    const other = generateKeyPair();
    const foreign = verifyErasureEntry(stored, encodeVerifierKey(origin, other.publicKey));
    expect(foreign.errors).toEqual([expect.stringMatching(/^entry names log key /), 'signature: not a valid log-key signature over the erasure hash']);

    expect(verifyErasureEntry({ ...stored, signature: 'zz' }, verifierKey).errors).toEqual(['signature: not a valid log-key signature over the erasure hash']);
    expect(verifyErasureEntry({ ...stored, entryJson: '{' }, verifierKey)).toEqual({ ok: false, entry: null, errors: [expect.stringMatching(/^entry is not JSON: /)] });
    const twice = stored.entryJson.replace('{"erased_at_unix_ms"', '{"reason":"nothing to see","erased_at_unix_ms"');
    expect(verifyErasureEntry({ ...stored, entryJson: twice }, verifierKey).errors).toEqual([expect.stringMatching(/duplicate member name "reason"/)]);
    expect(verifyErasureEntry({ ...stored, entryJson: '{"format":"facto.v1"}' }, verifierKey).errors).toEqual(['entry is not a facto.v1.erasure object']);
    const unsorted = stored.entryJson.replace(`"${ID_A}","${ID_B}"`, `"${ID_B}","${ID_A}"`);
    expect(verifyErasureEntry({ ...stored, entryJson: unsorted }, verifierKey).errors[0]).toBe('facto_ids must be sorted and without duplicates');
  });

  it('refuses to build an entry without ids, with a malformed id, an empty reason or a bad key id', () => {
    const base = { factoIds: [ID_A], reason: 'r', erasedAt: 1, logKeyId };
    expect(() => createErasureEntry({ ...base, factoIds: [] })).toThrow(/facto_ids must not be empty/);
    expect(() => createErasureEntry({ ...base, factoIds: ['ft-1'] })).toThrow(/"ft-1" is not a facto_id/);
    expect(() => createErasureEntry({ ...base, reason: ' ' })).toThrow(/reason must be a non-empty string/);
    expect(() => createErasureEntry({ ...base, erasedAt: -1 })).toThrow(/erased_at_unix_ms/);
    expect(() => createErasureEntry({ ...base, logKeyId: 'ABCDEF01' })).toThrow(/log_key_id must be 8 lowercase hex digits/);
  });
});
