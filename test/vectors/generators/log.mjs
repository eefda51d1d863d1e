/**
 * Log vectors (docs/spec.md section 11): the collector's Merkle log, which is RFC 9162's tree with
 * SHA3-256 in place of SHA-256, so the published RFC 6962 vectors cannot check it; and its C2SP
 * checkpoints. Every value comes from @facto/core's public API, and every verdict is the one the
 * reference verifiers (verifyInclusion, verifyConsistency, openCheckpoint) reach: the generator
 * refuses to write a case whose verdict differs from the one it was written to show.
 */
import {
  consistencyProofFromLeafHashes, emptyRoot, encodeVerifierKey, fromBase64, fromHex, getPublicKey, hashChildren, hashLeaf, inclusionProofFromLeafHashes, noteKeyId,
  openCheckpoint, parseVerifierKey, rootFromLeafHashes, sha256, sha3_256, signCheckpoint, signNote, formatCheckpoint, toBase64, toHex, utf8,
  verifyConsistency, verifyInclusion,
} from '@facto/core';

const LOG_PRIVATE_KEY = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'); // RFC 8032 7.1 TEST 2, the log key of bundles.json too
const OTHER_PRIVATE_KEY = fromHex('c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7'); // RFC 8032 7.1 TEST 3
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LEAF_COUNT = 100;
const ROOT_SIZES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 13, 16, 31, 32, 33, 64, 99, 100];

/** A copy of `bytes` with the lowest bit of byte `at` flipped. */
const flipped = (bytes, at = 0) => {
  const copy = bytes.slice();
  copy[at] ^= 1;
  return copy;
};
const must = (name, actual, expected) => {
  if (actual !== expected) throw new Error(`log vectors: the reference code says ${actual} for "${name}", the vector was written to show ${expected}`);
};

