import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromBase64, toHex } from '../bytes.js';
import { FactoError } from '../errors.js';
import { getPublicKey } from './crypto-adapter.js';
import { encodeVerifierKey, noteKeyId, parseVerifierKey } from './verifier-key.js';

const vectors = JSON.parse(readFileSync(new URL('./vectors/sumdb-note.json', import.meta.url), 'utf8'));

/** Go's signer key text is PRIVATE+KEY+<name>+<hex8>+base64(0x01 || seed); only the seed matters here. */
function seedFromGoSignerKey(signerKey: string): Uint8Array {
  const encoded = signerKey.split('+').slice(4).join('+');
  const bytes = fromBase64(encoded);
  expect(bytes[0]).toBe(1);
  return bytes.slice(1);
}

describe('verifier keys (golang.org/x/mod/sumdb/note vectors)', () => {
  it('parses the PeterNeumann verifier key and recomputes its key ID', () => {
    const key = parseVerifierKey(vectors.peter.verifierKey);
    expect(key.name).toBe('PeterNeumann');
    expect(toHex(key.keyId)).toBe(vectors.peter.keyIdHex);
    expect(toHex(noteKeyId(key.name, key.publicKey))).toBe('c74f20a3');
    expect(encodeVerifierKey(key.name, key.publicKey)).toBe(vectors.peter.verifierKey);
  });

  it('derives the published verifier key from the published signer key', () => {
    const seed = seedFromGoSignerKey(vectors.peter.signerKey);
    expect(encodeVerifierKey('PeterNeumann', getPublicKey(seed))).toBe(vectors.peter.verifierKey);
  });

  it('parses the EnochRoot key', () => {
    expect(toHex(parseVerifierKey(vectors.enoch.verifierKey).keyId)).toBe(vectors.enoch.keyIdHex);
  });

  it('rejects the invalid keys from the Go tests', () => {
    for (const { key } of vectors.invalidVerifierKeys) {
      expect(() => parseVerifierKey(key)).toThrow(FactoError);
    }
  });

  it('rejects every proper substring and every single-character increment (as Go does)', () => {
    const text: string = vectors.peter.verifierKey;
    for (let start = 0; start <= text.length; start++) {
      for (let end = start + 1; end <= text.length; end++) {
        if (start === 0 && end === text.length) continue;
        expect(() => parseVerifierKey(text.slice(start, end)), text.slice(start, end)).toThrow(FactoError);
      }
    }
    for (let index = 0; index < text.length; index++) {
      const mangled = text.slice(0, index) + String.fromCharCode(text.charCodeAt(index) + 1) + text.slice(index + 1);
      expect(() => parseVerifierKey(mangled), mangled).toThrow(FactoError);
    }
  });

  it('explains what is wrong', () => {
    expect(() => parseVerifierKey('PeterNeumann')).toThrow(/expected <name>\+<key id>\+<base64 key>/);
    expect(() => parseVerifierKey('PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow(/8 lowercase hex/);
    expect(() => parseVerifierKey('Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow(/spaces/);
    expect(() => parseVerifierKey('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow(/does not match/);
    expect(() => parseVerifierKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow(/unsupported signature type 0x65/);
  });

  it('validates names and key lengths when encoding', () => {
    const publicKey = new Uint8Array(32);
    for (const name of ['', 'a+b', 'a b', 'a\u00a0b', 'tab\there', 'line\u2028sep']) {
      expect(() => encodeVerifierKey(name, publicKey), JSON.stringify(name)).toThrow(FactoError);
    }
    expect(() => encodeVerifierKey('ok', new Uint8Array(31))).toThrow(RangeError);
    expect(() => encodeVerifierKey('ok', 'key' as unknown as Uint8Array)).toThrow(TypeError);
    expect(encodeVerifierKey('example.com/log\u{1F600}', publicKey)).toMatch(/^example\.com\/log\u{1F600}\+[0-9a-f]{8}\+AQ/u);
  });
});
