/**
 * Error text under @facto/otel's `capture`: a step whose block throws an error that repeats its
 * input, and a span of another instrumentation that recorded such an error itself. Under `hashes` and
 * `none` the text is nowhere in the bytes the exporter sent, in either signing mode, while the
 * failure and its type are, and every record still verifies; under `full` the text is sent as
 * before.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { expectErrorWithoutText, sentSpan, useWireAgents } from '../support/wire-agent.js';

const MARKER = 'SSN-078-05-1120';
const wireAgent = useWireAgents();

class LookupError extends Error {
  override name = 'LookupError';
}

describe.each(['deferred', 'inline'] as const)('signing %s', (signing) => {
  const failingStep = async (capture: 'full' | 'hashes' | 'none') => {
    const agent = await wireAgent({ capture, signing });
    const lookup = agent.facto.step('lookup', { who: MARKER }, async () => {
      throw new LookupError(`no record for ${MARKER}`);
    });
    await expect(lookup).rejects.toThrow(`no record for ${MARKER}`);
    return agent.exported();
  };

  const failedElsewhere = async (capture: 'full' | 'hashes' | 'none') => {
    const agent = await wireAgent({ capture, signing });
    const span = agent.facto.provider.getTracer('another-instrumentation').startSpan('GET /customers');
    span.recordException(new LookupError(`no record for ${MARKER}`));
    span.setAttribute('error.type', 'LookupError');
    span.setStatus({ code: SpanStatusCode.ERROR, message: `no record for ${MARKER}` });
    span.end();
    return agent.exported();
  };

  it.each(['hashes', 'none'] as const)("step() under capture '%s': the error is recorded, its text is not sent", async (capture) => {
    const sent = await failingStep(capture);
    expect(sent.placesOf(MARKER)).toEqual([]);
    expect(sent.bytes.includes(MARKER)).toBe(false);
    const step = sentSpan(sent.spans, 'lookup');
    expectErrorWithoutText(step, 'LookupError');
    expect(step.attributes.map(([key]) => key)).not.toContain('facto.error');
  });

  it("step() under capture 'full': the error's message is sent as before", async () => {
    const sent = await failingStep('full');
    expect(sent.placesOf(MARKER)).toEqual(expect.arrayContaining(['lookup status.message', 'lookup facto.error', 'lookup event exception: exception.message']));
  });

  it.each(['hashes', 'none'] as const)("another instrumentation's error under capture '%s': its text is withheld before signing", async (capture) => {
    const sent = await failedElsewhere(capture);
    expect(sent.placesOf(MARKER)).toEqual([]);
    expect(sent.bytes.includes(MARKER)).toBe(false);
    expectErrorWithoutText(sentSpan(sent.spans, 'GET /customers'), 'LookupError');
  });

  it("another instrumentation's error under capture 'full': sent as it was recorded", async () => {
    const sent = await failedElsewhere('full');
    expect(sent.placesOf(MARKER)).toEqual(['GET /customers status.message', 'GET /customers event exception: exception.message', 'GET /customers event exception: exception.stacktrace']);
  });
});
