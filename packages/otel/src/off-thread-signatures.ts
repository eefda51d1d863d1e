/**
 * Signatures for the deferred export path, computed on libuv's thread pool (core's signOffThread:
 * node:crypto with a callback) instead of the agent's thread. A signature costs about 35 µs in the
 * thread that makes it; handed to the pool it costs that thread about 6 µs (measured), and a batch is
 * signed on every core at once.
 */
import { signOffThread } from '@facto/core';

/**
 * The thread pool is the agent's too (file system, DNS lookups, zlib): a batch of 512 signatures
 * queued at once would hold the agent's own work back by about 4 ms. Sixteen at a time (four per
 * thread of the default pool) bound that to about 0.15 ms, for about 2.5 µs more of the agent's
 * thread per signature than all at once (6.5 against 4, measured).
 */
export const SIGNATURES_IN_FLIGHT = 16;

/**
 * One signature per hash, in order, at most SIGNATURES_IN_FLIGHT at a time; undefined where the pool
 * failed (the caller signs those itself). Never rejects, whatever signOffThread does.
 */
export async function signOnThreadPool(hashes: readonly Uint8Array[], privateKey: Uint8Array): Promise<(Uint8Array | undefined)[]> {
  const signatures = new Array<Uint8Array | undefined>(hashes.length);
  let next = 0;
  const signInTurn = async (): Promise<void> => {
    while (next < hashes.length) {
      const index = next++;
      try {
        signatures[index] = await signOffThread(hashes[index]!, privateKey);
      } catch {
        // Left undefined: signed in the caller's thread.
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SIGNATURES_IN_FLIGHT, hashes.length) }, signInTurn));
  return signatures;
}
