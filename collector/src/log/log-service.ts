/**
 * The log: the sequencer that gives each accepted entry its Merkle leaf index, and the signer of its
 * tree heads. It holds the tree's compact range in memory (O(log n) hashes) and reads persisted nodes
 * only for proofs. Commits are serialised: one batch at a time is sequenced and written in one store
 * transaction; if the write fails the in-memory tree is reloaded from the store, so nothing changes.
 * When several processes share the store (log/shared-sequencing.ts), each commit and checkpoint also
 * runs inside the store's cross-process sequencer lock, and first catches the in-memory tree (and,
 * through `onKeysChanged`, the key registry) up with what other processes committed.
 *
 * It signs only for a log its key signs: before it signs a checkpoint, inside the section that
 * decides it, the latest stored checkpoint must open with its key and origin. Another process may
 * have signed since this one started, and two keys signing one log would each leave the other's
 * evidence unverifiable. Once that check fails the service signs nothing more. The write names the
 * checkpoint that check read (the store's compare-and-swap), so it lands only if no other was stored
 * since: the section's lock lives on one connection and the write runs on another, so losing the
 * lock mid-section must not let a checkpoint decided on a stale read land after another process's.
 */
import {
  consistencyProof,
  formatCheckpoint,
  hashLeaf,
  inclusionProof,
  MerkleTree,
  rootAt,
  signCheckpoint,
  signErasureEntry,
  signNote,
  toHex,
  type ErasureEntry,
  type NoteSigner,
  type SignedErasureEntry,
} from '@facto/core';
import { StoreConflictError } from '../store/errors.js';
import type { Batch, Checkpoint, ForwardBacklog, Store } from '../store/types.js';
import { assertSignedBy, LogKeyMismatchError, type LogKey } from './log-key.js';
import type { SharedSequencing } from './shared-sequencing.js';

/** What a caller contributes to a batch, given the leaf index its first entry will get. */
export type BatchContent = Omit<Batch, 'expectedTreeSize' | 'newTreeSize' | 'nodes'> & {
  /** Leaf data (32-byte entry hashes) in leaf order: events first, then log entries. */
  readonly leaves: readonly Uint8Array[];
};

/** What the sequencer's lane offers a builder besides the first leaf index. */
export interface BatchLane {
  /**
   * On a store other processes share: the forward queue's size read inside the cross-process lock,
   * so that what those processes added and delivered counts (SequencerSection.forwardBacklog).
   * Absent when this process alone writes the store, which then knows the queue by itself.
   */
  readonly sharedForwardBacklog?: () => Promise<ForwardBacklog>;
}

/** Builds a batch inside the sequencer lane; may read the store (nothing else commits meanwhile). */
export type BatchBuilder = (firstLeafIndex: number, lane: BatchLane) => BatchContent | Promise<BatchContent>;

export interface LogServiceOptions {
  /** Set when other collector processes share the store: commits and checkpoints take its lock. */
  readonly shared?: SharedSequencing;
  /** Runs inside the lock when another process changed the key registry since this one last looked. */
  readonly onKeysChanged?: () => Promise<void>;
  /**
   * Called once, after the sequencer lock is released, when the latest checkpoint turns out not to
   * open with this service's key and origin; from then on it signs nothing: checkpoint(), signNote()
   * and signErasureEntry() throw `error`.
   */
  readonly onKeyRefused?: (error: LogKeyMismatchError) => void;
}

/** Commits a batch the way the current lane allows: directly, or inside the shared lock's transaction. */
type CommitBatch = (batch: Batch) => Promise<void>;

export class LogService {
  readonly key: LogKey;
  readonly #store: Store;
  #tree: MerkleTree;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #signer: NoteSigner;
  readonly #options: LogServiceOptions;
  /** True when the in-memory tree may hold leaves that were never committed (a failed write whose reload failed too). */
  #stale = false;
  /** The key registry version this process last loaded (shared stores only). */
  #keysVersion: number | undefined;
  /** Set once the log turned out to be signed by another key: this service signs nothing more. */
  #refusal: LogKeyMismatchError | undefined;
  /**
   * The latest checkpoint's note as last found signed by this key: the same note is not verified
   * again (proof requests reach checkpoint() each time), a different one always is.
   */
  #checkedNote: string | undefined;

  private constructor(store: Store, key: LogKey, tree: MerkleTree, options: LogServiceOptions) {
    this.#store = store;
    this.key = key;
    this.#tree = tree;
    this.#signer = { name: key.origin, privateKey: key.privateKey };
    this.#options = options;
  }

  /** Restores the tree from the store: reads the O(log n) compact range, recomputes nothing else. */
  static async open(store: Store, key: LogKey, options: LogServiceOptions = {}): Promise<LogService> {
    const size = await store.treeSize();
    const tree = await MerkleTree.load(store, size);
    return new LogService(store, key, tree, options);
  }

  get treeSize(): number {
    return this.#tree.size;
  }

  root(): Uint8Array {
    return this.#tree.root();
  }

