/**
 * Assertions the store conformance suite (conformance.ts) makes again and again: a call refused with
 * a FactoError, and a cursor walked to its end without looping.
 */
import { FactoError } from '@facto/core';
import { expect } from 'vitest';

/** Awaits a call that must be refused with a FactoError (of `code`, when given). */
export async function expectRefusal(promise: Promise<unknown>, code?: string): Promise<void> {
  const error = await promise.then(() => expect.fail('expected the call to be refused'), (refusal: unknown) => refusal);
  expect(FactoError.isInstance(error), `expected a FactoError, got ${String(error)}`).toBe(true);
  if (code !== undefined) expect((error as FactoError).code).toBe(code);
}

/** Follows a cursor until an empty page; a cursor that does not advance fails instead of looping forever. */
export async function walkPages<T>(fetch: (cursor: number | undefined) => Promise<T[]>, cursorOf: (item: T) => number, pageSize: number): Promise<T[]> {
  const all: T[] = [];
  let cursor: number | undefined;
  for (let pages = 0; pages < 1_000; pages++) {
    const page = await fetch(cursor);
    expect(page.length).toBeLessThanOrEqual(pageSize);
    if (page.length === 0) return all;
    all.push(...page);
    cursor = cursorOf(page[page.length - 1]!);
  }
  return expect.fail('paging did not end after 1000 pages: the cursor does not advance');
}
