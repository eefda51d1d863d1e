import * as nodeCrypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, toBase64, toHex } from '../bytes.js';
import { FactoError } from '../errors.js';
import { generateKeyPair, getPublicKey } from './ed25519.js';
import { parsePrivateKey, parsePublicKey, privateKeyToPem, publicKeyToPem } from './key-format.js';

// RFC 8410 section 10.3 (example Ed25519 private key) and section 10.1 (its public key).
const RFC8410_PRIVATE_PEM = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n';
const RFC8410_SEED = 'd4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842';
const RFC8410_PUBLIC_PEM = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n';
// RFC 8410 section 10.3's second example: PKCS#8 v2 with an attribute and the public key. Outside
// the fixed form Facto reads.
const RFC8410_PRIVATE_V2_PEM =
  '-----BEGIN PRIVATE KEY-----\nMHICAQEwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\noB8wHQYKKoZIhvcNAQkJFDEPDA1DdXJkbGUgQ2hhaXJzgSEAGb9ECWmEzf6FQbrB\nZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PRIVATE KEY-----\n';

const { privateKey, publicKey } = generateKeyPair();

function formatError(run: () => unknown): FactoError {
  try {
    run();
  } catch (error) {
    expect(FactoError.isInstance(error)).toBe(true);
    expect((error as FactoError).code).toBe('key_format');
    return error as FactoError;
  }
  throw new Error('expected a key_format error');
}

