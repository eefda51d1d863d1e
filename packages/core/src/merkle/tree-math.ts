/**
 * Pure tree arithmetic, no hashing. Node (level, index) is the root of the perfect subtree over
 * leaves [index * 2^level, (index + 1) * 2^level). Every subtree the RFC 9162 recursions visit is
 * either such a perfect node or sits on the right edge of the tree, where it splits into a few
 * perfect nodes, so a proof is planned here as lists of perfect nodes that a store can fetch in one
 * read. Sizes run to 2^53, so the code divides and multiplies instead of using 32-bit bit operators.
 */

export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** Leaves [start, end) of the tree. */
export interface LeafRange {
  readonly start: number;
  readonly end: number;
}

/** A tree size or leaf index: an integer in [0, 2^53). */
export function isTreeSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The largest power of two strictly below n, for n >= 2: the split point k of RFC 9162 section 2.1.1. */
export function largestPowerOfTwoBelow(n: number): number {
  if (n <= 2 ** 31) return 2 ** (31 - Math.clz32(n - 1));
  let power = 2 ** 31;
  while (power * 2 < n) power *= 2;
  return power;
}

/** The perfect nodes covering [start, end), left to right (largest first), when start is aligned as in the RFC recursion. */
export function perfectNodes(range: LeafRange): NodeId[] {
  const nodes: NodeId[] = [];
  let position = range.start;
  let remaining = range.end - range.start;
  if (remaining <= 0) return nodes;
  let level = floorLog2(remaining);
  for (let width = 2 ** level; remaining > 0; width /= 2, level--) {
    if (remaining >= width) {
      nodes.push({ level, index: position / width });
      position += width;
      remaining -= width;
    }
  }
  return nodes;
}

function floorLog2(n: number): number {
  if (n < 2 ** 32) return 31 - Math.clz32(n);
  let level = 32;
  while (2 ** (level + 1) <= n) level++;
  return level;
}

/**
 * The subtrees whose hashes form PATH(index, D[0:size]) (RFC 9162 section 2.1.3.1), in proof order:
 * the sibling nearest the leaf first.
 */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  const topDown: LeafRange[] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const split = start + largestPowerOfTwoBelow(end - start);
    if (index < split) {
      topDown.push({ start: split, end });
      end = split;
    } else {
      topDown.push({ start, end: split });
      start = split;
    }
  }
  return topDown.reverse();
}

/**
 * The subtrees whose hashes form PROOF(size1, D[0:size2]) = SUBPROOF(size1, D[0:size2], true)
 * (RFC 9162 section 2.1.4.1), in proof order. Requires 0 < size1 < size2.
 */
export function consistencyRanges(size1: number, size2: number): LeafRange[] {
  const topDown: LeafRange[] = [];
  let start = 0;
  let end = size2;
  // SUBPROOF's flag b: true while the old tree's root is itself a node of the new tree's path.
  let oldRootIsNode = true;
  // The old tree's right edge stays at size1 while [start, end) narrows around it.
  while (end !== size1) {
    const split = start + largestPowerOfTwoBelow(end - start);
    if (size1 <= split) {
      topDown.push({ start: split, end });
      end = split;
    } else {
      topDown.push({ start, end: split });
      start = split;
      oldRootIsNode = false;
    }
  }
  // SUBPROOF(m, D[m], false) = {MTH(D[m])}; with b true the verifier already holds that hash.
  if (!oldRootIsNode) topDown.push({ start, end });
  return topDown.reverse();
}
