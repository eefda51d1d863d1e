/**
 * The collector client's promise: every way a request can fail becomes one line that says what to
 * do, with the exit code scripts rely on. A node:http server stands in for the collector's answers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from './cli-error.js';
import { CollectorClient, resolveConnection } from './collector-client.js';

let server: http.Server;
let url: string;
let lastAuthorization: string | undefined;
const NO_ENV_TOKENS = { query: undefined, admin: undefined };

beforeAll(async () => {
  server = http.createServer((request, response) => {
    lastAuthorization = request.headers.authorization;
    const answers: Record<string, [number, string]> = {
      '/ok': [200, '{"fine":true}'],
      '/v1/admin/keys': [200, '{"keys":[]}'],
      '/v1/admin/keys?agent_id=x': [200, '{"keys":[]}'],
      '/v1/admin/denied': [401, '{"error":"invalid bearer token"}'],
      '/denied': [401, '{"error":"missing bearer token"}'],
      '/missing': [404, '{"error":"no event with facto_id ft-x"}'],
      '/bad': [400, '{"error":"since must be an RFC 3339 time"}'],
      '/conflict': [409, '{"error":"key k is already registered to agent \\"a\\""}'],
      '/broken': [503, '{"error":"storage is temporarily unavailable; retry later"}'],
      '/html': [200, '<html>a proxy</html>'],
      // Another server on the port, and a proxy in front of a collector that is down.
      '/elsewhere': [404, '<html>\n  <h1>Not Found</h1>\n</html>\n'],
      '/gateway': [502, '<html>\n  <h1>Bad Gateway</h1>\n</html>\n'],
    };
    const [status, body] = answers[request.url!] ?? [500, 'boom'];
    response.writeHead(status, { 'content-type': body.startsWith('<') ? 'text/html' : 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function failure(path: string, client = new CollectorClient({ endpoint: url, token: undefined, tokens: NO_ENV_TOKENS })): Promise<CliError> {
  const error = await client.json(path).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!CliError.isInstance(error)) throw new Error(`expected a CliError, got ${String(error)}`);
  return error;
}

describe('CollectorClient', () => {
  it('sends the bearer token and reads JSON', async () => {
    expect(await new CollectorClient({ endpoint: url, token: 's3cret', tokens: NO_ENV_TOKENS }).json('/ok')).toEqual({ fine: true });
    expect(lastAuthorization).toBe('Bearer s3cret');
  });

  it.each([
    ['/denied', 4, 'the collector refused access (401: missing bearer token): pass the right token with --token or FACTO_QUERY_TOKEN'],
    ['/missing', 5, 'no event with facto_id ft-x'],
    ['/bad', 2, 'the collector refused the request: since must be an RFC 3339 time'],
    ['/conflict', 6, 'key k is already registered to agent "a"'],
    ['/broken', 3, 'the collector failed to answer GET /broken (503: storage is temporarily unavailable; retry later)'],
    ['/html', 3, "the collector's answer to /html is not JSON: is"],
    ['/elsewhere', 3, 'answered GET /elsewhere with 404 (<html> <h1>Not Found</h1> </html>), not as a Facto collector does: is it one? Set --endpoint or FACTO_ENDPOINT'],
    ['/gateway', 3, 'the collector failed to answer GET /gateway (502: <html> <h1>Bad Gateway</h1> </html>)'],
  ])('turns %s into exit %i', async (path, code, message) => {
    const error = await failure(path);
    expect(error.exitCode).toBe(code);
    expect(error.message).toContain(message);
  });

  it('says how to point it elsewhere when nothing listens', async () => {
    // A port that was just free: nothing listens on it.
    const spare = http.createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    const port = (spare.address() as AddressInfo).port;
    await new Promise<void>((resolve) => spare.close(() => resolve()));
    const error = await failure('/ok', new CollectorClient({ endpoint: `http://127.0.0.1:${port}`, token: undefined, tokens: NO_ENV_TOKENS }));
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe(`cannot reach the collector at http://127.0.0.1:${port} (ECONNREFUSED): is it running? Set --endpoint or FACTO_ENDPOINT`);
  });
});

describe('resolveConnection', () => {
  it('takes the flag, else FACTO_ENDPOINT, else the default; --token as given, and each class\'s token from its variable', () => {
    expect(resolveConnection({}, {})).toEqual({ endpoint: 'http://127.0.0.1:4318', token: undefined, tokens: NO_ENV_TOKENS });
    expect(resolveConnection({}, { FACTO_ENDPOINT: 'https://facto.example/', FACTO_QUERY_TOKEN: 'q', FACTO_ADMIN_TOKEN: 'a' })).toEqual({ endpoint: 'https://facto.example', token: undefined, tokens: { query: 'q', admin: 'a' } });
    expect(resolveConnection({ endpoint: 'http://h:1', token: 'flag' }, { FACTO_ENDPOINT: 'http://other', FACTO_QUERY_TOKEN: '' })).toEqual({ endpoint: 'http://h:1', token: 'flag', tokens: NO_ENV_TOKENS });
  });

  it("sends each route its own class's token from the environment, never another's; --token on every route", async () => {
    const fromEnv = new CollectorClient(resolveConnection({ endpoint: url }, { FACTO_INGEST_TOKEN: 'i', FACTO_QUERY_TOKEN: 'q', FACTO_ADMIN_TOKEN: 'a' }));
    await fromEnv.json('/ok');
    expect(lastAuthorization).toBe('Bearer q');
    await fromEnv.json('/v1/admin/keys?agent_id=x');
    expect(lastAuthorization).toBe('Bearer a');
    const onlyQuery = new CollectorClient(resolveConnection({ endpoint: url }, { FACTO_QUERY_TOKEN: 'q' }));
    await onlyQuery.json('/v1/admin/keys');
    expect(lastAuthorization).toBeUndefined();
    const flag = new CollectorClient(resolveConnection({ endpoint: url, token: 'f' }, { FACTO_QUERY_TOKEN: 'q', FACTO_ADMIN_TOKEN: 'a' }));
    await flag.json('/v1/admin/keys');
    expect(lastAuthorization).toBe('Bearer f');
  });

  it('names the variable of the refused route\'s class, and says FACTO_TOKEN is not read when it is set', async () => {
    const error = await failure('/v1/admin/denied');
    expect(error.message).toMatch(/pass the right token with --token or FACTO_ADMIN_TOKEN$/);
    const legacy = await failure('/denied', new CollectorClient(resolveConnection({ endpoint: url }, { FACTO_TOKEN: 'old' })));
    expect(legacy.message).toMatch(/pass the right token with --token or FACTO_QUERY_TOKEN \(FACTO_TOKEN is not read\)$/);
    expect(lastAuthorization).toBeUndefined();
  });

  it('refuses what is not an http URL, as a usage error', () => {
    expect(() => resolveConnection({ endpoint: 'localhost:4318' }, {})).toThrow(/expected an http:\/\/ or https:\/\/ URL/);
    expect(() => resolveConnection({ endpoint: 'not a url' }, {})).toThrow(/is not a URL/);
  });
});
