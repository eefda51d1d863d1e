/**
 * The collector's query, event stream, proof, verification, export and admin API (docs/api.md), composed from one
 * file per concern. Handlers validate every input and throw HttpError for client errors; the server
 * (http/server.ts) turns those, and store failures, into status codes.
 */
import type { CollectorContext } from '../context.js';
import type { Route } from '../http/types.js';
import { chainRoutes } from './chain-routes.js';
import { eraseRoutes } from './erase-route.js';
import { eventRoutes } from './event-routes.js';
import { exportRoutes } from './export-route.js';
import { incidentRoutes } from './incident-routes.js';
import { keyRoutes } from './key-routes.js';
import { logRoutes } from './log-routes.js';
import { proofRoutes } from './proof-routes.js';
import { streamRoutes } from './stream-route.js';
import { verifyRoutes } from './verify-route.js';

export function apiRoutes(context: CollectorContext): Route[] {
  return [
    ...eventRoutes(context),
    ...chainRoutes(context),
    ...verifyRoutes(context),
    ...logRoutes(context),
    ...proofRoutes(context),
    ...exportRoutes(context),
    ...incidentRoutes(context),
    ...keyRoutes(context),
    ...eraseRoutes(context),
    ...streamRoutes(context),
  ];
}

