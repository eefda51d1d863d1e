import { afterEach, describe, expect, it, vi } from 'vitest';
import { fromHex, toHex, utf8 } from '../bytes.js';
import { FactoError } from '../errors.js';
import { sign, verify } from './ed25519.js';
import { sha3_256 } from './hash.js';
import { createNobleBackend } from './noble-backend.js';
import { loadNodeCrypto } from './node-crypto.js';
import { getCryptoBackend, useCryptoBackend } from './select-backend.js';

// RFC 8032 section 7.1 TEST 2.
const seed = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb');
const publicKey = fromHex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
const message = fromHex('72');
const signature =
  '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00';

type NodeCryptoModule = typeof import('node:crypto');
const nodeCrypto = process.getBuiltinModule('node:crypto') as NodeCryptoModule;

function withoutBuiltins(): void {
  vi.spyOn(process, 'getBuiltinModule').mockImplementation(() => undefined as never);
}

afterEach(() => {
  vi.restoreAllMocks();
  useCryptoBackend('auto');
});

describe('backend selection', () => {
  it('uses node:crypto by default in Node, for signing, verifying and hashing', () => {
    expect(getCryptoBackend().name).toBe('node');
    const signSpy = vi.spyOn(nodeCrypto, 'sign');
    const verifySpy = vi.spyOn(nodeCrypto, 'verify');
    // The one-shot crypto.hash (Node >= 20.12) when present, else a Hash object.
    const hashSpy = 'hash' in nodeCrypto ? vi.spyOn(nodeCrypto as { hash: (...args: unknown[]) => unknown }, 'hash') : vi.spyOn(nodeCrypto, 'createHash');
    expect(toHex(sign(message, seed))).toBe(signature);
    expect(verify(fromHex(signature), message, publicKey)).toBe(true);
    sha3_256(utf8('abc'));
    expect(signSpy).toHaveBeenCalledTimes(1);
    expect(verifySpy).toHaveBeenCalledTimes(1);
    expect(hashSpy.mock.calls[0]![0]).toBe('sha3-256');
  });

  it("uses noble when forced with useCryptoBackend('noble'), and never touches node:crypto", () => {
    const signSpy = vi.spyOn(nodeCrypto, 'sign');
    // The one-shot crypto.hash (Node >= 20.12) when present, else a Hash object.
    const hashSpy = 'hash' in nodeCrypto ? vi.spyOn(nodeCrypto as { hash: (...args: unknown[]) => unknown }, 'hash') : vi.spyOn(nodeCrypto, 'createHash');
    expect(useCryptoBackend('noble').name).toBe('noble');
    expect(getCryptoBackend().name).toBe('noble');
    expect(toHex(sign(message, seed))).toBe(signature);
    expect(verify(fromHex(signature), message, publicKey)).toBe(true);
    sha3_256(utf8('abc'));
    expect(signSpy).not.toHaveBeenCalled();
    expect(hashSpy).not.toHaveBeenCalled();
  });

  it("'auto' falls back to noble when process.getBuiltinModule gives nothing", () => {
    withoutBuiltins();
    expect(loadNodeCrypto()).toBeUndefined();
    expect(useCryptoBackend('auto').name).toBe('noble');
    expect(toHex(sign(message, seed))).toBe(signature);
    expect(verify(fromHex(signature), message, publicKey)).toBe(true);
  });

  it('the noble backend works with no process global at all', () => {
    vi.stubGlobal('process', undefined);
    try {
      expect(loadNodeCrypto()).toBeUndefined();
      const noble = createNobleBackend();
      expect(toHex(noble.sign(message, seed))).toBe(signature);
      expect(noble.verify(fromHex(signature), message, publicKey)).toBe(true);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("'node' throws a clear FactoError when node:crypto is absent, and keeps the previous backend", () => {
    useCryptoBackend('noble');
    withoutBuiltins();
    expect(() => useCryptoBackend('node')).toThrow(FactoError);
    expect(() => useCryptoBackend('node')).toThrow(/node:crypto/);
    expect(getCryptoBackend().name).toBe('noble');
  });

  it('does not pick a node:crypto that fails its self-test (no SHA3-256, say)', () => {
    const broken = {
      ...nodeCrypto,
      createHash(algorithm: string) {
        if (algorithm === 'sha3-256') throw new Error('Digest method not supported');
        return nodeCrypto.createHash(algorithm);
      },
      hash(algorithm: string, data: Uint8Array, encoding: 'buffer') {
        if (algorithm === 'sha3-256') throw new Error('Digest method not supported');
        return (nodeCrypto as unknown as { hash: (...args: unknown[]) => Uint8Array }).hash(algorithm, data, encoding);
      },
    };
    vi.spyOn(process, 'getBuiltinModule').mockImplementation(() => broken as never);
    expect(useCryptoBackend('auto').name).toBe('noble');
    expect(() => useCryptoBackend('node')).toThrow(/self-test|RFC 8032|SHA3-256/);
  });

  it('rejects an unknown choice', () => {
    expect(() => useCryptoBackend('webcrypto' as 'auto')).toThrow(FactoError);
  });
});
