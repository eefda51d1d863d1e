/**
 * The connection pool and how the store names its server. A `postgres://` URL may carry a password;
 * `describeTarget` is the only form of it that reaches a message or a log line. Numbers: bigint
 * columns (leaf indices, seq, milliseconds) come back as JavaScript numbers rather than pg's default
 * strings; every value the log stores stays below 2^53, and the conversion is per pool, so other pg
 * users in the same process keep their defaults. Text: every string parameter is escaped and every
 * text value read back unescaped (text-escape.ts), here, for every query of the pool, so no statement
 * written later can forget to.
 */
import pg from 'pg';
import { escapeParameters, unescapeText } from './text-escape.js';

/** user@host:port/database, from a postgres:// URL, with the password left out. */
export function describeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
    const database = parsed.pathname.replace(/^\//, '') || '(default database)';
    return `${user}${parsed.host || 'localhost'}/${decodeURIComponent(database)}`;
  } catch {
    return 'the PostgreSQL server named in --db (the URL does not parse)';
  }
}

/** A postgres:// or postgresql:// URL with any password replaced, for logs that show the setting. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

const INT8_OID = 20;
const TEXT_OID = 25;
const VARCHAR_OID = 1043;

const types = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    if ((oid === TEXT_OID || oid === VARCHAR_OID) && format !== 'binary') return unescapeText;
    return pg.types.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser,
};

/**
 * A pg client whose queries send their string parameters escaped; the pool makes every connection one.
 * What it covers is what the store's statements use: strings and flat arrays of strings as
 * parameters, text and varchar results. A nested array or an object with toPostgres() would go
 * unescaped (and a U+0000 in it refused by the server, not stored altered); a text[] or name result
 * would come back escaped; SQL string functions (length, LIKE) see the escaped form. No statement
 * here uses any of them.
 */
class TextEscapingClient extends pg.Client {
  // pg.Client.query's overloads, all passed through: (text | config | submittable, values?, callback?).
  override query(...args: unknown[]): never {
    let [config, values] = args;
    const callback = args[2];
    if (typeof config === 'object' && config !== null && typeof (config as { submit?: unknown }).submit !== 'function') {
      const { values: configValues } = config as { values?: unknown };
      if (Array.isArray(configValues)) config = { ...config, values: escapeParameters(configValues) };
    }
    if (Array.isArray(values)) values = escapeParameters(values);
    return (super.query as (...passed: unknown[]) => never)(config, values, callback);
  }
}

export interface PoolOptions {
  readonly url: string;
  /** Connections per process. At least 2: the sequencer transaction holds one while reads use another. */
  readonly maxConnections: number;
  /** How long to wait for a connection (from the server or the pool) before the request gets a 503. */
  readonly connectTimeoutMillis: number;
}

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections,
    connectionTimeoutMillis: options.connectTimeoutMillis,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    types,
    Client: TextEscapingClient,
    application_name: 'facto-collector',
  });
  // An idle connection the server closed (a restart, an administrator) is reported here; the pool
  // drops it and the next query opens a new one. Without a listener Node would crash the process.
  pool.on('error', () => undefined);
  return pool;
}
