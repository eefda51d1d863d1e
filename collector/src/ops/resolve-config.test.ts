import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FactoError } from '@facto/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config.js';
import { configHelp, isLoopbackHost, resolveConfig } from './resolve-config.js';
import { isPostgresUrl } from '../store/postgres/postgres-store.js';

const directory = mkdtempSync(join(tmpdir(), 'facto-config-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function configFile(content: unknown, name = `config-${Math.random().toString(36).slice(2)}.json`): string {
  const path = join(directory, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The FactoError message resolveConfig throws, asserting the error's kind on the way. */
function failure(options: Parameters<typeof resolveConfig>[0]): string {
  try {
    resolveConfig(options);
  } catch (error) {
    expect(FactoError.isInstance(error)).toBe(true);
    expect((error as FactoError).code).toBe('invalid_argument');
    return (error as Error).message;
  }
  throw new Error('resolveConfig did not throw');
}

const TOKENS = { FACTO_INGEST_TOKEN: 'ingest-secret-1', FACTO_QUERY_TOKEN: 'query-secret-2', FACTO_ADMIN_TOKEN: 'admin-secret-3' };

describe('resolveConfig precedence', () => {
  it('is DEFAULT_CONFIG with nothing set', () => {
    expect(resolveConfig({ argv: [], env: {} })).toEqual(DEFAULT_CONFIG);
  });

  it('takes flags over environment over file over defaults, field by field', () => {
    const config = configFile({ port: 1111, trust: 'strict', checkpointInterval: 30, logLevel: 'warn' });
    const resolved = resolveConfig({
      argv: ['--port', '3333', '--config', config],
      env: { FACTO_PORT: '2222', FACTO_TRUST: 'tofu' },
    });
    expect(resolved.port).toBe(3333);
    expect(resolved.trust).toBe('tofu');
    expect(resolved.checkpointInterval).toBe(30);
    expect(resolved.logLevel).toBe('warn');
    expect(resolved.unsigned).toBe(DEFAULT_CONFIG.unsigned);
  });

  it('reads the config file named by FACTO_CONFIG, relative to cwd, and --config wins over it', () => {
    configFile({ port: 4000 }, 'from-env.json');
    const flagged = configFile({ port: 5000 });
    expect(resolveConfig({ argv: [], env: { FACTO_CONFIG: 'from-env.json' }, cwd: directory }).port).toBe(4000);
    expect(resolveConfig({ argv: [`--config=${flagged}`], env: { FACTO_CONFIG: 'from-env.json' }, cwd: directory }).port).toBe(5000);
  });

  it('accepts --name=value and --name value, every flag, and every environment variable', () => {
    const flags = [
      '--host=127.0.0.2', '--port', '0', '--db', 'postgres://user:pw@db:5432/facto', '--trust', 'strict', '--keys', 'keys.json',
      '--unsigned=store', '--forward', 'https://otel.example:4318/v1/traces', '--checkpoint-interval', '5', '--log-key', 'k.pem',
      '--origin', 'facto.example.com/log', '--max-body-bytes', '1024', '--read-timeout', '9', '--max-concurrent-ingest', '2', '--max-streams', '3', '--replay-window', '0',
      '--ingest-token', 'a', '--query-token', 'b', '--admin-token', 'c', '--forward-queue-size', '7', '--forward-queue-bytes', '2048', '--forward-concurrency', '3', '--log-level', 'debug',
      '--forward-headers', 'authorization=Bearer%20abc,x-tenant=acme',
    ];
    const expected = {
      host: '127.0.0.2', port: 0, db: 'postgres://user:pw@db:5432/facto', trust: 'strict', keys: 'keys.json', unsigned: 'store',
      forward: 'https://otel.example:4318/v1/traces', checkpointInterval: 5, logKey: 'k.pem', origin: 'facto.example.com/log',
      maxBodyBytes: 1024, readTimeout: 9, maxConcurrentIngest: 2, maxStreams: 3, replayWindowSeconds: 0, ingestToken: 'a', queryToken: 'b', adminToken: 'c',
      forwardQueueSize: 7, forwardQueueBytes: 2048, forwardConcurrency: 3, logLevel: 'debug', forwardHeaders: 'authorization=Bearer%20abc,x-tenant=acme',
    };
    expect(resolveConfig({ argv: flags, env: {} })).toEqual(expected);
    const env: Record<string, string> = {};
    for (let index = 0; index < flags.length; index++) {
      const [name, inline] = flags[index]!.slice(2).split('=');
      env[`FACTO_${name!.toUpperCase().replaceAll('-', '_')}`] = inline ?? flags[++index]!;
    }
    expect(resolveConfig({ argv: [], env })).toEqual(expected);
  });

  it('treats empty environment variables and null file values as unset', () => {
    const config = configFile({ forward: null, port: 4500 });
    expect(resolveConfig({ argv: [], env: { FACTO_PORT: '', FACTO_CONFIG: config } })).toMatchObject({ forward: undefined, port: 4500 });
  });

  it('resolves relative paths in a config file against its directory, and leaves URLs alone', () => {
    mkdirSync(join(directory, 'etc'), { recursive: true });
    const config = configFile({ keys: 'keys.json', logKey: '/abs/log-key.pem', db: 'postgres://db/facto' }, 'etc/paths.json');
    const resolved = resolveConfig({ argv: ['--config', config], env: {} });
    expect(resolved.keys).toBe(join(directory, 'etc', 'keys.json'));
    expect(resolved.logKey).toBe('/abs/log-key.pem');
    expect(resolved.db).toBe('postgres://db/facto');
  });

  it('unbrackets an IPv6 host', () => {
    expect(resolveConfig({ argv: ['--host', '[::1]'], env: {} }).host).toBe('::1');
  });
});

describe('resolveConfig validation', () => {
  it.each([
    [['--prot', '1'], '--prot'],
    [['--port'], '--port needs a value'],
    [['--port', '--db', 'x'], '--port needs a value'],
    [['--port', '65536'], '--port: expected an integer from 0 to 65535'],
    [['--port', '-1'], '--port: expected an integer from 0 to 65535 (got "-1")'],
    [['--port=http'], '--port: expected an integer from 0 to 65535 (got "http")'],
    [['--checkpoint-interval', '1.5'], '--checkpoint-interval: expected an integer from 1 to 86400'],
    [['--checkpoint-interval', '0'], '--checkpoint-interval: expected an integer'],
    [['--max-body-bytes', '1e6'], '--max-body-bytes: expected an integer'],
    [['--trust', 'maybe'], '--trust: expected one of strict, tofu (got "maybe")'],
    [['--unsigned', 'drop'], '--unsigned: expected one of reject, store, forward'],
    [['--log-level', 'trace'], '--log-level: expected one of debug, info, warn, error'],
    [['--forward', 'ftp://x/v1/traces'], '--forward: expected an http:// or https:// URL'],
    [['--forward', 'not a url'], '--forward: expected an http:// or https:// URL'],
    [['--db', 'mysql://db/facto'], '--db: expected a SQLite file path or a postgres:// URL'],
    [['--host', 'bad host!'], '--host: expected an IP address or host name'],
    [['--origin', 'has space'], '--origin: expected a non-empty line without spaces or "+"'],
    [['--allow-open=perhaps'], '--allow-open: expected true or false'],
    [['--allow-open=constructor'], '--allow-open: expected true or false'],
    [['stray'], 'unexpected argument #1'],
  ])('rejects %j naming the flag', (argv, message) => {
    expect(failure({ argv, env: {} })).toContain(message);
  });

  it('lists the accepted flags for an unknown one', () => {
    expect(failure({ argv: ['--verbose'], env: {} })).toMatch(/unknown flag --verbose \(accepted: --host, --port, .*--allow-open, --config\)/);
  });

  it.each([
    ['FACTO_PORT', 'http', 'FACTO_PORT: expected an integer from 0 to 65535 (got "http")'],
    ['FACTO_TRUST', 'STRICT', 'FACTO_TRUST: expected one of strict, tofu'],
    ['FACTO_UNSIGNED', 'yes', 'FACTO_UNSIGNED: expected one of reject, store, forward'],
    ['FACTO_FORWARD', 'otelcol:4318', 'FACTO_FORWARD: expected an http:// or https:// URL'],
    ['FACTO_CHECKPOINT_INTERVAL', 'ten', 'FACTO_CHECKPOINT_INTERVAL: expected an integer'],
    ['FACTO_ALLOW_OPEN', 'sure', 'FACTO_ALLOW_OPEN: expected true or false'],
  ])('rejects %s=%s naming the variable', (name, value, message) => {
    expect(failure({ argv: [], env: { [name]: value } })).toContain(message);
  });

  it('names the file and key for a bad config file value, and keeps types strict', () => {
    const path = configFile({ port: '4318' });
    expect(failure({ argv: ['--config', path], env: {} })).toBe(`config file ${path}, key "port": expected an integer from 0 to 65535 (got "4318")`);
    const trust = configFile({ trust: 'always' });
    expect(failure({ argv: ['--config', trust], env: {} })).toContain(`config file ${trust}, key "trust": expected one of strict, tofu`);
  });

  it('rejects unknown config file keys, listing the accepted ones', () => {
    const path = configFile({ checkpoint_interval: 5 });
    expect(failure({ argv: ['--config', path], env: {} })).toMatch(new RegExp(`config file ${path}: unknown key "checkpoint_interval" \\(accepted: host, port, .*checkpointInterval`));
  });

  it('rejects a missing, non-JSON or non-object config file', () => {
    expect(failure({ argv: ['--config', join(directory, 'absent.json')], env: {} })).toContain('absent.json: cannot read it as JSON (ENOENT)');
    expect(failure({ argv: [], env: { FACTO_CONFIG: configFile('{ port: 1 }') } })).toMatch(/config file .*: cannot read it as JSON \(not valid JSON: at offset 2: expected a string\)/);
    // One meaning per file: a key written twice is refused, as the API refuses a repeated parameter.
    expect(failure({ argv: ['--config', configFile('{ "port": 0, "port": 1 }')], env: {} })).toMatch(/config file .*: cannot read it as JSON \(not valid JSON: at offset 13: duplicate member name "port"\)/);
    expect(failure({ argv: ['--config', configFile('{ "adminToken": "hunter2 x", "adminToken": "y" }')], env: {} })).not.toContain('hunter2');
    expect(failure({ argv: ['--config', configFile([1, 2])], env: {} })).toContain('expected a JSON object');
  });

  it('never quotes a token, nor the password in a URL', () => {
    const secret = 'hunter2 with spaces';
    for (const message of [
      failure({ argv: ['--ingest-token', secret], env: {} }),
      failure({ argv: [], env: { FACTO_QUERY_TOKEN: secret } }),
      failure({ argv: ['--config', configFile({ adminToken: secret })], env: {} }),
      failure({ argv: ['--config', configFile({ adminToken: 12345 })], env: {} }),
      failure({ argv: [`--ingest-tokn=${secret}`], env: {} }),
      failure({ argv: ['--ingest-token', 'x', secret], env: {} }),
      failure({ argv: ['--config', configFile('{ "ingestToken": hunter2 }')], env: {} }),
    ]) {
      expect(message).not.toContain('hunter2');
      expect(message).not.toContain('12345');
    }
    expect(failure({ argv: ['--db', 'mysql://admin:hunter2@db/facto'], env: {} })).toContain('mysql://***@db/facto');
    // A mistyped PostgreSQL URL is refused, not taken for a SQLite file of that name, and its password is not repeated.
    for (const typo of ['postgres:user:hunter2@127.0.0.1:1/facto', 'postgres:/user:hunter2@127.0.0.1:1/facto', 'postgresql:hunter2@db', 'postgres:///user:hunter2@db/facto', 'postgres:user:hun/ter2@db/facto', 'postgres:user:hunter2#x@db/f', 'postgres: //u:hunter2@db']) {
      const message = failure({ argv: ['--db', typo], env: {} });
      expect(message).toContain('--db: expected a SQLite file path or a postgres:// URL');
      expect(message).not.toContain('hunter2');
    }
    // The scheme is case-insensitive (RFC 3986): POSTGRES:// is PostgreSQL.
    expect(resolveConfig({ argv: ['--db', 'POSTGRES://user:pw@db:5432/facto'], env: {} }).db).toBe('POSTGRES://user:pw@db:5432/facto');
    expect(isPostgresUrl('POSTGRES://user:pw@db:5432/facto')).toBe(true);
  });

  it('hides the query values of a refused forward URL, and refuses --forward-headers without --forward', () => {
    const message = failure({ argv: ['--forward', 'http://127.0.0.1:6000/v1/traces?api_key=SECRETQ'], env: {} });
    expect(message).toContain('http://127.0.0.1:6000/v1/traces?api_key=***');
    expect(message).not.toContain('SECRETQ');
    expect(failure({ argv: ['--forward-headers', 'x-key=abc'], env: {} })).toMatch(/--forward-headers is set but --forward is not/);
  });

  it('says what is wrong with --forward-headers without quoting a value, from any source', () => {
    for (const message of [
      failure({ argv: ['--forward-headers', 'x-key=hunter2%0Ainjected'], env: {} }),
      failure({ argv: [], env: { FACTO_FORWARD_HEADERS: 'x-key=hunter2%0Ainjected' } }),
      failure({ argv: ['--config', configFile({ forwardHeaders: 'x-key=hunter2%0Ainjected' })], env: {} }),
    ]) {
      expect(message).toMatch(/the value of x-key is empty or holds a character a header cannot carry/);
      expect(message).not.toContain('hunter2');
    }
  });

  it('refuses a forward URL with credentials, which fetch cannot send, without quoting the password', () => {
    for (const [url, shown] of [
      ['http://alice:hunter2@otelcol:4318/v1/traces', 'http://***@otelcol:4318/v1/traces'],
      ['https://alice@otelcol/v1/traces', 'https://***@otelcol/v1/traces'],
      ['http://alice:hun@ter2@otelcol/v1/traces', 'http://***@otelcol/v1/traces'],
      ['http:alice:hunter2@otelcol/v1/traces', 'http://***@otelcol/v1/traces'],
    ] as const) {
      for (const message of [
        failure({ argv: ['--forward', url], env: {} }),
        failure({ argv: [], env: { FACTO_FORWARD: url } }),
        failure({ argv: ['--config', configFile({ forward: url })], env: {} }),
      ]) {
        expect(message).toContain('expected an http:// or https:// URL without user:password@');
        expect(message).toContain(shown);
        expect(message).not.toMatch(/hunter2|ter2|alice/);
      }
    }
  });
});

describe('a flag given twice', () => {
  it('is refused, whichever form it takes, rather than one of the values picked', () => {
    for (const argv of [['--port', '0', '--port', '1'], ['--port=0', '--port', '0'], ['--allow-open', '--allow-open=false'], ['--config', 'a.json', '--config=b.json']]) {
      expect(failure({ argv, env: {} })).toMatch(/^--(port|allow-open|config) is given more than once$/);
    }
  });
});

describe('a forward URL on a port fetch will not connect to', () => {
  it('is refused at start from every source, naming the rule; the default ports and ordinary ones pass', () => {
    for (const url of ['http://127.0.0.1:9/v1/traces', 'https://otelcol:6667/v1/traces']) {
      for (const message of [failure({ argv: ['--forward', url], env: {} }), failure({ argv: [], env: { FACTO_FORWARD: url } }), failure({ argv: ['--config', configFile({ forward: url })], env: {} })]) {
        expect(message).toContain("on a port fetch connects to (not one of the Fetch standard's bad ports");
      }
    }
    for (const url of ['http://otelcol/v1/traces', 'https://otelcol/v1/traces', 'http://otelcol:4318/v1/traces', 'http://otelcol:80/v1/traces']) {
      expect(resolveConfig({ argv: ['--forward', url], env: {} }).forward).toBe(url);
    }
  });
});

describe('options checked against each other', () => {
  it('refuses --unsigned forward without --forward, from any source, and says how to fix it', () => {
    for (const options of [
      { argv: ['--unsigned', 'forward'], env: {} },
      { argv: [], env: { FACTO_UNSIGNED: 'forward', FACTO_FORWARD: '' } },
      { argv: ['--config', configFile({ unsigned: 'forward', forward: null })], env: {} },
    ]) {
      const message = failure(options);
      expect(message).toContain('--unsigned forward');
      expect(message).toContain('no --forward URL is set');
      expect(message).toContain('FACTO_FORWARD');
    }
  });

  it('refuses, when forwarding, a byte bound on the forward queue below the largest request body', () => {
    const message = failure({ argv: ['--forward', 'http://otelcol:4318/v1/traces', '--forward-queue-bytes', '1000'], env: { FACTO_MAX_BODY_BYTES: '1001' } });
    expect(message).toContain('--forward-queue-bytes (1000) is below --max-body-bytes (1001)');
    expect(resolveConfig({ argv: ['--forward', 'http://otelcol:4318/v1/traces', '--forward-queue-bytes', '1000', '--max-body-bytes', '1000'], env: {} }).forwardQueueBytes).toBe(1000);
    expect(resolveConfig({ argv: ['--forward-queue-bytes', '1000'], env: {} }).forwardQueueBytes).toBe(1000);
  });

  it('accepts --unsigned forward with a --forward URL', () => {
    const config = resolveConfig({ argv: ['--unsigned', 'forward'], env: { FACTO_FORWARD: 'http://otelcol:4318/v1/traces' } });
    expect([config.unsigned, config.forward]).toEqual(['forward', 'http://otelcol:4318/v1/traces']);
  });
});

describe('the open-exposure rule', () => {
  it.each(['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1'])('allows loopback %s without tokens', (host) => {
    expect(() => resolveConfig({ argv: ['--host', host], env: {} })).not.toThrow();
  });

  it.each(['0.0.0.0', '::', '10.0.0.5', 'collector.internal', '::ffff:10.0.0.1'])('refuses %s without tokens, explaining how to set them', (host) => {
    const message = failure({ argv: ['--host', host], env: {} });
    expect(message).toContain(`refusing to listen on ${host}`);
    expect(message).toContain('FACTO_INGEST_TOKEN, FACTO_QUERY_TOKEN, FACTO_ADMIN_TOKEN');
    expect(message).toContain('--allow-open');
  });

  it('names only the tokens that are missing, and never the ones that are set', () => {
    const message = failure({ argv: ['--host', '0.0.0.0'], env: { FACTO_INGEST_TOKEN: TOKENS.FACTO_INGEST_TOKEN } });
    expect(message).toContain('no query-token, admin-token');
    expect(message).not.toContain('FACTO_INGEST_TOKEN');
    expect(message).not.toContain(TOKENS.FACTO_INGEST_TOKEN);
  });

  it('accepts a non-loopback host with all three tokens, from any source', () => {
    expect(resolveConfig({ argv: ['--host', '0.0.0.0'], env: TOKENS }).ingestToken).toBe('ingest-secret-1');
    const file = configFile({ host: '0.0.0.0', ingestToken: 'i', queryToken: 'q', adminToken: 'a' });
    expect(resolveConfig({ argv: ['--config', file], env: {} }).host).toBe('0.0.0.0');
  });

  it('lets --allow-open, FACTO_ALLOW_OPEN or "allowOpen" override it explicitly, and keeps the switch out of the config', () => {
    const flag = resolveConfig({ argv: ['--host', '0.0.0.0', '--allow-open'], env: {} });
    expect(flag.host).toBe('0.0.0.0');
    expect(flag).not.toHaveProperty('allowOpen');
    expect(() => resolveConfig({ argv: ['--host', '0.0.0.0'], env: { FACTO_ALLOW_OPEN: 'true' } })).not.toThrow();
    expect(() => resolveConfig({ argv: ['--config', configFile({ host: '::', allowOpen: true })], env: {} })).not.toThrow();
    expect(failure({ argv: ['--host', '0.0.0.0', '--allow-open=false'], env: { FACTO_ALLOW_OPEN: 'true' } })).toContain('refusing to listen');
  });

  it('classifies addresses, not names it would have to resolve', () => {
    expect(isLoopbackHost('0:0:0:0:0:0:0:1')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(isLoopbackHost('localhost.example.com')).toBe(false);
  });
});

describe('configHelp', () => {
  it('lists every flag with its environment variable, file key and default', () => {
    const help = configHelp();
    for (const flag of ['host', 'port', 'db', 'trust', 'keys', 'unsigned', 'forward', 'checkpoint-interval', 'log-key', 'origin', 'max-body-bytes',
      'read-timeout', 'max-concurrent-ingest', 'max-streams', 'verify-workers', 'replay-window', 'ingest-token', 'query-token', 'admin-token', 'forward-queue-size', 'forward-queue-bytes', 'log-level', 'allow-open', 'config']) {
      expect(help).toContain(`--${flag}`);
      expect(help).toContain(`env FACTO_${flag.toUpperCase().replaceAll('-', '_')}`);
    }
    expect(help).toContain('file key "checkpointInterval", default 10');
    expect(help).toContain('file key "port", default 4318');
  });

  it('matches the table in docs/collector.md, row by row', () => {
    const documentation = readFileSync(new URL('../../../docs/collector.md', import.meta.url), 'utf8');
    const rows = [...configHelp().matchAll(/^ {2}(--\S+.*)\n {6}(.+)\n {6}env (\S+), file key "(\S+)", default (.+)$/gm)];
    expect(rows).toHaveLength(25);
    for (const [, usage, meaning, env, key, fallback] of rows) {
      const escape = (text: string) => text!.replaceAll('|', '\\|');
      const documented = fallback === 'none' ? 'none' : `\`${fallback}\``;
      expect(documentation).toContain(`| \`${escape(usage!)}\` | \`${env}\` | \`${key}\` | ${documented} | ${escape(meaning!)} |`);
    }
  });
});
