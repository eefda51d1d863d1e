/**
 * @facto/core: the facto.v1 signed record, RFC 8785 canonical JSON, SHA3-256 and Ed25519 (node:crypto
 * fast path, @noble portable path), hash chains, the RFC 9162 Merkle log, C2SP checkpoints and
 * evidence bundles. No Node built-ins on the default path: runs in Node, Bun, Deno, browsers, edge.
 */
export { FactoError, type FactoErrorCode } from './errors.js';
export { assertBytes, concatBytes, equalBytes, fromBase64, fromHex, toBase64, toHex, utf8 } from './bytes.js';
export { canonicalize, canonicalBytes } from './canonicalize.js';
export { parseStrictJson } from './strict-json.js';

export {
  createNobleBackend,
  createNodeBackend,
  generateKeyPair,
  getCryptoBackend,
  getPublicKey,
  keyId,
  parsePrivateKey,
  parsePublicKey,
  privateKeyToPem,
  publicKeyToPem,
  sha256,
  sha3_256,
  sign,
  signOffThread,
  useCryptoBackend,
  verify,
  type CryptoBackend,
  type CryptoBackendChoice,
  type CryptoBackendName,
  type Ed25519KeyPair,
} from './crypto/index.js';

export type { AttributePairs, CommittedValue, SpanEventFields, SpanFields, SpanLinkFields, TypedValue } from './record/types.js';
export { ACTION_ATTR, ATTR, DEFAULT_CONTENT_KEYS, DOMAIN, FORMAT, TRANSPORT_KEYS, ZERO_HASH_HEX } from './record/constants.js';
export { assertTypedValue, normalizeAttributeValue, toTypedValue, wellFormed } from './record/typed-value.js';
export { checkDisclosure, commitContent, deriveKeySalt, disclose, generateSalt, SALT_LENGTH, type ContentDisclosure } from './record/content.js';
export { canonicalRecord, createRecord, encodeRecord, hashRecord, isFactoId, type ChainFields, type FactoRecord, type RecordAttributes } from './record/record.js';
export { assertRecord, recordProblem } from './record/record-shape.js';
export { prepareSeal, sealSpan, type ContentCapture, type FactoAttributeValue, type PreparedSeal, type SealedSpan, type SealOptions } from './record/seal.js';
export { isSealed, openSpan, verifyRecordSignature, type OpenedSpan } from './record/open.js';
export { actionTypeOf, clipActionType, MAX_ACTION_TYPE_LENGTH } from './record/action-type.js';

export { chainKey, verifyChains, type ChainEntry, type ChainGap, type ChainReport, type VerifyChainsOptions } from './chain/verify-chains.js';

export {
  consistencyProof,
  consistencyProofFromLeafHashes,
  emptyRoot,
  hashChildren,
  hashLeaf,
  inclusionProof,
  inclusionProofFromLeafHashes,
  InclusionMemo,
  MemoryNodeStore,
  MerkleTree,
  rootAt,
  rootFromInclusionProof,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
  type AppendResult,
  type HashFunction,
  type MerkleOptions,
  type NodeId,
  type NodeReader,
  type StoredNode,
} from './merkle/index.js';

export * from './note/index.js';

export {
  checkErasureEntry,
  createErasureEntry,
  ERASURE_FORMAT,
  hashErasureEntry,
  signErasureEntry,
  verifyErasureEntry,
  type ErasureEntry,
  type ErasureVerdict,
  type SignedErasureEntry,
} from './erasure/erasure-entry.js';

export { BUNDLE_FORMAT, type BundleChain, type BundleErasure, type BundleEvent, type BundleKey, type EvidenceBundle } from './bundle/types.js';
export { formatChainStatement, parseChainStatement, type ChainStatement } from './bundle/chain-statement.js';
export { formatExportManifest, parseExportManifest, type ExportManifest } from './bundle/export-manifest.js';
export {
  parseEvidenceBundle,
  verifyBundle,
  type BundleReport,
  type ChainVerdict,
  type ContentStatus,
  type EventVerdict,
  type KeyTrust,
  type TrustedKeys,
  type VerifyBundleOptions,
} from './bundle/verify-bundle.js';
export {
  verifyBundleStream,
  type BundleSource,
  type StreamedBundleReport,
  type VerifyBundleStreamOptions,
} from './bundle/verify-bundle-stream.js';
