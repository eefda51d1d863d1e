/**
 * The transport-neutral shape of a span, as the facto.v1 record is built from it. The SDK fills it
 * from a live OpenTelemetry span, the collector from OTLP protobuf or OTLP JSON; docs/spec.md fixes
 * how each field maps, so that both sides arrive at the same bytes.
 */

/**
 * The canonical typed form of an OTLP AnyValue (docs/spec.md, "Typed values"). One key per value
 * says its OTLP type, so an int and a double that print alike never hash alike.
 * - `s` string, `b` bool, `i` int64 as a decimal string, `d` finite double, `x` bytes as lowercase hex,
 *   `a` array, `m` key-value list (pairs in the order received), `null` an empty AnyValue.
 */
export type TypedValue =
  | null
  | { readonly s: string }
  | { readonly b: boolean }
  | { readonly i: string }
  | { readonly d: number }
  | { readonly x: string }
  | { readonly a: readonly TypedValue[] }
  | { readonly m: readonly (readonly [string, TypedValue])[] };

/** A content attribute as it stands in the signed record: a salted SHA3-256 commitment, lowercase hex. */
export interface CommittedValue {
  readonly c: string;
}

/** Attributes as received: key/value pairs in arrival order. Duplicate keys are an error when a record is built. */
export type AttributePairs = readonly (readonly [string, TypedValue])[];

export interface SpanEventFields {
  readonly name: string;
  /** Nanoseconds since the Unix epoch, decimal. */
  readonly timeUnixNano: string;
  readonly attributes: AttributePairs;
}

export interface SpanLinkFields {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** 16 lowercase hex digits. */
  readonly spanId: string;
  readonly attributes: AttributePairs;
}

export interface SpanFields {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** 16 lowercase hex digits. */
  readonly spanId: string;
  /** 16 lowercase hex digits, or '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  /** Nanoseconds since the Unix epoch, decimal. */
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  /** OTLP StatusCode (0 unset, 1 ok, 2 error) and message ('' when absent). */
  readonly status: { readonly code: number; readonly message: string };
  /** Every attribute of the span, facto.* transport attributes included. */
  readonly attributes: AttributePairs;
  readonly events: readonly SpanEventFields[];
  readonly links: readonly SpanLinkFields[];
}