function merkle() {
  const data = Array.from({ length: LEAF_COUNT }, (_, index) => sha3_256(utf8(String(index))));
  const leafHashes = data.map((item) => hashLeaf(item));
  const root = (size) => rootFromLeafHashes(leafHashes.slice(0, size));

  const inclusion = [];
  const addInclusion = (name, { index, size, leafHash = leafHashes[index], proof, treeSize = size, at = index }, valid) => {
    const check = { leafHash, index: at, treeSize, proof: proof ?? inclusionProofFromLeafHashes(index, leafHashes.slice(0, size)), root: root(size) };
    must(name, verifyInclusion(check), valid);
    inclusion.push({ name, leaf_index: check.index, tree_size: check.treeSize, leaf_hash: toHex(check.leafHash), proof: check.proof.map(toHex), root: toHex(check.root), valid });
  };
  const proofOf = (index, size) => inclusionProofFromLeafHashes(index, leafHashes.slice(0, size));
  for (const [index, size, edge] of [
    [0, 1, 'size 1: the root is the leaf hash, the proof is empty'], [0, 2, 'first of two'], [1, 2, 'last of two'], [2, 3, 'last leaf, alone on the right edge'],
    [0, 8, 'first leaf, size a power of two'], [5, 8, 'inside a size that is a power of two'], [7, 8, 'last leaf, size a power of two'], [3, 7, 'middle of an unbalanced tree'],
    [6, 7, 'last leaf of an unbalanced tree'], [8, 13, 'first leaf of the right subtree'], [12, 13, 'last leaf, alone on the right edge'], [31, 32, 'last leaf, size 32'],
    [32, 33, 'last leaf, one past a power of two: a proof of one hash'], [63, 64, 'last leaf, size 64'], [64, 100, 'first leaf after the largest perfect subtree'], [99, 100, 'last leaf'],
  ]) addInclusion(`leaf ${index} of ${size}: ${edge}`, { index, size }, true);
  addInclusion('leaf 5 of 8, its proof checked at index 4', { index: 5, size: 8, at: 4 }, false);
  addInclusion('leaf 5 of 8, one proof hash with a bit flipped', { index: 5, size: 8, proof: proofOf(5, 8).map((node, at) => (at === 1 ? flipped(node) : node)) }, false);
  addInclusion('leaf 12 of 13, the proof with one hash too many', { index: 12, size: 13, proof: [...proofOf(12, 13), leafHashes[0]] }, false);
  addInclusion('leaf 12 of 13, the proof without its last hash', { index: 12, size: 13, proof: proofOf(12, 13).slice(0, -1) }, false);
  addInclusion('leaf 5 of 8, checked with tree size 6 and the root of 8', { index: 5, size: 8, treeSize: 6 }, false);
  // Not a failure: sizes 7 and 8 give leaf 5's path the same shape, so the proof cannot tell them apart.
  addInclusion('leaf 5 of 8, checked with tree size 7 and the root of 8: verifies (same path shape); size and root must come from one checkpoint', { index: 5, size: 8, treeSize: 7 }, true);
  addInclusion('index equal to the tree size (leaf 7 of 7 does not exist)', { index: 6, size: 7, at: 7 }, false);
  addInclusion('leaf 3 of 8, the leaf data d given in place of its leaf hash H(0x00 || d)', { index: 3, size: 8, leafHash: data[3] }, false);
  addInclusion('leaf 0 of 1 with a non-empty proof', { index: 0, size: 1, proof: [leafHashes[1]] }, false);

  const consistency = [];
  const addConsistency = (name, { size1, size2, proof, root1 = root(size1), root2 = root(size2) }, valid) => {
    const check = { size1, size2, proof: proof ?? consistencyProofFromLeafHashes(size1, leafHashes.slice(0, size2)), root1, root2 };
    must(name, verifyConsistency(check), valid);
    consistency.push({ name, size1, size2, root1: toHex(root1), root2: toHex(root2), proof: check.proof.map(toHex), valid });
  };
  const consistencyOf = (size1, size2) => consistencyProofFromLeafHashes(size1, leafHashes.slice(0, size2));
  for (const [size1, size2, edge] of [
    [0, 0, 'empty to empty'], [0, 1, 'from the empty tree: empty proof, root1 must be H("")'], [0, 8, 'from the empty tree'], [1, 1, 'equal sizes: empty proof, equal roots'],
    [8, 8, 'equal sizes'], [1, 2, 'one leaf to two'], [1, 8, 'from size 1'], [3, 7, 'neither size a power of two'], [4, 8, 'size1 a power of two: root1 is not in the proof'],
    [5, 8, 'to a power of two'], [6, 8, 'to a power of two'], [7, 8, 'one leaf more'], [8, 13, 'from a power of two to an unbalanced tree'],
    [13, 100, 'unbalanced to unbalanced'], [32, 33, 'one past a power of two'], [64, 100, 'from the largest perfect subtree'], [99, 100, 'one leaf more'],
  ]) addConsistency(`from ${size1} to ${size2}: ${edge}`, { size1, size2 }, true);
  addConsistency('from 4 to 8 with root1 put at the front of the proof (the RFC proof omits it for a power of two)', { size1: 4, size2: 8, proof: [root(4), ...consistencyOf(4, 8)] }, false);
  addConsistency('from 3 to 7, one proof hash with a bit flipped', { size1: 3, size2: 7, proof: consistencyOf(3, 7).map((node, at) => (at === 2 ? flipped(node) : node)) }, false);
  addConsistency('from 3 to 7, root1 of another tree (size 4)', { size1: 3, size2: 7, proof: consistencyOf(3, 7), root1: root(4) }, false);
  addConsistency('from 3 to 7, root2 of another tree (size 8)', { size1: 3, size2: 7, proof: consistencyOf(3, 7), root2: root(8) }, false);
  addConsistency('from 3 to 7, the proof without its last hash', { size1: 3, size2: 7, proof: consistencyOf(3, 7).slice(0, -1) }, false);
  addConsistency('from 8 to 13, the proof with one hash too many', { size1: 8, size2: 13, proof: [...consistencyOf(8, 13), leafHashes[0]] }, false);
  addConsistency('from 0 to 8, a non-empty proof', { size1: 0, size2: 8, proof: consistencyOf(1, 8) }, false);
  addConsistency('from 0 to 8, root1 that is not H("")', { size1: 0, size2: 8, root1: leafHashes[0] }, false);
  addConsistency('equal sizes 8 and 8, different roots', { size1: 8, size2: 8, root2: root(7) }, false);
  addConsistency('equal sizes 8 and 8, a non-empty proof', { size1: 8, size2: 8, proof: [leafHashes[0]] }, false);
  addConsistency('size1 greater than size2 (8 to 5)', { size1: 8, size2: 5, proof: [] }, false);

  return {
    hasher: {
      empty_root: toHex(emptyRoot()),
      nodes: [[0, 1], [2, 3]].map(([left, right]) => ({ left: toHex(leafHashes[left]), right: toHex(leafHashes[right]), hash: toHex(hashChildren(leafHashes[left], leafHashes[right])) })),
    },
    leaves: { data: data.map(toHex), leaf_hashes: leafHashes.map(toHex) },
    roots: ROOT_SIZES.map((size) => ({ size, root: toHex(root(size)) })),
    inclusion,
    consistency,
    root,
  };
}