describe('PEM', () => {
  it('round-trips private and public keys', () => {
    expect(parsePrivateKey(privateKeyToPem(privateKey))).toEqual(privateKey);
    expect(parsePublicKey(publicKeyToPem(publicKey))).toEqual(publicKey);
  });

  it('reads the RFC 8410 examples, and writes them back byte for byte', () => {
    const seed = parsePrivateKey(RFC8410_PRIVATE_PEM);
    expect(toHex(seed)).toBe(RFC8410_SEED);
    expect(parsePublicKey(RFC8410_PUBLIC_PEM)).toEqual(getPublicKey(seed));
    expect(privateKeyToPem(seed)).toBe(RFC8410_PRIVATE_PEM);
    expect(publicKeyToPem(getPublicKey(seed))).toBe(RFC8410_PUBLIC_PEM);
  });

  it('matches what node:crypto (OpenSSL) writes and reads', () => {
    const keyObject = nodeCrypto.createPrivateKey(privateKeyToPem(privateKey));
    expect(keyObject.export({ format: 'pem', type: 'pkcs8' })).toBe(privateKeyToPem(privateKey));
    expect(nodeCrypto.createPublicKey(keyObject).export({ format: 'pem', type: 'spki' })).toBe(publicKeyToPem(publicKey));
    const generated = nodeCrypto.generateKeyPairSync('ed25519');
    const seed = parsePrivateKey(generated.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    expect(toBase64(seed)).toBe(
      Buffer.from(generated.privateKey.export({ format: 'jwk' }).d!, 'base64url').toString('base64'),
    );
    expect(parsePublicKey(generated.publicKey.export({ format: 'pem', type: 'spki' }) as string)).toEqual(getPublicKey(seed));
  });

  it('tolerates CRLF line ends and surrounding whitespace', () => {
    const pem = `\n  ${privateKeyToPem(privateKey).replace(/\n/g, '\r\n')}  \n`;
    expect(parsePrivateKey(pem)).toEqual(privateKey);
  });

  it('throws TypeError / RangeError when writing a key of the wrong type or length', () => {
    expect(() => privateKeyToPem('00' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => privateKeyToPem(new Uint8Array(31))).toThrow(RangeError);
    expect(() => publicKeyToPem(new Uint8Array(64))).toThrow(RangeError);
  });
});

describe('other input forms', () => {
  it.each([
    ['base64', () => toBase64(privateKey)],
    ['lowercase hex', () => toHex(privateKey)],
    ['uppercase hex', () => toHex(privateKey).toUpperCase()],
    ['hex with a trailing newline', () => `${toHex(privateKey)}\n`],
    ['raw bytes', () => privateKey],
  ])('parsePrivateKey reads %s', (_, input) => {
    expect(parsePrivateKey(input())).toEqual(privateKey);
  });

  it.each([
    ['base64', () => toBase64(publicKey)],
    ['hex', () => toHex(publicKey)],
    ['raw bytes', () => publicKey],
  ])('parsePublicKey reads %s', (_, input) => {
    expect(parsePublicKey(input())).toEqual(publicKey);
  });

  it('returns a copy, not the caller’s array', () => {
    const parsed = parsePrivateKey(privateKey);
    expect(parsed).not.toBe(privateKey);
  });

  it('throws TypeError for input that is neither a string nor bytes', () => {
    expect(() => parsePrivateKey(42 as unknown as string)).toThrow(TypeError);
    expect(() => parsePublicKey([...publicKey] as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('parse errors', () => {
  const privatePem = privateKeyToPem(privateKey);
  const publicPem = publicKeyToPem(publicKey);
  const privateBody = privatePem.split('\n')[1]!;
  const secrets = [toHex(privateKey), toHex(privateKey).toUpperCase(), toBase64(privateKey), privateBody, toBase64(privateKey).slice(0, 20)];

  const privateCases: [string, string | Uint8Array][] = [
    ['a truncated PEM body', privatePem.replace(privateBody, privateBody.slice(0, 40))],
    ['a PEM without its END line', privatePem.split('-----END')[0]!],
    ['a PEM with mismatched labels', privatePem.replace('END PRIVATE KEY', 'END PUBLIC KEY')],
    ['a public key PEM', publicPem],
    ['an encrypted private key PEM', privatePem.replace(/PRIVATE KEY/g, 'ENCRYPTED PRIVATE KEY')],
    ['a PKCS#8 v2 PEM (RFC 8410 section 10.3, with attribute)', RFC8410_PRIVATE_V2_PEM],
    ['31 raw bytes', privateKey.subarray(0, 31)],
    ['64 raw bytes (seed and public key)', new Uint8Array([...privateKey, ...publicKey])],
    ['62 hex digits', toHex(privateKey).slice(2)],
    ['66 hex digits', `${toHex(privateKey)}00`],
    ['base64 of 31 bytes', toBase64(privateKey.subarray(0, 31))],
    ['base64 of 33 bytes', toBase64(new Uint8Array([...privateKey, 0]))],
    ['unpadded base64', toBase64(privateKey).replace('=', '')],
    ['an empty string', ''],
    ['the seed with a stray character', `${toHex(privateKey)}x`],
  ];

  it.each(privateCases)('parsePrivateKey rejects %s with key_format, without echoing the key', (_, input) => {
    const error = formatError(() => parsePrivateKey(input));
    expect(error.message).toMatch(/private key/);
    for (const secret of secrets) expect(error.message).not.toContain(secret);
  });

  it('says what was expected', () => {
    expect(formatError(() => parsePrivateKey('nonsense')).message).toMatch(/PKCS#8 PEM .*base64 .*hex .*32 raw bytes/);
    expect(formatError(() => parsePrivateKey(publicPem)).message).toContain('must be "PRIVATE KEY", got "PUBLIC KEY"');
    expect(formatError(() => parsePrivateKey(privateKey.subarray(0, 31))).message).toContain('got 31 raw bytes');
  });

  it.each([
    ['a private key PEM', privatePem],
    ['a truncated PEM', publicPem.slice(0, 60)],
    ['33 raw bytes', new Uint8Array(33)],
    ['the all-zero key (a small-order point)', new Uint8Array(32)],
    ['the identity point', fromHex('0100000000000000000000000000000000000000000000000000000000000000')],
    ['bytes that are not a curve point', fromHex('0200000000000000000000000000000000000000000000000000000000000000')],
  ])('parsePublicKey rejects %s with key_format', (_, input) => {
    const error = formatError(() => parsePublicKey(input));
    expect(error.message).toMatch(/public key/);
    for (const secret of secrets) expect(error.message).not.toContain(secret);
  });
});
