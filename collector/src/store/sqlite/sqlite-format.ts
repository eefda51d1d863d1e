/**
 * `@facto/collector/sqlite-format`: the SQLite store's event body for tools that read the file
 * without the collector (an auditor's script, a migration, a test that plays the attacker). Besides
 * the codec, SQL functions for a better-sqlite3 connection, so a body field reads and writes like a
 * column:
 *
 *   registerBodyFunctions(db);
 *   db.prepare("SELECT facto_id, facto_body_get(body, 'record_json') FROM events").all();
 *   db.prepare("UPDATE events SET body = facto_body_set(body, 'name', ?) WHERE facto_id = ?").run(name, id);
 */
import type Database from 'better-sqlite3';
import { decodeEventBody, type EventBody, encodeEventBody } from './event-body.js';

export { BODY_DICTIONARY_V1, BODY_FORMAT_V1, decodeEventBody, type EventBody, encodeEventBody } from './event-body.js';

/** The body's fields by their column names in schema 3 and before. */
const FIELDS: Readonly<Record<string, keyof EventBody>> = {
  trace_id: 'traceId',
  span_id: 'spanId',
  name: 'name',
  start_time_unix_nano: 'startTimeUnixNano',
  end_time_unix_nano: 'endTimeUnixNano',
  record_json: 'recordJson',
  disclosures_json: 'disclosuresJson',
  salt: 'salt',
};

function fieldOf(name: unknown): keyof EventBody {
  const field = typeof name === 'string' ? FIELDS[name] : undefined;
  if (field === undefined) throw new TypeError(`no body field ${String(name)}; the fields are ${Object.keys(FIELDS).join(', ')}`);
  return field;
}

/** Registers facto_body_get(body, field) and facto_body_set(body, field, value) on a connection. */
export function registerBodyFunctions(database: Database.Database): void {
  database.function('facto_body_get', { deterministic: true }, (body: unknown, name: unknown) => decodeEventBody(body as Buffer)[fieldOf(name)]);
  database.function('facto_body_set', { deterministic: true }, (body: unknown, name: unknown, value: unknown) => {
    const field = fieldOf(name);
    if (value === null ? field !== 'salt' : typeof value !== 'string') throw new TypeError(`${String(name)} must be ${field === 'salt' ? 'text or null' : 'text'}`);
    return encodeEventBody({ ...decodeEventBody(body as Buffer), [field]: value });
  });
}
