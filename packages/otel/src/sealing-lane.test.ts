import { describe, expect, it } from 'vitest';
import type { SpanFields } from '@facto/core';
import { ChainHead } from './chain-head.js';
import { SealingLane, type PendingSeal } from './sealing-lane.js';

const fields = {} as SpanFields;

/** A lane whose seal function records what it was asked and returns a hash named after the seq. */
function lane() {
  const head = new ChainHead('agent', 'chain');
  const sealed: { seq: number; prevHash: string; dropped: number; signed: boolean }[] = [];
  const failures: { seq: number; error: unknown }[] = [];
  const subject = new SealingLane(
    head,
    (job, prevHash, dropped, signed) => {
      sealed.push({ seq: job.seq, prevHash, dropped, signed });
      return `hash-${job.seq}`;
    },
    (job, error) => failures.push({ seq: job.seq, error }),
  );
  const spans = new Map<number, object>();
  const reserve = (failure?: unknown): object => {
    const span = {};
    const seq = head.reserve();
    spans.set(seq, span);
    const job: PendingSeal = failure === undefined ? { span, factoId: `ft-${seq}`, seq, fields } : { span, factoId: `ft-${seq}`, seq, failure };
    subject.add(job);
    return span;
  };
  return { head, subject, sealed, failures, reserve, spans };
}

describe('SealingLane', () => {
  it('seals in seq order up to the last span of a batch, however the batch lists them, and leaves later ones pending', () => {
    const { subject, sealed, reserve } = lane();
    const spans = [reserve(), reserve(), reserve(), reserve()];
    subject.drainThrough([spans[2]!, spans[0]!]);
    expect(sealed.map((item) => [item.seq, item.prevHash])).toEqual([
      [0, '0'.repeat(64)],
      [1, 'hash-0'],
      [2, 'hash-1'],
    ]);
    expect(subject.pending).toBe(1);
    subject.drainAll();
    expect(sealed.at(-1)).toMatchObject({ seq: 3, prevHash: 'hash-2' });
  });

  it('hashes a span that will not be delivered without signing it, and links the next record to it', () => {
    const { subject, sealed, reserve, head } = lane();
    const [first, second] = [reserve(), reserve()];
    subject.markUndeliverable(first);
    head.recordDropped([0]);
    subject.drainThrough([second]);
    expect(sealed).toEqual([
      { seq: 0, prevHash: '0'.repeat(64), dropped: 0, signed: false },
      { seq: 1, prevHash: 'hash-0', dropped: 1, signed: true },
    ]);
  });

  it('spends the seq of a record that could not be sealed, and the next record declares it', () => {
    const { subject, sealed, failures, reserve } = lane();
    reserve();
    reserve(new Error('cannot canonicalise'));
    const last = reserve();
    subject.drainThrough([last]);
    expect(failures).toEqual([{ seq: 1, error: new Error('cannot canonicalise') }]);
    expect(sealed.map((item) => [item.seq, item.prevHash, item.dropped])).toEqual([
      [0, '0'.repeat(64), 0],
      [2, 'hash-0', 1],
    ]);
  });
});
