/**
 * The first step of verifying a bundle (docs/spec.md section 13.1, step 1), shared by verifyBundle
 * and verifyBundleStream so the two cannot drift: the trusted log keys, the checkpoint opened with
 * them, the agent keys trusted and those the bundle carries, and the erasure entries; what every
 * event is then checked against. Problems are appended to `errors`, in the order a reader meets them.
 */
import { equalBytes, fromHex, toHex } from '../bytes.js';
import { InclusionMemo } from '../merkle/index.js';
import { keyId as computeKeyId, parsePublicKey } from '../crypto/index.js';
import { openCheckpoint, parseVerifierKey, type VerifierKey } from '../note/index.js';
import type { BundleKey, Checkpointed } from './types.js';
import type { BundleReport, TrustedKeys, VerifyBundleOptions } from './verify-bundle.js';
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

/**
 * The agent keys a caller trusts may come in any form parsePublicKey reads: the PEM `facto keygen`
 * writes, 64 hex digits, base64, or the 32 bytes. One that is none of these is the caller's mistake,
 * not the bundle's, so the verifiers check them first and throw (a TypeError naming the entry), as
 * they do for a missing trustedKeys, instead of reporting the bundle malformed.
 */
export function checkTrustedAgentKeys(trustedKeys: TrustedKeys, caller: string): void {
  for (const [agentId, keys] of Object.entries(trustedKeys.agents ?? {})) {
    const at = `${caller}: trustedKeys.agents[${JSON.stringify(agentId)}]`;
    if (!Array.isArray(keys)) throw new TypeError(`${at} must be an array of public keys`);
    keys.forEach((key: unknown, index) => {
      try {
        parsePublicKey(key as string | Uint8Array);
      } catch (error) {
        throw new TypeError(`${at}[${index}]: ${(error as Error).message}`);
      }
    });
  }
}

export function openBundle(
  bundle: { readonly checkpoint: string; readonly log_key?: unknown; readonly keys?: readonly BundleKey[]; readonly erasures?: unknown },
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
    const signedBy = logKeys.filter((key) => opened.signatures.some((signature) => signature.verified && signature.name === key.name && equalBytes(signature.keyId, key.keyId)));
    const named = logKeyProblem(bundle.log_key, signedBy);
    if (named !== undefined) errors.push(named);
  } catch (error) {
    errors.push(`checkpoint: did not open with the log key, so no inclusion proof, chain statement or manifest could be checked against it: ${(error as Error).message}`);
  }
  const checkpoint = root ? { ok: true, origin, treeSize, rootHash: toHex(root) } : { ok: false };

  const trusted = new Map<string, Uint8Array[]>();
  for (const [agentId, keys] of Object.entries(options.trustedKeys.agents ?? {})) trusted.set(agentId, keys.map((key) => parsePublicKey(key)));
  for (const [agentId, keys] of Object.entries(moreTrusted)) trusted.set(agentId, [...(trusted.get(agentId) ?? []), ...keys.map((key) => parsePublicKey(key))]);
  const bundleKeys = new Map<string, { agentId: string; publicKey: Uint8Array }>();
  for (const key of bundle.keys ?? []) {
    // An entry that is not an object is reported with the members (bundle-members.ts), once.
    if (typeof key !== 'object' || key === null || Array.isArray(key)) continue;
    let publicKey: Uint8Array;
    try {
      publicKey = fromHex(key.public_key, 'public_key', 32);
    } catch {
      errors.push(`bundle key ${key?.key_id}: malformed public key`);
      continue;
    }
    // Information only, yet never false: an entry whose key_id is not its key's would be an
    // unsigned assertion riding in a bundle reported as verified (section 13, "Members").
    const actual = computeKeyId(publicKey);
    if (key.key_id !== actual) errors.push(`bundle key ${JSON.stringify(key.key_id)}: not the key id of its public_key, which is ${actual} (section 8)`);
    else bundleKeys.set(key.key_id, { agentId: key.agent_id, publicKey });
  }

  const erasures = verifyBundleErasures(bundle.erasures, logKeys, treeSize, root);
  for (const error of erasures.errors) errors.push(error);
  const context = { trusted, bundleKeys, trustBundleKeys: options.trustBundleKeys ?? false, treeSize, root, erasedBy: erasures.erasedBy, inclusionMemo: new InclusionMemo() };
  return { logKeys, checkpointed: root ? { origin, treeSize } : undefined, checkpoint, context, erasures };
}

/**
 * The bundle's `log_key` member against the trusted log keys the checkpoint opened under: it names
 * the key of the log the bundle comes from, so it must be one of them, or it says something false.
 */
function logKeyProblem(logKey: unknown, signedBy: readonly VerifierKey[]): string | undefined {
  if (logKey === undefined) return undefined; // a missing member, reported as one
  let named: VerifierKey;
  try {
    named = parseVerifierKey(logKey as string);
  } catch (error) {
    return `log_key: not a C2SP verifier key: ${(error as Error).message}`;
  }
  if (signedBy.some((key) => key.name === named.name && equalBytes(key.keyId, named.keyId) && equalBytes(key.publicKey, named.publicKey))) return undefined;
  return `log_key: names the key ${JSON.stringify(logKey)}, not the trusted log key the checkpoint is signed with: the member is information only, and here it is false`;
}
