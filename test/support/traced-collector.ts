/**
 * The set-up every integration test file shares, registered once per file: the async context manager
 * an application installs (registerFacto does) and a real collector, started before the file's tests
 * and stopped after them; the global tracer provider is reset after each test.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startTestCollector, type TestCollector } from './collector.js';

export interface TracedCollector {
  /** The running collector (available from the first beforeAll on). */
  readonly collector: TestCollector;
}

export function useTracedCollector(): TracedCollector {
  let collector: TestCollector | undefined;
  let manager: AsyncLocalStorageContextManager | undefined;
  beforeAll(async () => {
    manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    collector = await startTestCollector();
  });
  afterEach(() => trace.disable());
  afterAll(async () => {
    await collector?.stop();
    manager?.disable();
    context.disable();
  });
  return {
    get collector() {
      if (collector === undefined) throw new Error('the collector starts in beforeAll: read it inside a test or hook');
      return collector;
    },
  };
}
