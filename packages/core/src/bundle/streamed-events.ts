/**
 * What a streaming bundle verifier keeps of each event once it has been checked: the few facts the
 * checks across events need (duplicates, chains, the manifest's counts), packed in typed arrays at
 * about 120 bytes an event instead of the event itself (a few kilobytes). Values in the usual shape
 * (64 hex digits, a facto_id, an integer leaf index) are stored as bytes or numbers; anything else
 * (which can only fail verification) goes to a side map and is compared as verifyBundle compares it.
 */
import { chainKey } from '../chain/verify-chains.js';
import type { BundleEvent } from './types.js';
import { sameEventError } from './bundle-members.js';
import { isReadableRecord, type EventVerdict } from './verify-events.js';

const HASH_HEX = /^[0-9a-f]{64}$/;
const FACTO_ID = /^ft-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * How one identity of one event is held: not at all (the member is absent, or the event is not an
 * object), packed, or in the side map (compared by SameValueZero, as a Map key is).
 */
export const Held = { None: 0, Packed: 1, Other: 2 } as const;

type OtherKind = 'hash' | 'leaf' | 'facto_id' | 'prev_hash';

/** Lowercase hex digits (already checked) into bytes. */
function hexInto(target: Uint8Array, offset: number, hex: string): void {
  const digit = (code: number) => (code <= 0x39 ? code - 0x30 : code - 0x57);
  for (let index = 0; index < hex.length / 2; index++) target[offset + index] = (digit(hex.charCodeAt(index * 2)) << 4) | digit(hex.charCodeAt(index * 2 + 1));
}

/** Growable packed columns: `width` bytes per event. */
class ByteColumn {
  bytes: Uint8Array;
  constructor(readonly width: number) {
    this.bytes = new Uint8Array(width * 1024);
  }
  ensure(count: number): void {
    if (count * this.width <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(count * this.width, this.bytes.length * 2));
    grown.set(this.bytes);
    this.bytes = grown;
  }
  equal(left: number, right: number): boolean {
    const { bytes, width } = this;
    for (let index = 0; index < width; index++) if (bytes[left * width + index] !== bytes[right * width + index]) return false;
    return true;
  }
  /** FNV-1a over the value, for the duplicate table. */
  digest(row: number): number {
    let hash = 0x811c9dc5;
    for (let index = 0; index < this.width; index++) hash = Math.imul(hash ^ this.bytes[row * this.width + index]!, 0x01000193);
    return hash >>> 0;
  }
}

function grow<T extends Float64Array | Int32Array | Uint8Array>(array: T, count: number, make: (length: number) => T): T {
  if (count <= array.length) return array;
  const grown = make(Math.max(count, array.length * 2));
  grown.set(array);
  return grown;
}

export interface ChainMember {
  readonly agentId: string;
  readonly chainId: string;
}

export class StreamedEvents {
  count = 0;
  // Identities checked for duplicates (verifyBundle's "the same event"): stated hash, facto_id, leaf index.
  readonly hash = new ByteColumn(32);
  hashHeld = new Uint8Array(1024);
  readonly factoId = new ByteColumn(16);
  factoIdHeld = new Uint8Array(1024);
  leaf = new Float64Array(1024);
  leafHeld = new Uint8Array(1024);
  readonly others = new Map<string, unknown>();
  // Chain facts, for events whose record hashes to their stated hash (the events chains are judged on).
  chain = new Int32Array(1024);
  seq = new Float64Array(1024);
  dropped = new Float64Array(1024);
  readonly prevHash = new ByteColumn(32);
  prevHashHeld = new Uint8Array(1024);
  /** Chains in the order their first hash-verified event came. */
  readonly chains: ChainMember[] = [];
  readonly #chainIndex = new Map<string, number>();
  // The manifest counts distinct seqs per chain over every event with a well-formed record.
  recordChain = new Int32Array(1024);
  readonly recordChains: ChainMember[] = [];
  readonly #recordChainIndex = new Map<string, number>();

