import { SpanStatusCode } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { chatCompletions } from './chat-completions.js';
import { instrumentCreate } from './instrument-create.js';
import { captureDiagErrors, recording } from './test-helpers/recording.js';

afterEach(() => vi.restoreAllMocks());

function setup(original: (...args: unknown[]) => unknown) {
  const record = recording();
  const setupValue = {
    instrumentation: record.instrumentation,
    settings: { providerName: 'openai', injectStreamUsage: false },
    client: {},
    server: () => ({}),
  };
  return { record, create: instrumentCreate(original, chatCompletions, setupValue) };
}

describe('instrumentCreate', () => {
  it('re-throws a synchronous error of the original unchanged and records it', () => {
    const error = new RangeError('bad request options');
    const { record, create } = setup(() => {
      throw error;
    });
    expect(() => create({ model: 'm', messages: [] })).toThrow(error);
    expect(record.finished().status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad request options' });
    expect(record.finished().attributes['error.type']).toBe('RangeError');
  });

  it('returns a result it does not understand untouched, ends the span, and says so once', () => {
    const messages = captureDiagErrors();
    const result = Promise.resolve({ id: 'x' });
    const { record, create } = setup(() => result);
    expect(create({ model: 'm', messages: [] })).toBe(result);
    expect(record.finished().name).toBe('chat m');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^@facto\/openai-test: observing the response failed/);
  });

  it('passes the caller’s arguments through as given', () => {
    const calls: unknown[][] = [];
    const { create } = setup((...args) => calls.push(args));
    const body = { model: 'm', messages: [], stream: true };
    const options = { timeout: 5 };
    create(body, options);
    expect(calls).toEqual([[body, options]]);
    expect(calls[0]![0]).toBe(body);
  });
});
