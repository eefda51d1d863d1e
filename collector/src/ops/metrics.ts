/**
 * Prometheus metrics (prom-client, on a registry of our own so several collectors in one process do
 * not collide). Names follow Prometheus conventions: facto_ prefix, _total for counters, base units.
 *
 * The span counters other than accepted count a request's spans when it is acknowledged (answered
 * 200), by what the answer says of them: a request refused with 503 is sent again, and its spans
 * count once, with the retry. Accepted spans count when they are appended to the log.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly spansReceived: Counter<'encoding'>;
  readonly spansAccepted: Counter;
  readonly spansRejected: Counter<'reason'>;
  readonly spansDuplicate: Counter;
  readonly spansUnverified: Counter;
  readonly requests: Counter<'status'>;
  readonly bodyBytesBuffered: Gauge;
  readonly ingestInFlight: Gauge;
  readonly ingestMaxConcurrent: Gauge;
  readonly streamsOpen: Gauge;
  readonly streamsMax: Gauge;
  readonly incidents: Counter<'kind'>;
  readonly verifySeconds: Histogram;
  readonly commitSeconds: Histogram;
  readonly batchSpans: Histogram;
  readonly treeSize: Gauge;
  readonly checkpointAgeSeconds: Gauge;
  readonly checkpointPendingSeconds: Gauge;
  readonly forwardQueueDepth: Gauge;
  readonly forwardFailures: Counter;
  readonly forwardDropped: Counter;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'facto_' });
  const registers = [registry];
  return {
    registry,
    spansReceived: new Counter({ name: 'facto_spans_received_total', help: 'Spans in OTLP requests acknowledged (answered 200), by encoding', labelNames: ['encoding'], registers }),
    spansAccepted: new Counter({ name: 'facto_spans_accepted_total', help: 'Signed spans verified and appended to the log', registers }),
    spansRejected: new Counter({ name: 'facto_spans_rejected_total', help: 'Spans rejected in acknowledged requests (OTLP partial_success), by reason', labelNames: ['reason'], registers }),
    spansDuplicate: new Counter({ name: 'facto_spans_duplicate_total', help: 'Spans already in the log (retries), acknowledged without a second copy', registers }),
    spansUnverified: new Counter({ name: 'facto_spans_unverified_total', help: 'Unsigned spans in acknowledged requests, stored as unverified or queued to be forwarded only', registers }),
    requests: new Counter({ name: 'facto_ingest_requests_total', help: 'OTLP ingest requests by HTTP status', labelNames: ['status'], registers }),
    bodyBytesBuffered: new Gauge({ name: 'facto_http_body_bytes_buffered', help: 'Bytes of request bodies being read, across connections (bounded at 4 x --max-body-bytes)', registers }),
    ingestInFlight: new Gauge({ name: 'facto_ingest_requests_in_flight', help: 'OTLP ingest requests being examined and committed now, counted against --max-concurrent-ingest', registers }),
    ingestMaxConcurrent: new Gauge({ name: 'facto_ingest_max_concurrent', help: 'OTLP ingest requests that may be in flight at once (--max-concurrent-ingest); beyond, 503', registers }),
    streamsOpen: new Gauge({ name: 'facto_streams_open', help: 'Streamed answers open now (event streams, exports), counted against --max-streams', registers }),
    streamsMax: new Gauge({ name: 'facto_streams_max', help: 'Streamed answers that may be open at once (--max-streams); beyond, 503', registers }),
    incidents: new Counter({ name: 'facto_security_incidents_total', help: 'Security incidents found, by kind (repeats included; the store counts them on one row)', labelNames: ['kind'], registers }),
    verifySeconds: new Histogram({ name: 'facto_verify_seconds', help: 'Time to verify one request\'s spans (hash, signature)', buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers }),
    commitSeconds: new Histogram({ name: 'facto_commit_seconds', help: 'Time to sequence and durably commit one batch', buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers }),
    batchSpans: new Histogram({ name: 'facto_batch_spans', help: 'Spans per ingest request', buckets: [1, 5, 10, 50, 100, 500, 1000, 5000], registers }),
    treeSize: new Gauge({ name: 'facto_log_tree_size', help: 'Leaves in the Merkle log', registers }),
    checkpointAgeSeconds: new Gauge({ name: 'facto_checkpoint_age_seconds', help: 'Seconds since the latest signed checkpoint', registers }),
    checkpointPendingSeconds: new Gauge({
      name: 'facto_checkpoint_pending_seconds',
      help: 'Seconds the oldest log entry no signed checkpoint covers has waited; 0 when the latest checkpoint covers the whole log',
      registers,
    }),
    forwardQueueDepth: new Gauge({ name: 'facto_forward_queue_depth', help: "Requests waiting to be forwarded downstream (in the store's queue, shared on PostgreSQL)", registers }),
    forwardFailures: new Counter({ name: 'facto_forward_failures_total', help: 'Forward attempts that failed in a way OTLP retries (network error, timeout, 429, 502, 503, 504)', registers }),
    forwardDropped: new Counter({ name: 'facto_forward_dropped_total', help: 'Requests not forwarded: the queue was full (not counted: one answered 503 for its unsigned spans, which the sender retries), or delivery was given up (retries spent, refused by the downstream, shutdown of an in-memory database)', registers }),
  };
}