  /** Runs `task` after every earlier one; the sequencer's single lane. */
  serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Sequences and commits one batch. `build` runs inside the lane with the first leaf index, so the
   * indices it assigns are final and the store state it reads cannot change before the commit.
   * Resolves when the batch is durable. `onFailure` runs inside the lane when the commit fails.
   */
  commit(build: BatchBuilder, onFailure?: () => Promise<void>): Promise<{ firstLeafIndex: number; treeSize: number }> {
    return this.serialize(async () => {
      let firstLeafIndex: number | undefined;
      try {
        return await this.#section(async (commitBatch, lane) => {
          firstLeafIndex = this.#tree.size;
          const { leaves, ...content } = await build(firstLeafIndex, lane);
          const { nodes } = this.#tree.append(leaves.map((leaf) => hashLeaf(leaf)));
          await commitBatch({ ...content, expectedTreeSize: firstLeafIndex, newTreeSize: this.#tree.size, nodes });
          return { firstLeafIndex, treeSize: this.#tree.size };
        });
      } catch (error) {
        // Nothing was written; put the in-memory tree back to what the store holds (a shared store's
        // next section does that under its lock), and let the caller undo its own in-memory
        // decisions before the next batch is sequenced.
        if (firstLeafIndex !== undefined && this.#tree.size !== firstLeafIndex) {
          this.#stale = true;
          if (this.#options.shared === undefined) await this.#reload(await this.#store.treeSize());
        }
        await onFailure?.();
        throw error;
      }
    });
  }

  /**
   * Runs `work` as the sequencer: in this process alone, or inside the shared store's lock after
   * catching up with what other processes committed (tree) and changed (key registry).
   */
  async #section<T>(work: (commitBatch: CommitBatch, lane: BatchLane) => Promise<T>): Promise<T> {
    const { shared, onKeysChanged } = this.#options;
    if (shared === undefined) {
      if (this.#stale) await this.#reload(await this.#store.treeSize());
      return work((batch) => this.#store.commitBatch(batch), {});
    }
    return shared.withSequencerLock(async (section) => {
      if (this.#stale || section.treeSize !== this.#tree.size) await this.#reload(section.treeSize);
      if (section.keysVersion !== this.#keysVersion) {
        await onKeysChanged?.();
        this.#keysVersion = section.keysVersion;
      }
      return work(
        async (batch) => {
          this.#keysVersion = await section.commitBatch(batch);
        },
        { sharedForwardBacklog: () => section.forwardBacklog() },
      );
    });
  }

  /** Brings the in-memory tree up to the stored head, which other processes sharing the store move too. */
  catchUp(): Promise<number> {
    return this.serialize(() => this.#section(async () => this.#tree.size));
  }

  async #reload(treeSize: number): Promise<void> {
    this.#tree = await MerkleTree.load(this.#store, treeSize);
    this.#stale = false;
  }

  inclusionProof(leafIndex: number, treeSize: number): Promise<Uint8Array[]> {
    return inclusionProof(this.#store, leafIndex, treeSize);
  }

  consistencyProof(fromSize: number, toSize: number): Promise<Uint8Array[]> {
    return consistencyProof(this.#store, fromSize, toSize);
  }

  rootAt(treeSize: number): Promise<Uint8Array> {
    return treeSize === this.#tree.size && !this.#stale ? Promise.resolve(this.#tree.root()) : rootAt(this.#store, treeSize);
  }

  /**
   * Signs the current tree head and stores it, unless the latest checkpoint already covers it. Either
   * way the latest checkpoint must open with this key (see the top of this file), or it rejects with
   * LogKeyMismatchError, now and at every later call.
   */
  checkpoint(): Promise<Checkpoint> {
    return this.serialize(async () => {
      if (this.#refusal) throw this.#refusal;
      try {
        // A write refused as decided on a stale read (StoreConflictError) is decided once more in a
        // new section, which reads the head again: the normal case is another process with the same
        // key that signed meanwhile, and its caller should not see the conflict. Twice is an error.
        return await this.#section(() => this.#signHead()).catch((error: unknown) => {
          if (!StoreConflictError.isInstance(error) || this.#options.shared === undefined) throw error;
          return this.#section(() => this.#signHead());
        });
      } catch (error) {
        if (LogKeyMismatchError.isInstance(error) && this.#refusal === undefined) {
          this.#refusal = error;
          this.#options.onKeyRefused?.(error);
        }
        throw error;
      }
    });
  }

  /** One checkpoint decision, inside a sequencer section: check the latest, then sign and store the head over it. */
  async #signHead(): Promise<Checkpoint> {
    const latest = await this.#store.latestCheckpoint();
    if (latest && latest.note !== this.#checkedNote) {
      assertSignedBy(latest, this.key.verifierKey, this.key.path);
      this.#checkedNote = latest.note;
    }
    if (latest && latest.treeSize === this.#tree.size) return latest;
    const rootHash = this.#tree.root();
    const note = signCheckpoint({ origin: this.key.origin, treeSize: this.#tree.size, rootHash }, this.#signer);
    const checkpoint: Checkpoint = { treeSize: this.#tree.size, rootHash: toHex(rootHash), note, createdAt: Date.now() };
    // Stored only if `latest` is still the newest: the key check above was made against it, and
    // on a shared store this section's lock can be lost (its connection dropped) before here.
    await this.#store.putCheckpoint(checkpoint, latest);
    this.#checkedNote = note;
    return checkpoint;
  }

  /** Signs arbitrary note text with the log key (chain statements); throws once the log turned out to be another key's. */
  signNote(text: string): string {
    if (this.#refusal) throw this.#refusal;
    return signNote(text, [this.#signer]);
  }

  /** Signs an erasure entry with the log key; throws once the log turned out to be another key's. */
  signErasureEntry(entry: ErasureEntry): SignedErasureEntry {
    if (this.#refusal) throw this.#refusal;
    return signErasureEntry(entry, this.key.privateKey);
  }

  /** The body text of the current head, unsigned (for diagnostics). */
  describeHead(): string {
    return formatCheckpoint({ origin: this.key.origin, treeSize: this.#tree.size, rootHash: this.#tree.root() });
  }
}
