/**
 * The instrumented `create` of one resource. The original runs exactly once, inside the inference
 * span's context. What it returns is chained with the client's own `_thenUnwrap`, exactly as the
 * client's `parse()` does, so the caller still gets an `APIPromise` of the client's class with
 * `withResponse()`, `asResponse()` and `_thenUnwrap()` (on which `parse()` and the stream helpers
 * build), on openai 6 and 7 alike. In that step a complete response is recorded and a stream is
 * replaced by an observed stream of the same class; an error is recorded and passed on unchanged.
 * A caller who reads only the raw response with `asResponse()` gets the span ended when the
 * response arrives, with no body read.
 *
 * Anything that goes wrong in here is reported once through diag; the caller's call then runs, or
 * goes on, exactly as it would have without instrumentation.
 */
import { context as contextApi } from '@opentelemetry/api';
import type { GenAIInstrumentation, InferenceSpan } from '@facto/genai';
import { instrumentStream, isClientStream } from './instrumented-stream.js';
import type { CallSettings, OperationMapping } from './operation.js';
import { isObject, type WireObject } from './wire.js';

export const WRAPPED = Symbol.for('facto.openai.wrapped');

export interface CreateSetup {
  readonly instrumentation: GenAIInstrumentation;
  readonly settings: CallSettings;
  /** The wrapped client: a stream is rebuilt with it, as the client builds its own. */
  readonly client: object;
  /** `server.address` and `server.port` of the client, read at each call. */
  readonly server: () => { readonly serverAddress?: string; readonly serverPort?: number };
}

type Create = (this: unknown, ...args: unknown[]) => unknown;
type Parse = (this: unknown, client: unknown, props: unknown) => Promise<unknown>;
type Transform = (data: unknown, props: unknown) => unknown;

/** The parts of openai's APIPromise (v6 and v7 alike) this module relies on. */
interface ObservableAPIPromise {
  responsePromise: Promise<unknown>;
  parseResponse: Parse;
  parsedPromise?: unknown;
  _thenUnwrap(this: unknown, transform: Transform): unknown;
  asResponse(): Promise<unknown>;
}

interface Call {
  readonly span: InferenceSpan;
  readonly body: WireObject;
  readonly mapping: OperationMapping;
}

export function instrumentCreate(original: Create, mapping: OperationMapping, setup: CreateSetup): Create {
  const report = setup.instrumentation.report;
  const instrumented: Create = function (this: unknown, ...args: unknown[]) {
    const call = beginCall(args[0], mapping, setup);
    if (!call) return original.apply(this, args);
    const sent = call.body === args[0] ? args : [call.body, ...args.slice(1)];
    let invoked = false;
    let result: unknown;
    try {
      result = contextApi.with(call.span.context, () => {
        invoked = true;
        return original.apply(this, sent);
      });
    } catch (error) {
      if (!invoked) {
        report('entering the span context', error);
        call.span.end();
        return original.apply(this, args);
      }
      call.span.fail(error);
      call.span.end();
      throw error;
    }
    try {
      return observe(result, call, setup);
    } catch (error) {
      report('observing the response', error);
      call.span.end();
      return result;
    }
  };
  Object.defineProperty(instrumented, WRAPPED, { value: true });
  return instrumented;
}

function beginCall(body: unknown, mapping: OperationMapping, setup: CreateSetup): Call | undefined {
  const { instrumentation, settings } = setup;
  // A body this mapping cannot read is the client's to reject; it runs unrecorded.
  if (!isObject(body)) return undefined;
  let span: InferenceSpan | undefined;
  try {
    const start = mapping.start(body);
    span = instrumentation.startInference({ operation: mapping.operation, provider: settings.providerName, ...start, ...setup.server() });
    if (!span) return undefined;
    const sent = mapping.prepare ? mapping.prepare(body, settings) : body;
    try {
      mapping.request(span, body);
    } catch (error) {
      instrumentation.report('recording the request', error);
    }
    return { span, body: sent, mapping };
  } catch (error) {
    instrumentation.report('starting the call', error);
    span?.end();
    return undefined;
  }
}

function observe(result: unknown, call: Call, setup: CreateSetup): unknown {
  const report = setup.instrumentation.report;
  if (!isObservable(result)) {
    report('observing the response', new Error('create() did not return an APIPromise this version of @facto/openai understands; the call is recorded without its response'));
    call.span.end();
    return result;
  }
  const fail = (error: unknown) => {
    call.span.fail(error);
    call.span.end();
  };
  // Errors before any body exists: HTTP errors, connection errors, an abort before the response.
  result.responsePromise.then(undefined, fail);
  let settled = false;
  const observed = result._thenUnwrap((data: unknown) => {
    if (settled) return data;
    settled = true;
    return settle(data, setup.client, call, report);
  });
  if (isObservable(observed)) watchForErrors(observed, call, fail);
  return observed;
}

/**
 * Errors while reading a body that did arrive (a connection dropped mid-body) reach only the
 * response parser: it is watched on this promise and on every promise chained from it by
 * `_thenUnwrap`, which is how parse() and the stream helpers read it (openai 7 gives each promise
 * its own `_thenUnwrap` that bypasses `parseResponse`, so both are watched).
 */
function watchForErrors(promise: ObservableAPIPromise, call: Call, fail: (error: unknown) => void): void {
  const parse = promise.parseResponse;
  promise.parseResponse = async function (this: unknown, client: unknown, props: unknown) {
    try {
      return await parse.call(this, client, props);
    } catch (error) {
      fail(error);
      throw error;
    }
  };
  const thenUnwrap = promise._thenUnwrap;
  promise._thenUnwrap = function (this: unknown, transform: Transform) {
    const chained = thenUnwrap.call(this, transform);
    if (isObservable(chained)) watchForErrors(chained, call, fail);
    return chained;
  };
  const asResponse = promise.asResponse;
  promise.asResponse = function (this: ObservableAPIPromise) {
    // withResponse() parses first and then asks for the response too: only a raw read ends here.
    if (this.parsedPromise === undefined) this.responsePromise.then(() => call.span.end(), () => undefined);
    return asResponse.call(this);
  };
}

/** Records a parsed response, or returns an observed stream in place of the client's. Never throws. */
function settle(data: unknown, client: unknown, call: Call, report: (where: string, error: unknown) => void): unknown {
  try {
    if (call.body.stream === true && isClientStream(data) && call.mapping.stream) {
      return instrumentStream(data, client, call.span, call.mapping.stream(call.span, call.body), report);
    }
    call.mapping.response(call.span, data, call.body);
  } catch (error) {
    report('recording the response', error);
  }
  call.span.end();
  return data;
}

function isObservable(value: unknown): value is ObservableAPIPromise {
  if (value === null || typeof value !== 'object') return false;
  const promise = value as Partial<ObservableAPIPromise>;
  return (
    typeof promise._thenUnwrap === 'function' &&
    typeof promise.parseResponse === 'function' &&
    typeof promise.asResponse === 'function' &&
    promise.responsePromise instanceof Promise
  );
}
