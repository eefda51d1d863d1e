/**
 * The fast backend: node:crypto (OpenSSL), reached at run time through loadNodeCrypto. It signs about
 * ten times faster than pure JS. Keys enter OpenSSL as KeyObjects built from the fixed RFC 8410 DER
 * shapes; building one costs more than a signature, so KeyObjects are cached per key. OpenSSL's own
 * verify accepts public keys that facto.v1 rejects, so the shared rule checks run first.
 */
import { assertBytes, equalBytes, fromHex, toHex } from '../bytes.js';
import { FactoError } from '../errors.js';
import { BoundedCache } from './bounded-cache.js';
import type { CryptoBackend } from './crypto-backend.js';
import { wrapPkcs8Seed, wrapSpki } from './der.js';
import { loadNodeCrypto, type NodeCrypto, type NodeKeyObject } from './node-crypto.js';
import { KEY_LENGTH, passesSharedChecks } from './verification-rule.js';

// Known answers checked once when the backend is created, so a runtime whose node:crypto shim lacks
// SHA3-256 or Ed25519, or gets them wrong, is never picked. RFC 8032 section 7.1 TEST 1 and the
// FIPS 202 example digest of the empty string.
const SELF_TEST_SEED = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const SELF_TEST_PUBLIC_KEY = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
const SELF_TEST_SIGNATURE = fromHex(
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
);
const SELF_TEST_SHA3_256_EMPTY = fromHex('a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a');

/** Throws FactoError when node:crypto is absent or fails its self-test in this runtime. */
export function createNodeBackend(): CryptoBackend {
  const nodeCrypto = loadNodeCrypto();
  if (nodeCrypto === undefined) {
    throw new FactoError(
      'invalid_argument',
      'the node crypto backend needs node:crypto through process.getBuiltinModule (Node >= 20.16), ' +
        'which this runtime does not provide; use the noble backend',
    );
  }
  const backend = buildNodeBackend(nodeCrypto);
  if (!passesSelfTest(backend)) {
    throw new FactoError(
      'invalid_argument',
      'node:crypto in this runtime lacks SHA3-256 or Ed25519, or disagrees with RFC 8032 test vectors; use the noble backend',
    );
  }
  return backend;
}

function buildNodeBackend(nodeCrypto: NodeCrypto): CryptoBackend {
  // Keyed by the key's hex. For private keys that keeps the seed in a string for the cache's life,
  // which the KeyObject (and the caller's own copy) already do; an agent holds one or two keys.
  const privateKeys = new BoundedCache<NodeKeyObject>(64);
  const publicKeys = new BoundedCache<NodeKeyObject>(1024);

  // Copy out of the Buffer, which may be a view into Node's shared pool.
  const digest = nodeCrypto.hash
    ? (algorithm: string, data: Uint8Array): Uint8Array => new Uint8Array(nodeCrypto.hash!(algorithm, data, 'buffer'))
    : (algorithm: string, data: Uint8Array): Uint8Array => new Uint8Array(nodeCrypto.createHash(algorithm).update(data).digest());

  // A signer uses one key for every span: remember the last one by reference (and its bytes, in case
  // the caller reuses the array for another key), which saves the hex conversion on the hot path.
  let lastSeed: Uint8Array | undefined;
  let lastSeedBytes: Uint8Array | undefined;
  let lastKeyObject: NodeKeyObject | undefined;

  function privateKeyObject(seed: Uint8Array): NodeKeyObject {
    if (seed === lastSeed && equalBytes(seed, lastSeedBytes!)) return lastKeyObject!;
    const cacheKey = toHex(seed);
    let keyObject = privateKeys.get(cacheKey);
    if (keyObject === undefined) {
      keyObject = nodeCrypto.createPrivateKey({ key: wrapPkcs8Seed(seed), format: 'der', type: 'pkcs8' });
      privateKeys.set(cacheKey, keyObject);
    }
    lastSeed = seed;
    lastSeedBytes = seed.slice();
    lastKeyObject = keyObject;
    return keyObject;
  }

  function publicKeyObject(publicKey: Uint8Array): NodeKeyObject {
    const cacheKey = toHex(publicKey);
    let keyObject = publicKeys.get(cacheKey);
    if (keyObject === undefined) {
      keyObject = nodeCrypto.createPublicKey({ key: wrapSpki(publicKey), format: 'der', type: 'spki' });
      publicKeys.set(cacheKey, keyObject);
    }
    return keyObject;
  }

  return {
    name: 'node',
    sha3_256: (data) => digest('sha3-256', data),
    sha256: (data) => digest('sha256', data),
    getPublicKey(privateKey) {
      assertBytes(privateKey, 'privateKey', KEY_LENGTH);
      const spki = nodeCrypto.createPublicKey(privateKeyObject(privateKey)).export({ format: 'der', type: 'spki' });
      return new Uint8Array(spki.subarray(spki.length - KEY_LENGTH));
    },
    sign(message, privateKey) {
      assertBytes(message, 'message');
      assertBytes(privateKey, 'privateKey', KEY_LENGTH);
      return new Uint8Array(nodeCrypto.sign(null, message, privateKeyObject(privateKey)));
    },
    signOffThread(message, privateKey) {
      return new Promise((resolve, reject) => {
        assertBytes(message, 'message');
        assertBytes(privateKey, 'privateKey', KEY_LENGTH);
        nodeCrypto.sign(null, message, privateKeyObject(privateKey), (error, signature) => {
          if (error) reject(error);
          else resolve(new Uint8Array(signature));
        });
      });
    },
    verify(signature, message, publicKey) {
      assertBytes(signature, 'signature');
      assertBytes(message, 'message');
      assertBytes(publicKey, 'publicKey');
      // Rule (a) is checked here too, although OpenSSL 3 checks S < L itself: the verdict must not
      // depend on which OpenSSL a Node build links.
      if (!passesSharedChecks(signature, publicKey)) return false;
      try {
        return nodeCrypto.verify(null, message, publicKeyObject(publicKey), signature);
      } catch {
        return false;
      }
    },
  };
}

function passesSelfTest(backend: CryptoBackend): boolean {
  try {
    const publicKey = backend.getPublicKey(SELF_TEST_SEED);
    const signature = backend.sign(new Uint8Array(0), SELF_TEST_SEED);
    return (
      equalBytes(publicKey, SELF_TEST_PUBLIC_KEY) &&
      equalBytes(signature, SELF_TEST_SIGNATURE) &&
      backend.verify(signature, new Uint8Array(0), publicKey) &&
      equalBytes(backend.sha3_256(new Uint8Array(0)), SELF_TEST_SHA3_256_EMPTY) &&
      backend.sha256(new Uint8Array(0)).length === 32
    );
  } catch {
    return false;
  }
}
