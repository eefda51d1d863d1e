/** The RFC 9162 Merkle tree: public API by name (tree-math and the unchecked hash helpers stay internal). */
export { emptyRoot, hashChildren, hashLeaf, type HashFunction, type MerkleOptions } from './hash.js';
export { MemoryNodeStore, type MemoryNodeStoreOptions } from './memory-node-store.js';
export { type AppendResult, MerkleTree } from './merkle-tree.js';
export type { NodeId, NodeReader, StoredNode } from './node-store.js';
export { type NodeStoreConformanceCase, nodeStoreConformanceCases, type NodeStoreUnderTest } from './node-store-conformance.js';
export { consistencyProof, inclusionProof, rootAt } from './proofs.js';
export { consistencyProofFromLeafHashes, inclusionProofFromLeafHashes, rootFromLeafHashes } from './reference.js';
export { type ConsistencyCheck, type InclusionCheck, InclusionMemo, type InclusionOptions, type InclusionProofInput, rootFromInclusionProof, verifyConsistency, verifyInclusion } from './verify.js';
