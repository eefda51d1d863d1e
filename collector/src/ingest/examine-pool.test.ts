import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { FactoError } from '@facto/core';
import { HttpError } from '../http/types.js';
import { silentLogger } from '../ops/logger.js';
import { traceRequest } from '../test-helpers/http-test-context.js';
import { createExaminePool, spawnExamineWorker as spawnDefault, type ExaminePool } from './examine-pool.js';
import { examineBody } from './examine.js';

const pools: ExaminePool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

function pool(size: number): ExaminePool {
  const created = createExaminePool({ size, logger: silentLogger });
  pools.push(created);
  return created;
}

const request = traceRequest([[2, 1], [3]]);

describe('the examination pool', () => {
  it('examines on worker threads exactly as in this thread, for both encodings, many requests at once', async () => {
    const workers = pool(2);
    const inThread = examineBody(request.protobuf, 'protobuf');
    expect(inThread.layout).toEqual([[2, 1], [3]]);
    const results = await Promise.all(Array.from({ length: 6 }, (_, index) => workers.examine(index % 2 === 0 ? request.protobuf : request.json, index % 2 === 0 ? 'protobuf' : 'json')));
    for (const result of results) expect(result).toEqual(inThread);
  });

  it('answers a malformed body with the decoder error, a FactoError the HTTP layer turns into 400', async () => {
    const error = await pool(1).examine(new TextEncoder().encode('{"resourceSpans": 7}'), 'json').catch((caught: unknown) => caught);
    expect(FactoError.isInstance(error) && error.code).toBe('invalid_argument');
    expect((error as Error).message).toBe(
      (() => {
        try {
          examineBody(new TextEncoder().encode('{"resourceSpans": 7}'), 'json');
        } catch (inThread) {
          return (inThread as Error).message;
        }
        return 'accepted';
      })(),
    );
  });

  it('answers 503 for the requests a dying worker held, starts another, and refuses work once closed', async () => {
    let started = 0;
    const crashing = () => new Worker("require('node:worker_threads').parentPort.on('message', () => process.exit(3))", { eval: true });
    const workers = createExaminePool({ size: 1, logger: silentLogger, spawn: () => (started++ === 0 ? crashing() : spawnDefault()) });
    pools.push(workers);
    const lost = await workers.examine(request.json, 'json').catch((error: unknown) => error);
    expect(HttpError.isInstance(lost) && [lost.status, lost.headers['retry-after']]).toEqual([503, '1']);
    expect(await workers.examine(request.protobuf, 'protobuf')).toEqual(examineBody(request.protobuf, 'protobuf'));
    expect(started).toBe(2);
    await workers.close();
    const refused = await workers.examine(request.json, 'json').catch((error: unknown) => error);
    expect(HttpError.isInstance(refused) && refused.status).toBe(503);
  });
});
