/**
 * Reaches node:crypto at run time, without a static import, so @facto/core still loads in browsers,
 * Deno, Bun and edge runtimes. `process.getBuiltinModule` (Node >= 20.16, also Bun and Deno) is a
 * synchronous lookup, which matters because signing runs inside a synchronous OpenTelemetry hook.
 * The interfaces below declare only the slice of node:crypto this folder uses; core compiles with
 * `types: []`, so Node's own typings are deliberately out of reach.
 */

/** An opaque node:crypto KeyObject. */
export interface NodeKeyObject {
  export(options: { format: 'der'; type: 'spki' | 'pkcs8' }): Uint8Array;
}

export interface NodeHash {
  update(data: Uint8Array): NodeHash;
  digest(): Uint8Array;
}

export interface NodeCrypto {
  createHash(algorithm: string): NodeHash;
  /** One-shot digest (Node >= 20.12): no Hash object per call, which matters for 32-byte inputs. */
  hash?(algorithm: string, data: Uint8Array, outputEncoding: 'buffer'): Uint8Array;
  createPrivateKey(options: { key: Uint8Array; format: 'der'; type: 'pkcs8' }): NodeKeyObject;
  createPublicKey(options: { key: Uint8Array; format: 'der'; type: 'spki' } | NodeKeyObject): NodeKeyObject;
  sign(algorithm: null, data: Uint8Array, key: NodeKeyObject): Uint8Array;
  /** With a callback, node:crypto signs on libuv's thread pool, off the calling thread. */
  sign(algorithm: null, data: Uint8Array, key: NodeKeyObject, callback: (error: Error | null, signature: Uint8Array) => void): void;
  verify(algorithm: null, data: Uint8Array, key: NodeKeyObject, signature: Uint8Array): boolean;
}

interface ProcessWithBuiltins {
  getBuiltinModule?: (id: string) => unknown;
}

/** node:crypto when the runtime offers it, otherwise undefined. Looked up on every call, not cached. */
export function loadNodeCrypto(): NodeCrypto | undefined {
  const runtimeProcess = (globalThis as { process?: ProcessWithBuiltins }).process;
  const module = runtimeProcess?.getBuiltinModule?.('node:crypto');
  if (typeof module !== 'object' || module === null) return undefined;
  return module as NodeCrypto;
}
