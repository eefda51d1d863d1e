/**
 * Error text is free text, and it often repeats content: an API's 400 that quotes the prompt, a tool
 * that throws `no record for <argument>`. Under capture `hashes` or `none` it must not leave the
 * process, whoever wrote it, so the processor takes it off every span before the span's record is
 * built: the status message, and the message and stack trace of exception events. What says that an
 * operation failed, and how, stays and is signed: status ERROR, `error.type`, the exception event
 * with its `exception.type`.
 */
import type { SpanStatus } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/sdk-trace-base';

const EXCEPTION_TEXT_KEYS = ['exception.message', 'exception.stacktrace'] as const;

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

