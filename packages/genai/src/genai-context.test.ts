import { context, diag, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { addInferenceActiveCheck, isInferenceActive, markInferenceActive } from './genai-context.js';
import { createGenAIInstrumentation } from './instrumentation.js';
import { recordingProvider, useAsyncContext } from './test-helpers/recording-provider.js';

let removeContext: () => void;
const removals: (() => void)[] = [];
beforeAll(() => {
  removeContext = useAsyncContext();
});
afterAll(() => removeContext());
afterEach(() => {
  for (const remove of removals.splice(0)) remove();
  vi.restoreAllMocks();
  trace.disable();
});

describe('inference-active checks', () => {
  it('let an integration say an inference of its own is in progress where no context says so', () => {
    let inProgress = false;
    removals.push(addInferenceActiveCheck(() => inProgress));
    expect(isInferenceActive(ROOT_CONTEXT)).toBe(false);
    inProgress = true;
    expect(isInferenceActive(ROOT_CONTEXT)).toBe(true);
    expect(isInferenceActive(markInferenceActive(ROOT_CONTEXT))).toBe(true);
  });

  it('make startInference record nothing while they answer true, and stop counting once removed', () => {
    const recording = recordingProvider();
    const genai = createGenAIInstrumentation({ name: '@facto/test' }, { tracerProvider: recording.provider });
    const remove = addInferenceActiveCheck(() => true);
    expect(genai.startInference({ operation: 'chat', provider: 'openai', model: 'gpt-4o' })).toBeUndefined();
    remove();
    const inference = genai.startInference({ operation: 'chat', provider: 'openai', model: 'gpt-4o' });
    inference?.end();
    expect(recording.spans().map((span) => span.name)).toEqual(['chat gpt-4o']);
  });

  it('are given the context asked about', () => {
    const seen: unknown[] = [];
    removals.push(addInferenceActiveCheck((asked) => (seen.push(asked), false)));
    const asked = context.active().setValue(Symbol('marker'), 1);
    isInferenceActive(asked);
    expect(seen).toEqual([asked]);
  });

  it('count a check that throws as no answer, reported once through diag', () => {
    const error = vi.spyOn(diag, 'error').mockImplementation(() => undefined);
    vi.spyOn(diag, 'debug').mockImplementation(() => undefined);
    removals.push(
      addInferenceActiveCheck(() => {
        throw new Error('framework context unreadable');
      }),
    );
    expect(isInferenceActive(ROOT_CONTEXT)).toBe(false);
    expect(isInferenceActive(ROOT_CONTEXT)).toBe(false);
    expect(error.mock.calls.map(([message]) => message)).toEqual([
      '@facto/genai: an inference-active check failed, the call itself is unaffected: framework context unreadable',
    ]);
  });

  it('are shared by two copies of the package in one process', async () => {
    vi.resetModules();
    const copy = (await import('./genai-context.js?second-copy' as string)) as typeof import('./genai-context.js');
    expect(copy.addInferenceActiveCheck).not.toBe(addInferenceActiveCheck);
    removals.push(copy.addInferenceActiveCheck(() => true));
    expect(isInferenceActive(ROOT_CONTEXT)).toBe(true);
  });

  it('must be functions', () => {
    expect(() => addInferenceActiveCheck('yes' as never)).toThrow(TypeError);
  });
});
