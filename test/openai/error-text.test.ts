/**
 * An OpenAI error that repeats the prompt (a 400 quoting the content it refused) leaves the process
 * only when content does. With content off, at the source (`captureContent: false`) or at the
 * processor (`capture: 'none'` or `'hashes'`), the span still says that the call failed and how
 * (status ERROR, `error.type`, an exception event with its type), and the prompt is nowhere in the
 * bytes the exporter sent. With content on, the error's message is recorded as before. Both openai
 * majors; the spans go through the real exporter to a local OTLP endpoint.
 */
import OpenAI from 'openai';
import OpenAI7 from 'openai7';
import { describe, expect, it } from 'vitest';
import { wrapOpenAI, type WrapOpenAIOptions } from '@facto/openai';
import type { FactoOptions } from '@facto/otel';
import { useFakeOpenAI } from '../support/fake-openai.js';
import { expectErrorWithoutText, sentSpan, useWireAgents } from '../support/wire-agent.js';

const MARKER = 'SSN-078-05-1120';
const served = useFakeOpenAI();
const wireAgent = useWireAgents();

const CONTENT_OFF: readonly [string, WrapOpenAIOptions, Partial<FactoOptions>][] = [
  ['captureContent: false', { captureContent: false }, {}],
  ["capture: 'none'", {}, { capture: 'none' }],
  ["capture: 'hashes'", {}, { capture: 'hashes' }],
];

describe.each([
  ['openai 6', OpenAI],
  ['openai 7', OpenAI7 as unknown as typeof OpenAI],
] as const)('%s: a 400 that quotes the prompt', (_label, Client) => {
  const failingCall = async (wrapOptions: WrapOpenAIOptions, factoOptions: Partial<FactoOptions>) => {
    const agent = await wireAgent(factoOptions);
    const client = wrapOpenAI(new Client({ apiKey: 'sk-test', baseURL: served.fake.url, maxRetries: 0 }), { tracerProvider: agent.facto.provider, ...wrapOptions });
    served.fake.reply({ error: { status: 400, message: `Invalid value for 'content': my ${MARKER}`, type: 'invalid_request_error', code: 'invalid_value' } });
    const error = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `my ${MARKER}` }] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Client.BadRequestError);
    expect((error as Error).message).toContain(MARKER);
    return agent.exported();
  };

  it.each(CONTENT_OFF)('with %s, the error is recorded and its text is not sent', async (_setting, wrapOptions, factoOptions) => {
    const sent = await failingCall(wrapOptions, factoOptions);
    expect(sent.placesOf(MARKER)).toEqual([]);
    expect(sent.bytes.includes(MARKER)).toBe(false);
    expectErrorWithoutText(sentSpan(sent.spans, 'chat gpt-4o-mini'), 'BadRequestError');
  });

  it('with content on, the error’s message is recorded as before', async () => {
    const sent = await failingCall({}, {});
    expect(sent.placesOf(MARKER)).toEqual(expect.arrayContaining(['chat gpt-4o-mini status.message', 'chat gpt-4o-mini event exception: exception.message']));
  });
});
