/**
 * The contract every crypto backend fulfils. Two exist: node:crypto (fast, Node and compatible
 * runtimes) and noble (pure JS, everywhere). They must be interchangeable byte for byte: the same
 * digests, the same deterministic Ed25519 signatures, and the same verdict on every signature under
 * the rule in verification-rule.ts. Every required method is synchronous, because signing runs
 * inside a synchronous OpenTelemetry hook; signOffThread is the one asynchronous, optional one.
 */
export type CryptoBackendName = 'node' | 'noble';

export interface CryptoBackend {
  readonly name: CryptoBackendName;
  sha3_256(data: Uint8Array): Uint8Array;
  sha256(data: Uint8Array): Uint8Array;
  /** The 32-byte public key of a 32-byte seed. TypeError / RangeError on a wrong type or length. */
  getPublicKey(privateKey: Uint8Array): Uint8Array;
  /** A 64-byte RFC 8032 signature. TypeError / RangeError on a wrong type or key length. */
  sign(message: Uint8Array, privateKey: Uint8Array): Uint8Array;
  /**
   * The same signature, computed off the calling thread where the backend can (node:crypto on
   * libuv's thread pool); absent where it cannot. Rejects where sign throws.
   */
  signOffThread?(message: Uint8Array, privateKey: Uint8Array): Promise<Uint8Array>;
  /**
   * The facto.v1 verdict (see verification-rule.ts). TypeError when an argument is not a Uint8Array;
   * otherwise never throws: wrong lengths, malformed keys and bad signatures all give false.
   */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}
