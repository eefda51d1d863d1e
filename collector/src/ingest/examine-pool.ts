/**
 * Worker threads for phase one of ingest (examine.ts: decode, rebuild, hash, verify), so signature
 * verification uses every core while the main thread serves HTTP and the sequencer lane commits.
 * Each request goes to the least busy worker; a worker that dies is replaced, and the requests it
 * held are answered 503 (the exporter retries; nothing was acknowledged). With `size: 0` requests
 * are examined in-thread, which is also what a runtime without worker threads gets.
 */
import { Worker } from 'node:worker_threads';
import { FactoError, type FactoErrorCode } from '@facto/core';
import { HttpError } from '../http/types.js';
import type { Logger } from '../ops/logger.js';
import type { OtlpContentType } from '../otlp/decoded-trace-request.js';
import { examineBody, type ExaminedRequest, type ExamineOptions } from './examine.js';

export interface ExaminePool {
  examine(body: Uint8Array, contentType: OtlpContentType): Promise<ExaminedRequest>;
  /** Starts the workers now rather than on the first request, so that request does not wait for them to load. */
  warm(): void;
  readonly size: number;
  close(): Promise<void>;
}

interface Pending {
  readonly resolve: (result: ExaminedRequest) => void;
  readonly reject: (error: Error) => void;
}

interface PooledWorker {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

type Reply = { id: number; result: ExaminedRequest } | { id: number; error: { code?: FactoErrorCode; message: string } };

// Tests run the collector from its TypeScript sources; a worker thread then needs the same hooks.
const fromSources = import.meta.url.endsWith('.ts');

export function spawnExamineWorker(options: ExamineOptions = {}): Worker {
  const workerData: ExamineOptions = { prepareBodies: options.prepareBodies === true };
  if (!fromSources) return new Worker(new URL('./examine-worker.js', import.meta.url), { workerData });
  return new Worker(new URL('./examine-worker.ts', import.meta.url), { workerData, execArgv: ['--import', new URL('../test-helpers/register-typescript.mjs', import.meta.url).href] });
}

export interface ExaminePoolOptions {
  /** Worker threads; 0 examines in this thread. */
  readonly size: number;
  readonly logger: Logger;
  /** Starts a worker (tests pass one that fails on cue). Default: examine-worker. */
  readonly spawn?: () => Worker;
  /** Passed to every examination, in-thread or in a worker (the SQLite store has its bodies prepared). */
  readonly examine?: ExamineOptions;
}

export function createExaminePool(options: ExaminePoolOptions): ExaminePool {
  const { size, logger } = options;
  const examineOptions = options.examine ?? {};
  const startWorker = options.spawn ?? (() => spawnExamineWorker(examineOptions));
  if (size === 0) {
    return { size, examine: async (body, contentType) => examineBody(body, contentType, examineOptions), warm: () => undefined, close: async () => undefined };
  }
  const workers: PooledWorker[] = [];
  let nextId = 0;
  let closed = false;

  const start = (): PooledWorker => {
    const pooled: PooledWorker = { worker: startWorker(), pending: new Map() };
    pooled.worker.on('message', (reply: Reply) => {
      const pending = pooled.pending.get(reply.id);
      if (pending === undefined) return;
      pooled.pending.delete(reply.id);
      if ('result' in reply) pending.resolve(reply.result);
      else pending.reject(reply.error.code === undefined ? new Error(reply.error.message) : new FactoError(reply.error.code, reply.error.message));
    });
    let stopped = false;
    const fail = (reason: string) => {
      if (stopped) return;
      stopped = true;
      const index = workers.indexOf(pooled);
      if (index >= 0) workers.splice(index, 1);
      for (const pending of pooled.pending.values()) pending.reject(new HttpError(503, 'a verification worker stopped; retry later', { 'retry-after': '1' }));
      pooled.pending.clear();
      if (!closed) logger.error('an examination worker stopped; starting another', { reason });
    };
    pooled.worker.on('error', (error) => fail(error.message));
    pooled.worker.on('exit', (code) => fail(`exit code ${code}`));
    workers.push(pooled);
    return pooled;
  };

  const fill = () => {
    while (workers.length < size) start();
  };
  return {
    size,
    warm() {
      if (!closed) fill();
    },
    examine(body, contentType) {
      if (closed) return Promise.reject(new HttpError(503, 'the collector is shutting down; retry later', { 'retry-after': '1' }));
      // Workers start when warmed or on first use, and are replaced when they stop, up to `size`.
      fill();
      const least = workers.reduce((best, candidate) => (candidate.pending.size < best.pending.size ? candidate : best));
      const id = nextId++;
      return new Promise<ExaminedRequest>((resolve, reject) => {
        least.pending.set(id, { resolve, reject });
        least.worker.postMessage({ id, body, contentType });
      });
    },
    async close() {
      closed = true;
      await Promise.all(workers.splice(0).map((pooled) => pooled.worker.terminate()));
    },
  };
}
