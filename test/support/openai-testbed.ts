/**
 * Everything an OpenAI wrapper test needs, started once per test file: a real collector, a fake
 * OpenAI server, and the async context manager an application installs (registerFacto does), so
 * spans nest through context.with() as they would there. Each test then makes its own recording
 * agent and a wrapped client of the version under test that sends its spans there.
 */
import type OpenAI from 'openai';
import { afterEach, vi } from 'vitest';
import { wrapOpenAI, type WrapOpenAIOptions } from '@facto/openai';
import type { TestCollector } from './collector.js';
import { type FakeOpenAI, useFakeOpenAI } from './fake-openai.js';
import { recordingAgent, type RecordingAgent } from './landed-spans.js';
import { useTracedCollector } from './traced-collector.js';

export type OpenAIClass = typeof OpenAI;

/** One major version of the client, with the classes its results must still be instances of. */
export interface ClientUnderTest {
  readonly label: string;
  readonly OpenAI: OpenAIClass;
  readonly Stream: abstract new (...args: never[]) => unknown;
  readonly APIPromise: abstract new (...args: never[]) => unknown;
}

export interface Testbed {
  readonly collector: TestCollector;
  readonly fake: FakeOpenAI;
  /** A plain client of the version under test, pointed at the fake server. */
  client(): OpenAI;
  /** A recording agent and a wrapped client whose spans it signs. */
  agent(options?: WrapOpenAIOptions & { capture?: 'full' | 'hashes' | 'none' }): { agent: RecordingAgent; client: OpenAI };
}

export function useOpenAITestbed(version: ClientUnderTest): Testbed {
  const traced = useTracedCollector();
  const served = useFakeOpenAI();
  afterEach(() => vi.restoreAllMocks());
  const client = () => new version.OpenAI({ apiKey: 'sk-test', baseURL: served.fake.url, maxRetries: 0 });
  return {
    get collector() {
      return traced.collector;
    },
    get fake() {
      return served.fake;
    },
    client,
    agent(options = {}) {
      const { capture, ...wrapOptions } = options;
      const agent = recordingAgent(traced.collector, capture ? { capture } : {});
      return { agent, client: wrapOpenAI(client(), { tracerProvider: agent.facto.provider, ...wrapOptions }) };
    },
  };
}
