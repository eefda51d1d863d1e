/**
 * The first step of verifying a bundle (docs/spec.md section 13.1, step 1), shared by verifyBundle
 * and verifyBundleStream so the two cannot drift: the trusted log keys, the checkpoint opened with
 * them, the agent keys trusted and those the bundle carries, and the erasure entries; what every
 * event is then checked against. Problems are appended to `errors`, in the order a reader meets them.
 */
import { fromHex, toHex } from '../bytes.js';
import { InclusionMemo } from '../merkle/index.js';
import { openCheckpoint, parseVerifierKey, type VerifierKey } from '../note/index.js';
import type { BundleKey, Checkpointed } from './types.js';
import type { BundleReport, VerifyBundleOptions } from './verify-bundle.js';
import { verifyBundleErasures, type ErasuresVerdict } from './verify-erasures.js';
import type { EventContext } from './verify-events.js';

export interface OpenedBundle {
  readonly logKeys: VerifierKey[];
  /** Undefined when the checkpoint did not open: then nothing can be compared with it. */
  readonly checkpointed: Checkpointed | undefined;
  readonly checkpoint: BundleReport['checkpoint'];
  readonly context: EventContext;
  readonly erasures: ErasuresVerdict;
}

function toKeyBytes(key: string | Uint8Array): Uint8Array {
  return typeof key === 'string' ? fromHex(key, 'agent public key', 32) : key;
}

export function openBundle(
  bundle: { readonly checkpoint: string; readonly keys?: readonly BundleKey[]; readonly erasures?: unknown },
  options: VerifyBundleOptions,
  errors: string[],
  moreTrusted: Readonly<Record<string, readonly (string | Uint8Array)[]>> = {},
): OpenedBundle {
  const logKeys: VerifierKey[] = [];
  for (const text of typeof options.trustedKeys.log === 'string' ? [options.trustedKeys.log] : options.trustedKeys.log) {
    try {
      logKeys.push(parseVerifierKey(text));
    } catch (error) {
      errors.push(`trusted log key unusable: ${(error as Error).message}`);
    }
  }

  let treeSize = -1;
  let root: Uint8Array | undefined;
  let origin = '';
  try {
    const opened = openCheckpoint(bundle.checkpoint, logKeys);
    treeSize = opened.checkpoint.treeSize;
    root = opened.checkpoint.rootHash;
    origin = opened.checkpoint.origin;
  } catch (error) {
    errors.push(`checkpoint: did not open with the log key, so no inclusion proof, chain statement or manifest could be checked against it: ${(error as Error).message}`);
  }
  const checkpoint = root ? { ok: true, origin, treeSize, rootHash: toHex(root) } : { ok: false };

  const trusted = new Map<string, Uint8Array[]>();
  for (const [agentId, keys] of Object.entries(options.trustedKeys.agents ?? {})) trusted.set(agentId, keys.map(toKeyBytes));
  for (const [agentId, keys] of Object.entries(moreTrusted)) trusted.set(agentId, [...(trusted.get(agentId) ?? []), ...keys.map(toKeyBytes)]);
  const bundleKeys = new Map<string, { agentId: string; publicKey: Uint8Array }>();
  for (const key of bundle.keys ?? []) {
    try {
      bundleKeys.set(key.key_id, { agentId: key.agent_id, publicKey: fromHex(key.public_key, 'public_key', 32) });
    } catch {
      errors.push(`bundle key ${key?.key_id}: malformed public key`);
    }
  }

  const erasures = verifyBundleErasures(bundle.erasures, logKeys, treeSize, root);
  for (const error of erasures.errors) errors.push(error);
  const context = { trusted, bundleKeys, trustBundleKeys: options.trustBundleKeys ?? false, treeSize, root, erasedBy: erasures.erasedBy, inclusionMemo: new InclusionMemo() };
  return { logKeys, checkpointed: root ? { origin, treeSize } : undefined, checkpoint, context, erasures };
}