  #ensure(count: number): void {
    if (count <= this.leaf.length) {
      return;
    }
    const bytes = (length: number) => new Uint8Array(length);
    const floats = (length: number) => new Float64Array(length);
    const ints = (length: number) => new Int32Array(length);
    this.hashHeld = grow(this.hashHeld, count, bytes);
    this.factoIdHeld = grow(this.factoIdHeld, count, bytes);
    this.leaf = grow(this.leaf, count, floats);
    this.leafHeld = grow(this.leafHeld, count, bytes);
    this.chain = grow(this.chain, count, ints);
    this.seq = grow(this.seq, count, floats);
    this.dropped = grow(this.dropped, count, floats);
    this.prevHashHeld = grow(this.prevHashHeld, count, bytes);
    this.recordChain = grow(this.recordChain, count, ints);
  }

  /** Records one event (as parsed) with the verdict verifyEvent gave it. */
  add(event: unknown, verdict: EventVerdict): void {
    const row = this.count++;
    this.#ensure(this.count);
    for (const column of [this.hash, this.factoId, this.prevHash]) column.ensure(this.count);
    this.hashHeld[row] = Held.None;
    this.factoIdHeld[row] = Held.None;
    this.leafHeld[row] = Held.None;
    this.prevHashHeld[row] = Held.None;
    this.chain[row] = -1;
    this.recordChain[row] = -1;
    if (typeof event !== 'object' || event === null) return;
    const { hash, leaf_index: leafIndex, record } = event as BundleEvent;

    if (typeof hash === 'string' && HASH_HEX.test(hash)) {
      hexInto(this.hash.bytes, row * 32, hash);
      this.hashHeld[row] = Held.Packed;
    } else if (hash !== undefined) this.#other('hash', row, hash);

    if (Number.isSafeInteger(leafIndex) && leafIndex >= 0) {
      this.leaf[row] = leafIndex;
      this.leafHeld[row] = Held.Packed;
    } else if (leafIndex !== undefined) this.#other('leaf', row, leafIndex);

    // A record that hashed to its stated hash passed isReadableRecord in verifyEvent; others are checked here.
    if (!verdict.hash && !isReadableRecord(record)) return;
    if (FACTO_ID.test(record.facto_id)) {
      hexInto(this.factoId.bytes, row * 16, record.facto_id.slice(3).replaceAll('-', ''));
      this.factoIdHeld[row] = Held.Packed;
    } else this.#other('facto_id', row, record.facto_id);
    this.seq[row] = record.seq;
    this.recordChain[row] = this.#indexOf(this.#recordChainIndex, this.recordChains, record);

    // verifyBundleChains judges chains on the events whose record hashes to their stated hash.
    if (!verdict.hash || typeof hash !== 'string') return;
    this.chain[row] = this.#indexOf(this.#chainIndex, this.chains, record);
    this.dropped[row] = record.dropped;
    if (HASH_HEX.test(record.prev_hash)) {
      hexInto(this.prevHash.bytes, row * 32, record.prev_hash);
      this.prevHashHeld[row] = Held.Packed;
    } else this.#other('prev_hash', row, record.prev_hash);
  }

  /** A value held aside, by kind and row. */
  other(kind: OtherKind, row: number): unknown {
    return this.others.get(`${kind} ${row}`);
  }

  #other(kind: OtherKind, row: number, value: unknown): void {
    this.others.set(`${kind} ${row}`, value);
    if (kind === 'hash') this.hashHeld[row] = Held.Other;
    else if (kind === 'leaf') this.leafHeld[row] = Held.Other;
    else if (kind === 'facto_id') this.factoIdHeld[row] = Held.Other;
    else this.prevHashHeld[row] = Held.Other;
  }

  #indexOf(index: Map<string, number>, list: ChainMember[], record: { agent_id: string; chain_id: string }): number {
    // Events mostly come chain by chain: the chain added last is the likely one.
    const last = list[list.length - 1];
    if (last !== undefined && last.agentId === record.agent_id && last.chainId === record.chain_id) return list.length - 1;
    const key = chainKey(record.agent_id, record.chain_id);
    let found = index.get(key);
    if (found === undefined) {
      found = list.length;
      list.push({ agentId: record.agent_id, chainId: record.chain_id });
      index.set(key, found);
    }
    return found;
  }

  /** The stated hash of a row whose record hashed to it (always packed then), as hex. */
  hashHex(row: number): string {
    let hex = '';
    for (let index = 0; index < 32; index++) hex += this.hash.bytes[row * 32 + index]!.toString(16).padStart(2, '0');
    return hex;
  }

  /**
   * verifyBundle's duplicate check: a second event with the same stated hash, facto_id or leaf index
   * as an earlier one, reported as it does, in event order, hash before facto_id before leaf.
   */
  duplicateErrors(): string[] {
    const found: { row: number; kind: number; first: number }[] = [];
    const kinds: { name: 'hash' | 'facto_id' | 'leaf index'; held: Uint8Array; otherKey: OtherKind; equal: (left: number, right: number) => boolean; digest: (row: number) => number }[] = [
      { name: 'hash', held: this.hashHeld, otherKey: 'hash', equal: (left, right) => this.hash.equal(left, right), digest: (row) => this.hash.digest(row) },
      { name: 'facto_id', held: this.factoIdHeld, otherKey: 'facto_id', equal: (left, right) => this.factoId.equal(left, right), digest: (row) => this.factoId.digest(row) },
      { name: 'leaf index', held: this.leafHeld, otherKey: 'leaf', equal: (left, right) => this.leaf[left] === this.leaf[right], digest: (row) => (Math.imul(this.leaf[row]! | 0, 0x9e3779b1) ^ Math.floor(this.leaf[row]! / 2 ** 32)) >>> 0 },
    ];
    kinds.forEach(({ held, otherKey, equal, digest }, kind) => {
      const slots = new Int32Array(2 ** Math.ceil(Math.log2(this.count * 2 + 2))).fill(-1);
      const mask = slots.length - 1;
      const others = new Map<unknown, number>();
      for (let row = 0; row < this.count; row++) {
        if (held[row] === Held.Other) {
          const value = this.other(otherKey, row);
          // verifyBundle keys a Map by the value itself: an object is only ever equal to itself.
          const first = others.get(value);
          if (first !== undefined && (typeof value !== 'object' || value === null)) found.push({ row, kind, first });
          else if (first === undefined) others.set(value, row);
          continue;
        }
        if (held[row] !== Held.Packed) continue;
        for (let slot = digest(row) & mask; ; slot = (slot + 1) & mask) {
          const occupant = slots[slot]!;
          if (occupant === -1) {
            slots[slot] = row;
            break;
          }
          if (equal(occupant, row)) {
            found.push({ row, kind, first: occupant });
            break;
          }
        }
      }
    });
    found.sort((left, right) => left.row - right.row || left.kind - right.kind);
    const messages = found.map(({ row, kind, first }) => sameEventError(first, row, kinds[kind]!.name));
    return [...new Set(messages)];
  }

  /** Rows grouped by `column` (chain or record chain), each group in event order. */
  groupRows(column: Int32Array, groups: number): Uint32Array[] {
    const sizes = new Uint32Array(groups);
    for (let row = 0; row < this.count; row++) if (column[row]! >= 0) sizes[column[row]!]!++;
    const lists = Array.from(sizes, (size) => new Uint32Array(size));
    const filled = new Uint32Array(groups);
    for (let row = 0; row < this.count; row++) {
      const group = column[row]!;
      if (group >= 0) lists[group]![filled[group]!++] = row;
    }
    return lists;
  }

  /** The manifest's view: per chain of well-formed records (first-seen order), its number of distinct seqs. */
  distinctSeqsPerRecordChain(): { key: string; count: number }[] {
    return this.groupRows(this.recordChain, this.recordChains.length).map((rows, group) => {
      const seqs = Float64Array.from(rows, (row) => this.seq[row]!).sort();
      let count = 0;
      for (let index = 0; index < seqs.length; index++) if (index === 0 || seqs[index] !== seqs[index - 1]) count++;
      const member = this.recordChains[group]!;
      return { key: JSON.stringify([member.agentId, member.chainId]), count };
    });
  }
}
