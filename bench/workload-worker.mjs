/**
 * Signs a share of a benchmark workload on its own thread (sealing is CPU work; the load generator
 * splits it over the cores before it starts sending) and posts back the OTLP/protobuf bodies.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { realisticWorkload } from './realistic-spans.mjs';

const { requests, publicKeys, spans } = realisticWorkload(workerData);
parentPort.postMessage({ requests, publicKeys, spans }, requests.map((body) => body.buffer));
