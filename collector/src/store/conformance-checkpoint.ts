/**
 * Part of the store conformance suite (conformance.ts): the checkpoint head's compare-and-swap. A
 * checkpoint names the newest checkpoint its signer read before deciding it (the log key check is
 * made against that one), and is stored only if that is still the newest: otherwise StoreConflictError
 * and nothing written. Checkpoints never go backwards, one tree size never gets two, and the same
 * checkpoint stored again (a retry whose answer was lost) is accepted.
 */
import { expect, it } from 'vitest';
import { expectRefusal } from './conformance-expect.js';
import { checkpoint, hex } from './conformance-fixtures.js';
import type { Store } from './types.js';

/** Another signer's checkpoint at `treeSize`: the same head, another note. */
const rival = (treeSize: number) => checkpoint(treeSize, { note: checkpoint(treeSize).note.replaceAll('facto.example/log', 'facto.example/rival') });

export function checkpointConformance(context: () => { store: Store }): void {
  it('keeps checkpoints moving forward only (compare-and-swap), and repeats of the same one are accepted', async () => {
    const { store } = context();
    await store.putCheckpoint(checkpoint(5), null);
    await store.putCheckpoint(checkpoint(5), null);
    await expectRefusal(store.putCheckpoint(checkpoint(3), checkpoint(5)), 'conflict');
    await expectRefusal(store.putCheckpoint(checkpoint(5, { rootHash: hex('split view') }), checkpoint(5)), 'conflict');
    await store.putCheckpoint(checkpoint(8), checkpoint(5));
    await store.putCheckpoint(checkpoint(8), checkpoint(5));
    expect(await store.latestCheckpoint()).toEqual(checkpoint(8));
    expect(await store.getCheckpoint(5)).toEqual(checkpoint(5));
    expect(await store.getCheckpoint(3)).toBeNull();
    expect(await store.getCheckpoint(6)).toBeNull();
  });

  it('refuses a checkpoint decided on a latest checkpoint that is no longer the newest (StoreConflictError), and writes nothing', async () => {
    const { store } = context();
    // A signer reads an empty head and decides a checkpoint at size 2; meanwhile another signer's,
    // decided earlier at size 0, lands (two sequencer sections, one of which lost its lock).
    await store.putCheckpoint(rival(0), null);
    await expectRefusal(store.putCheckpoint(checkpoint(2), null), 'conflict');
    expect(await store.latestCheckpoint()).toEqual(rival(0));
    expect(await store.getCheckpoint(2)).toBeNull();
    // The same with a checkpoint read: decided on the one at size 0, after which size 3 was signed.
    await store.putCheckpoint(rival(3), rival(0));
    await expectRefusal(store.putCheckpoint(checkpoint(7), rival(0)), 'conflict');
    // A checkpoint at the newest size but with another note is not the newest either.
    await expectRefusal(store.putCheckpoint(checkpoint(7), checkpoint(3)), 'conflict');
    expect(await store.getCheckpoint(7)).toBeNull();
    expect(await store.latestCheckpoint()).toEqual(rival(3));
    await store.putCheckpoint(rival(7), rival(3));
    expect(await store.latestCheckpoint()).toEqual(rival(7));
  });
}
