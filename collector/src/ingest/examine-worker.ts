/**
 * The examination worker: receives request bodies from the pool (examine-pool.ts), examines them
 * (examine.ts) and posts the result back. A failure to decode travels back as its code and message,
 * so the lane answers exactly what it would have answered examining in-thread.
 *
 * Prepared bodies (when the pool asks for them, workerData.prepareBodies) are copied into one buffer
 * that is transferred, not cloned: a view per span into it, and one move for the whole request.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FactoError } from '@facto/core';
import type { OtlpContentType } from '../otlp/decoded-trace-request.js';
import { examineBody, type ExamineOptions, packPreparedBodies } from './examine.js';

export interface ExamineJob {
  readonly id: number;
  readonly body: Uint8Array;
  readonly contentType: OtlpContentType;
}

if (parentPort === null) throw new Error('examine-worker.ts runs as a worker thread of the examination pool');
const port = parentPort;
const options: ExamineOptions = { prepareBodies: (workerData as ExamineOptions | undefined)?.prepareBodies === true };

port.on('message', (job: ExamineJob) => {
  try {
    const { result, buffer } = packPreparedBodies(examineBody(job.body, job.contentType, options));
    port.postMessage({ id: job.id, result }, [buffer]);
  } catch (error) {
    const code = FactoError.isInstance(error) ? error.code : undefined;
    port.postMessage({ id: job.id, error: { code, message: error instanceof Error ? error.message : String(error) } });
  }
});
