/**
 * Every route the collector serves, in one place: OTLP ingest, the query, proof, export and admin
 * API, and the operations endpoints. The collector mounts exactly this list, and the API tests
 * dispatch through it (createApp(...).request), so what is tested is what is served.
 */
import { apiRoutes } from '../api/index.js';
import type { CollectorContext } from '../context.js';
import { ingestRoutes } from './ingest-route.js';
import { opsRoutes } from './ops-routes.js';
import type { Route } from './types.js';

export function collectorRoutes(context: CollectorContext): Route[] {
  return [...ingestRoutes(context), ...apiRoutes(context), ...opsRoutes(context)];
}
