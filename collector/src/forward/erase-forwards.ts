/**
 * An erasure reaches the forward queue too: a request still waiting to go downstream that carries an
 * erased span is rewritten without it (or taken off the queue when nothing else in it goes on), in the
 * erasure's own commit. Otherwise the content the erasure deleted from the log would still sit in
 * the queue on disk and then be delivered downstream.
 */
import { ATTR } from '@facto/core';
import { decodeTraceRequest } from '../otlp/decode-trace-request.js';
import type { SpanSelection } from '../otlp/decoded-trace-request.js';
import type { ForwardEdit, QueuedForward } from '../store/types.js';
import { filterRequest } from './filter-request.js';

/**
 * Per [resource][scope][span]: whether the span's facto.id is one of `erased`. Read with ingest's own
 * decoder and rule (openSpan: the last facto.id attribute counts), so both name the same span.
 */
function erasedSpans(queued: QueuedForward, erased: ReadonlySet<string>): SpanSelection {
  return decodeTraceRequest(queued.body, queued.encoding).resourceSpans.map((resource) =>
    resource.scopeSpans.map((scope) =>
      scope.spans.map((span) => {
        const value = span.attributes.findLast(([key]) => key === ATTR.id)?.[1];
        return value !== null && value !== undefined && 's' in value && erased.has(value.s);
      }),
    ),
  );
}

/** How `queued` changes when the events `erased` names lose their content. */
export function forwardEditFor(queued: QueuedForward, erased: ReadonlySet<string>): ForwardEdit {
  const hit = erasedSpans(queued, erased);
  const kept = queued.keepJson === null ? undefined : (JSON.parse(queued.keepJson) as SpanSelection);
  const keep = hit.map((scopes, resource) => scopes.map((spans, scope) => spans.map((isErased, span) => !isErased && (kept?.[resource]?.[scope]?.[span] ?? kept === undefined))));
  const factoIds = queued.factoIds.filter((id) => !erased.has(id));
  if (!keep.some((scopes) => scopes.some((spans) => spans.some(Boolean)))) return { id: queued.id, replacement: null };
  return { id: queued.id, replacement: { body: filterRequest(queued.body, queued.encoding, keep), keepJson: null, factoIds } };
}
