/**
 * A SQLite file damaged under the collector (a body that does not decode, an event naming a context
 * row that is gone): reading such an event is the store's failure, answered as SQLITE_CORRUPT is
 * (503 with the fixed sentence, the detail in the operator's log), not a 400 that blamed the client
 * and carried the store's internals in its body.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../collector/src/ops/logger.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { otlpJson, TestAgent } from '../support/signed-spans.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a damaged SQLite store', () => {
  it('answers 503 without internals for an event whose body or context is damaged, and logs what is damaged', async () => {
    const first = await startTestCollector();
    const agent = new TestAgent('damaged-agent');
    expect((await first.post('/v1/traces', otlpJson([agent.next('one'), agent.next('two'), agent.next('three')]))).status).toBe(200);
    const { events } = await first.json<{ events: { facto_id: string; name: string }[] }>('/v1/events?order=asc');
    const [badBody, badContext, intact] = events.map((event) => event.facto_id);
    await first.close();

    const database = new Database(`${first.directory}/facto.db`);
    database.pragma('foreign_keys = OFF');
    database.prepare("UPDATE events SET body = X'01ff00' WHERE facto_id = ?").run(badBody);
    database.prepare('UPDATE events SET context_id = 999 WHERE facto_id = ?').run(badContext);
    database.close();

    const logs: Record<string, unknown>[] = [];
    const logger = createLogger('info', (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
    const collector: TestCollector = await startTestCollector({}, { logger }, first.directory);
    cleanups.push(() => collector.stop());

    for (const factoId of [badBody, badContext]) {
      const response = await collector.get(`/v1/events/${factoId}`);
      expect([response.status, await response.json()]).toEqual([503, { error: 'storage is temporarily unavailable; retry later' }]);
    }
    const said = JSON.stringify(logs.filter((line) => line.level === 'error'));
    expect(said).toContain(`SQLite store is damaged: the body of event ${badBody} does not decode`);
    expect((await collector.get(`/v1/events/${intact}`)).status).toBe(200);
    // One damaged row does not take the collector out of service: the rest of the store works.
    expect((await collector.get('/readyz')).status).toBe(200);
  });
});
