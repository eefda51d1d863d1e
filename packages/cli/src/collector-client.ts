/**
 * The collector's API as the commands use it: the endpoint and bearer token every command that talks
 * to a collector takes (--endpoint, else FACTO_ENDPOINT, else http://127.0.0.1:4318), and requests
 * whose failures become CliErrors with the right exit code and a sentence that says what to do: an
 * unreachable collector, a refused token, a 404, a 400 naming the parameter.
 *
 * Tokens: --token is sent on every request the command makes. Without it, each request carries the
 * token of its route's class from the variable the collector itself reads for that class
 * (FACTO_QUERY_TOKEN, or FACTO_ADMIN_TOKEN on /v1/admin/), so one environment that holds the
 * collector's tokens, the agent's FACTO_INGEST_TOKEN among them, never sends one class's token to
 * another, even within one command (a verify without --key reads the admin key registry).
 */
import { CliError } from './cli-error.js';
import { EXIT_CONFLICT, EXIT_DENIED, EXIT_NOT_FOUND, EXIT_UNAVAILABLE, EXIT_USAGE } from './cli-io.js';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4318';
/** A request that has not been answered in this long is given up (streams excepted). */
const ANSWER_TIMEOUT_MILLIS = 60_000;

/** The flags every collector command takes, for parseFlags. */
export const CONNECTION_FLAGS = { endpoint: { type: 'string' }, token: { type: 'string' } } as const;

/** The collector's token classes the commands call (docs/api.md, "Access"). */
export type Access = 'query' | 'admin';

/** Where a request's token comes from without --token: the variable the collector reads for that class. */
export const TOKEN_VARIABLE: Readonly<Record<Access, string>> = { query: 'FACTO_QUERY_TOKEN', admin: 'FACTO_ADMIN_TOKEN' };

/** The class of a route, by its path. */
export const accessOf = (path: string): Access => (path.startsWith('/v1/admin/') ? 'admin' : 'query');

export const CONNECTION_USAGE = `  --endpoint URL   The collector (default: FACTO_ENDPOINT, else ${DEFAULT_ENDPOINT}).
  --token TOKEN    Bearer token sent on every request (default: FACTO_QUERY_TOKEN, and
                   FACTO_ADMIN_TOKEN on the admin routes, as the collector reads them).`;

export interface Connection {
  readonly endpoint: string;
  /** --token, sent on every request. */
  readonly token: string | undefined;
  /** Without --token: each class's token from the environment, sent only on that class's routes. */
  readonly tokens: Readonly<Record<Access, string | undefined>>;
  /** FACTO_TOKEN is set: the variable read before the class names; a refusal says it is not read now. */
  readonly ignoredFactoToken?: boolean;
}

const nonEmpty = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

export function resolveConnection(flags: { endpoint?: string; token?: string }, env: Record<string, string | undefined>): Connection {
  const endpoint = flags.endpoint ?? (env.FACTO_ENDPOINT || DEFAULT_ENDPOINT);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new CliError(`--endpoint: ${JSON.stringify(endpoint)} is not a URL; expected http://HOST:PORT`, EXIT_USAGE);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--endpoint: expected an http:// or https:// URL, got ${JSON.stringify(endpoint)}`, EXIT_USAGE);
  return {
    endpoint: endpoint.replace(/\/+$/, ''),
    token: nonEmpty(flags.token),
    tokens: { query: nonEmpty(env[TOKEN_VARIABLE.query]), admin: nonEmpty(env[TOKEN_VARIABLE.admin]) },
    ...(nonEmpty(env.FACTO_TOKEN) === undefined ? {} : { ignoredFactoToken: true }),
  };
}

/** The token a request to `path` carries, if any. */
function tokenFor(connection: Connection, path: string): string | undefined {
  return connection.token ?? connection.tokens[accessOf(path)];
}

/**
 * Why a request was refused: the `error` of the collector's JSON error answer, which every error of
 * its API is; or, from anything else (a proxy, another server on the port), the start of what was
 * said, on one line.
 */
async function reasonOf(response: Response): Promise<{ reason: string; fromCollector: boolean }> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === 'string') return { reason: parsed.error, fromCollector: true };
  } catch {
    // Not JSON: a proxy's page, say.
  }
  const said = text.replace(/\s+/g, ' ').trim();
  return { reason: (said.length > 100 ? `${said.slice(0, 100)}…` : said) || response.statusText, fromCollector: false };
}

export class CollectorClient {
  constructor(readonly connection: Connection) {}

  get endpoint(): string {
    return this.connection.endpoint;
  }

  /**
   * Sends the request; any answer but 2xx becomes a CliError. The answer must start within the
   * timeout; a streamed body may then take as long as it takes.
   */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const token = tokenFor(this.connection, path);
    if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException('no answer', 'TimeoutError')), ANSWER_TIMEOUT_MILLIS);
    let response: Response;
    try {
      response = await fetch(this.endpoint + path, { ...init, headers, signal: init.signal ? AbortSignal.any([timeout.signal, init.signal]) : timeout.signal });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw this.unreachable(timeout.signal.aborted ? timeout.signal.reason : error);
    } finally {
      clearTimeout(timer);
    }
    if (response.ok) return response;
    const { reason, fromCollector } = await reasonOf(response);
    const what = `${init.method ?? 'GET'} ${path.split('?')[0]}`;
    if (response.status === 401 || response.status === 403) {
      throw new CliError(`the collector refused access (${response.status}: ${reason}): pass the right token with --token or ${TOKEN_VARIABLE[accessOf(path)]}${this.connection.ignoredFactoToken ? ' (FACTO_TOKEN is not read)' : ''}`, EXIT_DENIED);
    }
    // A 404 or 400 that is not the collector's own says nothing about the event or the request: the
    // endpoint is something else (another server on the port), which is not "not found" (exit 5).
    if (!fromCollector && response.status < 500) {
      throw new CliError(`${this.endpoint} answered ${what} with ${response.status} (${reason}), not as a Facto collector does: is it one? Set --endpoint or FACTO_ENDPOINT`, EXIT_UNAVAILABLE);
    }
    if (response.status === 404) throw new CliError(reason, EXIT_NOT_FOUND);
    if (response.status === 409) throw new CliError(reason, EXIT_CONFLICT);
    if (response.status === 400) throw new CliError(`the collector refused the request: ${reason}`, EXIT_USAGE);
    throw new CliError(`the collector failed to answer ${what} (${response.status}: ${reason})`, EXIT_UNAVAILABLE);
  }

  async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await this.request(path, init);
    try {
      return (await response.json()) as T;
    } catch {
      throw new CliError(`the collector's answer to ${path.split('?')[0]} is not JSON: is ${this.endpoint} a Facto collector?`, EXIT_UNAVAILABLE);
    }
  }

  async text(path: string): Promise<string> {
    return (await this.request(path)).text();
  }

  postJson<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  unreachable(error: unknown): CliError {
    if (error instanceof DOMException && error.name === 'TimeoutError') return new CliError(`the collector at ${this.endpoint} did not answer within ${ANSWER_TIMEOUT_MILLIS / 1000} s`, EXIT_UNAVAILABLE);
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message ?? (error as Error).message;
    return new CliError(`cannot reach the collector at ${this.endpoint} (${detail}): is it running? Set --endpoint or FACTO_ENDPOINT`, EXIT_UNAVAILABLE);
  }
}
