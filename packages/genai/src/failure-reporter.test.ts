import { diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFailureReporter } from './failure-reporter.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createFailureReporter', () => {
  it('reports each kind of failure once at error level, repeats at debug level', () => {
    const error = vi.spyOn(diag, 'error').mockImplementation(() => undefined);
    const debug = vi.spyOn(diag, 'debug').mockImplementation(() => undefined);
    const report = createFailureReporter('@facto/test');
    report('recording usage', new Error('boom'));
    report('recording usage', new Error('boom again'));
    report('ending a span', 'not an error');
    expect(error.mock.calls.map(([message]) => message)).toEqual([
      '@facto/test: recording usage failed, the call itself is unaffected: boom',
      '@facto/test: ending a span failed, the call itself is unaffected: not an error',
    ]);
    expect(debug).toHaveBeenCalledTimes(1);
  });
});
