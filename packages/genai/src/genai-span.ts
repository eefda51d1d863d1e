/**
 * The part every GenAI span shares: it records through methods that never throw (a failure is
 * reported once through diag and the agent's call goes on), writes content as one capped JSON
 * string per attribute when content capture is on, records the agent's errors with `error.type`
 * (and their message only when content capture is on), and ends exactly once however many paths try
 * to end it.
 */
import { SpanStatusCode, type AttributeValue, type Context, type Span } from '@opentelemetry/api';
import { toCappedJson } from './capped-json.js';
import { COMMON_ATTRIBUTES } from './conventions.js';
import type { FailureReporter } from './failure-reporter.js';
import { toJsonSafe } from './json-safe.js';

export interface SpanSettings {
  readonly report: FailureReporter;
  readonly captureContent: boolean;
  readonly maxContentBytes: number;
}

/**
 * A low-cardinality name for what went wrong, as `error.type` asks: the error's own name when it has
 * one (`AbortError`), else its class (`RateLimitError`, `TypeError`), else `_OTHER`.
 */
export function errorTypeOf(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '' && name !== 'Error') return name;
    const className = (error as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof className === 'string' && className !== '' && className !== 'Object') return className;
  }
  return '_OTHER';
}

export function errorMessageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error !== null && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') return (error as { message: string }).message;
  return String(error);
}

export class GenAISpan {
  /** The OpenTelemetry span, for attributes this helper has no method for. */
  readonly span: Span;
  /** The parent context with this span active: run the operation's own code in it. */
  readonly context: Context;
  protected readonly settings: SpanSettings;
  #ended = false;
  #failed = false;

  constructor(span: Span, context: Context, settings: SpanSettings) {
    this.span = span;
    this.context = context;
    this.settings = settings;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Whether content is recorded: an integration can skip converting messages when it is not. */
  get capturesContent(): boolean {
    return this.settings.captureContent;
  }

  /** Whether fail() has recorded an error on this span. */
  get failed(): boolean {
    return this.#failed;
  }

  /**
   * Records the operation's error: status ERROR, `error.type`, an exception event. Its message and
   * stack go with them only when content capture is on: they often repeat the content (a 400 that
   * quotes the prompt, a tool that throws `no record for <argument>`), and with capture off no
   * content may leave the process.
   */
  fail(error: unknown, type: string = errorTypeOf(error)): void {
    this.guard('recording an error', () => {
      this.#failed = true;
      if (!this.settings.captureContent) {
        this.span.recordException({ name: type });
        this.span.setAttribute(COMMON_ATTRIBUTES.errorType, type);
        this.span.setStatus({ code: SpanStatusCode.ERROR });
        return;
      }
      const message = errorMessageOf(error);
      // Given as name, message and stack: handed the error itself, the SDK takes `exception.type` from
      // its `code` when it has one (OpenAI's 'rate_limit_exceeded'), unlike `error.type` beside it.
      this.span.recordException({ name: type, message, ...(error instanceof Error && error.stack !== undefined ? { stack: error.stack } : {}) });
      this.span.setAttribute(COMMON_ATTRIBUTES.errorType, type);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message });
    });
  }

  /** Ends the span; later calls do nothing, so every exit path of an operation may call it. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    try {
      this.span.end();
    } catch (error) {
      this.settings.report('ending a span', error);
    }
  }

  /** Runs one recording step on a live span; a failure is reported, never thrown. */
  protected guard(where: string, action: () => void): void {
    if (this.#ended) return;
    try {
      action();
    } catch (error) {
      this.settings.report(where, error);
    }
  }

  protected setAttribute(key: string, value: AttributeValue | undefined): void {
    if (value !== undefined) this.span.setAttribute(key, value);
  }

  /** Content goes in as one capped JSON string, and only when content capture is on. */
  protected setContent(key: string, value: unknown): void {
    if (!this.settings.captureContent || value === undefined) return;
    this.span.setAttribute(key, toCappedJson(toJsonSafe(value), this.settings.maxContentBytes));
  }
}

/** A finite number, or nothing: request and usage values come from untyped request bodies. */
export function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A token count: a non-negative integer, or nothing (never a made-up 0). */
export function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
