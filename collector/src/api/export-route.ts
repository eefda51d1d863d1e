/**
 * GET /v1/export: an evidence bundle for the events matching the filters, streamed as a JSON
 * attachment named after the checkpoint's tree size, verifiable offline with `facto verify`. There is
 * no cap on its size: it is written while it is read (evidence-bundle.ts).
 */
import type { CollectorContext } from '../context.js';
import type { HttpRequest, HttpResponse, Route } from '../http/types.js';
import { parseEventFilters } from './event-filters.js';
import { openEvidenceBundle } from './evidence-bundle.js';
import { readQuery } from './query-parameters.js';

/** Response header: stored events of the chains the export can touch, an upper bound for a progress bar. */
export const ESTIMATE_HEADER = 'facto-export-estimate';

export function exportRoutes(context: CollectorContext): Route[] {
  return [{ method: 'GET', path: '/v1/export', access: 'query', streams: true, handler: (request) => exportBundle(context, request) }];
}

async function exportBundle(context: CollectorContext, request: HttpRequest): Promise<HttpResponse> {
  const query = readQuery(request.url, ['agent_id', 'chain_id', 'since', 'until']);
  const bundle = await openEvidenceBundle(context, parseEventFilters(query));
  return {
    status: 200,
    headers: {
      'content-type': 'application/json',
      'content-disposition': `attachment; filename="facto-bundle-${bundle.treeSize}.json"`,
      [ESTIMATE_HEADER]: String(bundle.estimatedEvents),
    },
    stream: bundle.chunks,
  };
}
