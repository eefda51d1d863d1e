import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { decodeEventBody, encodeEventBody, registerBodyFunctions } from './sqlite-format.js';

const body = { traceId: 't', spanId: 's', name: 'chat gpt-4o', startTimeUnixNano: '1', endTimeUnixNano: '2', recordJson: '{"name":"chat gpt-4o"}', disclosuresJson: '[]', salt: 'ab' };

describe('the body SQL functions', () => {
  it('read and write a body field as if it were a column', () => {
    const database = new Database(':memory:');
    try {
      registerBodyFunctions(database);
      database.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, body BLOB)');
      database.prepare('INSERT INTO events (id, body) VALUES (1, ?)').run(encodeEventBody(body));
      expect(database.prepare("SELECT facto_body_get(body, 'record_json') FROM events").pluck().get()).toBe(body.recordJson);
      database.prepare("UPDATE events SET body = facto_body_set(facto_body_set(body, 'name', ?), 'salt', NULL)").run('tool bank.refund');
      expect(decodeEventBody(database.prepare('SELECT body FROM events').pluck().get() as Buffer)).toEqual({ ...body, name: 'tool bank.refund', salt: null });
      expect(() => database.prepare("SELECT facto_body_get(body, 'hash') FROM events").get()).toThrow(/no body field hash; the fields are trace_id/);
      expect(() => database.prepare("SELECT facto_body_set(body, 'name', NULL) FROM events").get()).toThrow(/name must be text/);
    } finally {
      database.close();
    }
  });
});
