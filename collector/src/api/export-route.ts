/**
 * GET /v1/export: an evidence bundle for the events matching the filters, as a JSON attachment named
 * after the checkpoint's tree size, verifiable offline with `facto verify`.
 */
import type { CollectorContext } from '../context.js';
import type { HttpRequest, HttpResponse, Route } from '../http/types.js';
import { parseEventFilters } from './event-filters.js';
import { buildEvidenceBundle } from './evidence-bundle.js';
import { readQuery } from './query-parameters.js';

export function exportRoutes(context: CollectorContext): Route[] {
  return [{ method: 'GET', path: '/v1/export', access: 'query', handler: (request) => exportBundle(context, request) }];
}

async function exportBundle(context: CollectorContext, request: HttpRequest): Promise<HttpResponse> {
  const query = readQuery(request.url, ['agent_id', 'chain_id', 'since', 'until']);
  const { bundle, treeSize } = await buildEvidenceBundle(context, parseEventFilters(query));
  return {
    status: 200,
    headers: { 'content-type': 'application/json', 'content-disposition': `attachment; filename="facto-bundle-${treeSize}.json"` },
    body: bundle,
  };
}
