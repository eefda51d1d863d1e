/**
 * Error text is free text, and it often repeats content: an API's 400 that quotes the prompt, a tool
 * that throws `no record for <argument>`. Under capture `hashes` or `none` it must not leave the
 * process, whoever wrote it: step() does not write it, and the processor takes it off every span
 * before the span's record is built (the status message, and the message and stack trace of
 * exception events). What says that an operation failed, and how, stays and is signed: status
 * ERROR, `error.type`, the exception event with its `exception.type`.
 */
import { SpanStatusCode, type Span as ApiSpan, type SpanStatus } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/sdk-trace-base';
import { ACTION_ATTR, type ContentCapture } from '@facto/core';

const EXCEPTION_TEXT_KEYS = ['exception.message', 'exception.stacktrace'] as const;
const ERROR_TYPE = 'error.type';

/** The processor's part, in onEnding under capture `hashes` or `none`. */
export function withholdErrorText(span: Span): void {
  // Written straight into the span, as the processor writes its attributes: setStatus keeps an OK
  // status as it is and ignores a span it considers ended.
  if (span.status.message !== undefined) (span as { status: SpanStatus }).status = { code: span.status.code };
  for (const event of span.events) {
    const attributes = event.attributes as Record<string, unknown> | undefined;
    if (attributes) for (const key of EXCEPTION_TEXT_KEYS) delete attributes[key];
  }
}

/**
 * step()'s record of the error its block threw: status ERROR, `error.type`, an exception event; the
 * message (status, `facto.error`, the event's message and stack) only under capture `full`.
 */
export function recordStepError(span: ApiSpan, error: unknown, capture: ContentCapture): void {
  const type = errorTypeOf(error);
  span.setAttribute(ERROR_TYPE, type);
  if (capture !== 'full') {
    span.recordException({ name: type });
    span.setStatus({ code: SpanStatusCode.ERROR });
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  // Name, message and stack rather than the error: the SDK would take `exception.type` from a `code`.
  span.recordException({ name: type, message, ...(error instanceof Error && error.stack !== undefined ? { stack: error.stack } : {}) });
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.setAttribute(ACTION_ATTR.error, message);
}

/**
 * The error's own name (`AbortError`), else its class (`TypeError`), else `_OTHER`: the rule of
 * @facto/genai's errorTypeOf, so a step and an integration's span name one error alike (this
 * package does not depend on @facto/genai).
 */
function errorTypeOf(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '' && name !== 'Error') return name;
    const className = (error as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof className === 'string' && className !== '' && className !== 'Object') return className;
  }
  return '_OTHER';
}
