/**
 * --forward-headers: headers sent with every forwarded request, so a downstream that wants a key
 * (an OTLP endpoint of a tracing service, a gateway) can be reached. The text has the form of
 * OpenTelemetry's OTEL_EXPORTER_OTLP_HEADERS: comma-separated name=value pairs, each value
 * percent-encoded where it needs to be (`authorization=Basic%20dXNlcjpwdw==,x-tenant=acme`).
 * Values are secrets: they are never logged or echoed in an error.
 */

// RFC 9110 section 5.6.2: a field name is a token.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// A field value: visible characters, spaces and tabs (no CR, LF or NUL).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Set by the forwarder or the HTTP client for each request; a configured one would break delivery. */
// `expect` too: fetch (undici) refuses a request that carries it.
const RESERVED = new Set(['content-type', 'content-length', 'content-encoding', 'transfer-encoding', 'host', 'connection', 'te', 'trailer', 'upgrade', 'keep-alive', 'expect']);

/** The headers `text` names, by lower-case name; or why it is not acceptable (never quoting a value). */
export function parseForwardHeaders(text: string): { readonly headers: Record<string, string> } | { readonly problem: string } {
  // No prototype: a header may be called __proto__.
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  const items = text.split(',');
  for (const [index, item] of items.entries()) {
    // An empty item (a trailing comma) is skipped, as OpenTelemetry's own readers of the variable do.
    if (item.trim() === '') continue;
    const equals = item.indexOf('=');
    const where = `pair ${index + 1}`;
    if (equals < 0) return { problem: `${where} has no "="; write name=value` };
    const name = item.slice(0, equals).trim().toLowerCase();
    if (!TOKEN.test(name)) return { problem: `${where}: the name is not an HTTP header name` };
    if (RESERVED.has(name)) return { problem: `${name} is set by the collector for each request and cannot be configured` };
    if (Object.hasOwn(headers, name)) return { problem: `${name} is given twice` };
    let value: string;
    try {
      value = decodeURIComponent(item.slice(equals + 1).trim()).trim();
    } catch {
      return { problem: `the value of ${name} is not valid percent-encoding` };
    }
    if (value === '' || !FIELD_VALUE.test(value)) return { problem: `the value of ${name} is empty or holds a character a header cannot carry (CR, LF, NUL, other controls)` };
    headers[name] = value;
  }
  if (Object.keys(headers).length === 0) return { problem: 'no name=value pair' };
  return { headers };
}