function checkpoints(root) {
  const publicKey = getPublicKey(LOG_PRIVATE_KEY);
  const origin = `facto.local/${toHex(sha256(publicKey)).slice(0, 8)}`;
  const signer = { name: origin, privateKey: LOG_PRIVATE_KEY };
  const verifierKey = encodeVerifierKey(origin, publicKey);
  const trusted = [parseVerifierKey(verifierKey)];
  const cases = [];
  const add = (name, note, expected, shown = {}) => {
    let verdict;
    try {
      const { checkpoint } = openCheckpoint(note, trusted);
      verdict = { ok: true, checkpoint: { origin: checkpoint.origin, tree_size: checkpoint.treeSize, root_hash: toHex(checkpoint.rootHash), extensions: checkpoint.extensions } };
    } catch (error) {
      verdict = { ok: false, refused: String(error.message).split(':')[0] };
    }
    must(name, verdict.ok ? 'ok' : verdict.refused, expected);
    cases.push({ name, ...shown, note, ...verdict });
  };
  const body = formatCheckpoint({ origin, treeSize: 13, rootHash: root(13) });
  const note = signCheckpoint({ origin, treeSize: 13, rootHash: root(13) }, signer);
  const [signatureLine] = note.slice(body.length + 1).split('\n');
  const signatureBytes = fromBase64(signatureLine.split(' ')[2]);
  const replaceLine = (text, index, line) => text.split('\n').map((item, at) => (at === index ? line : item)).join('\n');
  const signedBody = (text) => signNote(text, [signer]);
  const b64 = (bytes) => toBase64(bytes);

  const signature = { line: signatureLine, key_hash: toHex(signatureBytes.slice(0, 4)), ed25519: toHex(signatureBytes.slice(4)) };
  add('the checkpoint of the 13-leaf tree, signed by the log key', note, 'ok', { body, signature });
  add('the empty tree (size 0, root H(""))', signCheckpoint({ origin, treeSize: 0, rootHash: root(0) }, signer), 'ok');
  add('an extension line after the root hash (accepted and ignored)', signCheckpoint({ origin, treeSize: 13, rootHash: root(13), extensions: ['- facto.vectors extension'] }, signer), 'ok');
  add('cosigned by a key the verifier does not know (that signature is ignored)', signNote(body, [signer, { name: 'witness.example/w1', privateKey: OTHER_PRIVATE_KEY }]), 'ok');
  add('signed by the log key under another origin (the key is trusted, not the name; section 13.1 compares origins)', signCheckpoint({ origin: 'facto.vectors/another-log', treeSize: 13, rootHash: root(13) }, signer), 'ok');
  add('signed by another key under the log key\'s name', signCheckpoint({ origin, treeSize: 13, rootHash: root(13) }, { name: origin, privateKey: OTHER_PRIVATE_KEY }), 'unverified note');
  add('the root hash line replaced after signing (the root of 12)', replaceLine(note, 2, b64(root(12))), 'invalid note signature');
  add('the tree size line replaced after signing', replaceLine(note, 1, '12'), 'invalid note signature');
  add('the origin line replaced after signing', replaceLine(note, 0, 'facto.vectors/another-log'), 'invalid note signature');
  add('one bit of the signature flipped', replaceLine(note, 4, `\u2014 ${origin} ${b64(flipped(signatureBytes, 10))}`), 'invalid note signature');
  add('the key hash in the signature line altered (a key the verifier does not know)', replaceLine(note, 4, `\u2014 ${origin} ${b64(flipped(signatureBytes, 0))}`), 'unverified note');
  add('the signature line starting with a hyphen-minus instead of an em dash', replaceLine(note, 4, signatureLine.replace('\u2014', '-')), 'malformed note');
  add('the signature in base64 without its padding', replaceLine(note, 4, signatureLine.replace(/=+$/, '')), 'malformed note');
  add('the same signature line twice', `${note}${signatureLine}\n`, 'malformed note');
  add('no blank line between the text and the signature', note.replace(`${body}\n`, body), 'malformed note');
  add('the tree size with a leading zero, signed', signedBody(`${origin}\n013\n${b64(root(13))}\n`), 'malformed checkpoint');
  // 32 bytes are 43 base64 digits and '=': the last digit carries 2 bits that must be zero.
  const rootText = b64(root(13));
  const nonCanonical = `${rootText.slice(0, 42)}${BASE64[BASE64.indexOf(rootText[42]) | 1]}=`;
  add('the root hash in base64 with a non-zero unused bit, signed', signedBody(`${origin}\n13\n${nonCanonical}\n`), 'malformed checkpoint');
  add('a root hash of 31 bytes, signed', signedBody(`${origin}\n13\n${b64(root(13).slice(0, 31))}\n`), 'malformed checkpoint');
  add('an empty line after the root hash, signed', signedBody(`${body}\n- facto.vectors extension\n`), 'malformed checkpoint');
  add('no root hash line, signed', signedBody(`${origin}\n13\n`), 'malformed checkpoint');

  return {
    log_key: {
      source: 'RFC 8032 section 7.1 TEST 2',
      private_key: toHex(LOG_PRIVATE_KEY),
      public_key: toHex(publicKey),
      default_origin: origin,
      key_name: origin,
      key_hash: toHex(noteKeyId(origin, publicKey)),
      verifier_key: verifierKey,
    },
    other_key: { source: 'RFC 8032 section 7.1 TEST 3', public_key: toHex(getPublicKey(OTHER_PRIVATE_KEY)) },
    cases,
  };
}

