import { diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { wrapOpenAI } from './wrap-openai.js';

afterEach(() => vi.restoreAllMocks());

/** Just enough of a client to see what wrapOpenAI patches. */
function fakeClient() {
  const create = () => 'created';
  return {
    baseURL: 'https://api.openai.com/v1',
    chat: { completions: { create } },
    responses: { create },
    embeddings: { create },
    original: create,
  };
}

describe('wrapOpenAI', () => {
  it('replaces create on the instance’s own resources only, and returns the same client', () => {
    const client = fakeClient();
    const prototypeCreate = Object.getPrototypeOf(client.chat.completions).create;
    expect(wrapOpenAI(client)).toBe(client);
    expect(client.chat.completions.create).not.toBe(client.original);
    expect(client.responses.create).not.toBe(client.original);
    expect(client.embeddings.create).not.toBe(client.original);
    expect(Object.getPrototypeOf(client.chat.completions).create).toBe(prototypeCreate);
  });

  it('wraps a client once, however often it is asked', () => {
    const client = fakeClient();
    wrapOpenAI(client);
    const first = client.chat.completions.create;
    wrapOpenAI(client, { captureContent: false });
    expect(client.chat.completions.create).toBe(first);
  });

  it('warns, once per missing resource, when a client lacks one, and wraps the rest', () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => undefined);
    const client: Record<string, unknown> = { chat: { completions: { create: () => 1 } } };
    wrapOpenAI(client);
    expect(warn.mock.calls.map(([message]) => message)).toEqual([
      '@facto/openai: this client has no responses.create(); those calls are not recorded',
      '@facto/openai: this client has no embeddings.create(); those calls are not recorded',
    ]);
  });

  it('runs a call whose body it cannot read unrecorded, with the same result', () => {
    const client = wrapOpenAI(fakeClient());
    expect((client.chat.completions.create as (body: unknown) => unknown)('not a body')).toBe('created');
  });
});
