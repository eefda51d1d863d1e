/**
 * Everything an AI SDK integration test needs, started once per test file: a real collector, a fake
 * OpenAI server (for a model that calls a wrapped openai client), and the async context manager an
 * application installs, so spans nest through context.with() as they do there. Each test makes its
 * own recording agent; the Facto instrumentation it gets sends its spans there. The suites run once
 * per major version of `ai`: a version is the `ai` module and the mock model class of its
 * specification (`MockLanguageModelV3` from ai 6, `MockLanguageModelV4` from ai 7).
 */
import { afterEach, vi } from 'vitest';
import { factoMiddleware, factoTelemetry, factoTools, type FactoInstrumentationOptions, type FactoTelemetry } from '@facto/ai-sdk';
import type * as AI from 'ai';
import type { MockLanguageModelV3 } from 'ai/test';
import type { TestCollector } from './collector.js';
import { type FakeOpenAI, useFakeOpenAI } from './fake-openai.js';
import { recordingAgent, type RecordingAgent } from './landed-spans.js';
import { useTracedCollector } from './traced-collector.js';

/** One major version of `ai`. The suites are typed against ai 6; ai 7 keeps every call they make. */
export interface AiUnderTest {
  readonly label: string;
  readonly ai: typeof AI;
  readonly MockLanguageModel: typeof MockLanguageModelV3;
  /** Whether this version has the telemetry interface that runs calls (`factoTelemetry`): ai 7. */
  readonly runsTelemetryIntegrations: boolean;
}

export interface RecordedAgent {
  readonly agent: RecordingAgent;
  /** `factoMiddleware` sending to this agent. */
  middleware(): ReturnType<typeof factoMiddleware>;
  /** `factoTools` sending to this agent. */
  tools<Tools extends Readonly<Record<string, object>>>(tools: Tools): Tools;
  /** `factoTelemetry` sending to this agent. */
  telemetry(): FactoTelemetry;
}

export interface AiSdkTestbed {
  readonly collector: TestCollector;
  readonly fake: FakeOpenAI;
  agent(options?: FactoInstrumentationOptions & { capture?: 'full' | 'hashes' | 'none' }): RecordedAgent;
}

export function useAiSdkTestbed(): AiSdkTestbed {
  const traced = useTracedCollector();
  const served = useFakeOpenAI();
  afterEach(() => vi.restoreAllMocks());
  return {
    get collector() {
      return traced.collector;
    },
    get fake() {
      return served.fake;
    },
    agent(options = {}) {
      const { capture, ...instrumentation } = options;
      const agent = recordingAgent(traced.collector, capture ? { capture } : {});
      const settings = { tracerProvider: agent.facto.provider, ...instrumentation };
      return {
        agent,
        middleware: () => factoMiddleware(settings),
        tools: (tools) => factoTools(tools, settings),
        telemetry: () => factoTelemetry(settings),
      };
    },
  };
}