export function generateLog(recordHashes) {
  const { root, ...tree } = merkle();
  return {
    description:
      'Merkle log and checkpoint vectors: see docs/spec.md section 11. The tree is RFC 9162 section 2.1 with H = SHA3-256: leaf hash H(0x00 || d) with d the 32 raw bytes of an entry hash, node H(0x01 || left || right), empty root H(""); every hash here is the lowercase hex of 32 bytes. record_leaves: the leaf hashes of the records.json record hashes. hasher: the empty root and two node hashes. leaves.data[i] = H(ASCII decimal of i): the fixed sequence every root and proof here is over; roots[].root is MTH of its first size leaves. inclusion and consistency: proofs as RFC 9162 sections 2.1.3.1 and 2.1.4.1 order them, with the verdict (valid) a verifier MUST reach; consistency from size 0 and between equal sizes is defined in section 11. checkpoints.cases: notes opened with checkpoints.log_key.verifier_key as the only trusted key; ok is the verdict a verifier MUST reach, checkpoint what it reads when ok, refused the kind of refusal (the prefix of the reference error), for information.',
    generator: 'test/vectors/generate.mjs',
    checked_by: 'test/vectors/vectors.test.ts',
    hash: 'SHA3-256',
    record_leaves: recordHashes.map((hash, index) => ({ source: `records.json cases[${index}].expected.hash`, data: hash, leaf_hash: toHex(hashLeaf(fromHex(hash))) })),
    ...tree,
    checkpoints: checkpoints(root),
  };
}
