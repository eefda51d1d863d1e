/**
 * Resolves the collector's configuration from command-line flags, FACTO_* environment variables and
 * an optional JSON config file, over DEFAULT_CONFIG, in that order of precedence. Every value is
 * validated here, at the edge, and a bad one fails start-up with a FactoError('invalid_argument')
 * that names where it came from (the flag, the variable or the file key) and what is accepted. Token
 * values never appear in a message: a mistyped token flag may carry the secret in `--name=value`.
 */
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { FactoError, parseStrictJson } from '@facto/core';
import { DEFAULT_CONFIG, type CollectorConfig } from '../config.js';
import { onBlockedPort } from '../forward/blocked-ports.js';
import { parseForwardHeaders } from '../forward/forward-headers.js';
import { shownUrl } from '../forward/failure-reason.js';
import { isPostgresUrl } from '../store/postgres/postgres-store.js';

type Value = string | number | boolean | undefined;
type Field = keyof CollectorConfig | 'allowOpen';

interface Parser {
  /** What is accepted, for error messages. */
  readonly expected: string;
  /** What is wrong with a refused text, when that can be said without quoting a secret. */
  readonly problem?: (text: string) => string | undefined;
  /** The value, or undefined when the text is not acceptable. */
  fromText(text: string): Value;
  fromJson(value: unknown): Value;
}

interface OptionSpec {
  readonly field: Field;
  readonly flag: string;
  readonly placeholder: string;
  readonly meaning: string;
  readonly parser: Parser;
  /** Never echoed in messages or help. */
  readonly secret?: boolean;
  /** A file path: relative paths in a config file are resolved against the file's directory. */
  readonly path?: boolean;
}

const textParser = (expected: string, accept: (text: string) => boolean, convert: (text: string) => Value = (text) => text): Parser => ({
  expected,
  fromText: (text) => (accept(text) ? convert(text) : undefined),
  fromJson: (value) => (typeof value === 'string' && accept(value) ? convert(value) : undefined),
});

function integer(minimum: number, maximum: number): Parser {
  const inRange = (value: number) => Number.isSafeInteger(value) && value >= minimum && value <= maximum;
  return {
    expected: `an integer from ${minimum} to ${maximum}`,
    fromText: (text) => (/^\d+$/.test(text) && inRange(Number(text)) ? Number(text) : undefined),
    fromJson: (value) => (typeof value === 'number' && inRange(value) ? value : undefined),
  };
}

const oneOf = (values: readonly string[]) => textParser(`one of ${values.join(', ')}`, (text) => values.includes(text));

const BOOLEAN_WORDS = new Map([['true', true], ['1', true], ['yes', true], ['false', false], ['0', false], ['no', false]]);
const booleanParser: Parser = {
  expected: 'true or false (also 1/0, yes/no)',
  fromText: (text) => BOOLEAN_WORDS.get(text.toLowerCase()),
  fromJson: (value) => (typeof value === 'boolean' ? value : undefined),
};

// Node's listen() takes an IPv6 address without the brackets a URL needs.
const unbracket = (text: string) => (/^\[.*\]$/.test(text) ? text.slice(1, -1) : text);
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const hostParser = textParser('an IP address or host name, e.g. 127.0.0.1, ::1, 0.0.0.0 or localhost', (text) => isIP(unbracket(text)) !== 0 || HOST_NAME.test(text), unbracket);
const pathParser = textParser('a file path', (text) => text.length > 0 && !text.includes('\0'));
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
// A mistyped PostgreSQL URL (postgres:/host, postgres:user:password@host) is refused, not taken for
// a SQLite file of that name: the collector would run on the wrong store, and the password would
// be in the folder's name and the start-up log line.
const MEANS_POSTGRES = /^postgres(?:ql)?:/i;
const dbParser = textParser('a SQLite file path or a postgres:// URL', (text) =>
  URL_SCHEME.test(text) || MEANS_POSTGRES.test(text) ? isPostgresUrl(text) && isUrl(text, ['postgres:', 'postgresql:']) : pathParser.fromText(text) !== undefined,
);
// fetch() refuses a URL with user:password@, so such a URL could never deliver a span; and it would
// put the password in every log line that names the URL.
// Nor does it connect to the Fetch standard's bad ports (6000, 6667, ...): every attempt would fail.
const forwardParser = textParser(
  "an http:// or https:// URL without user:password@, on a port fetch connects to (not one of the Fetch standard's bad ports such as 6000 or 6667)",
  (text) => isUrl(text, ['http:', 'https:']) && !hasUserinfo(text) && !onBlockedPort(new URL(text)),
);
// The values are secrets (secret: true below): a message names what is wrong, never a value.
const forwardHeadersParser: Parser = {
  ...textParser(
    'comma-separated name=value pairs, as OTEL_EXPORTER_OTLP_HEADERS (values percent-encoded where needed), e.g. authorization=Bearer%20abc,x-tenant=acme',
    (text) => !('problem' in parseForwardHeaders(text)),
  ),
  problem: (text) => {
    const parsed = parseForwardHeaders(text);
    return 'problem' in parsed ? parsed.problem : undefined;
  },
};
// A C2SP note key name: no whitespace and no '+', which separates the name in a verifier key.
const originParser = textParser('a non-empty line without spaces or "+", e.g. facto.example.com/log', (text) => /^[^\s+]+$/u.test(text));
// Tokens travel in `Authorization: Bearer <token>`: printable ASCII without spaces.
const tokenParser = textParser('a non-empty string of printable ASCII characters without spaces', (text) => /^[\x21-\x7e]+$/.test(text));

function hasUserinfo(text: string): boolean {
  const url = new URL(text);
  return url.username !== '' || url.password !== '';
}

function isUrl(text: string, protocols: readonly string[]): boolean {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  return url !== undefined && protocols.includes(url.protocol) && url.hostname !== '';
}

const OPTIONS: readonly OptionSpec[] = [
  { field: 'host', flag: 'host', placeholder: 'HOST', parser: hostParser, meaning: 'Address to listen on. Beyond loopback (127.0.0.0/8, ::1, localhost) the three tokens are required, or --allow-open.' },
  { field: 'port', flag: 'port', placeholder: 'PORT', parser: integer(0, 65535), meaning: 'TCP port for OTLP ingest and the API; 0 picks a free port.' },
  { field: 'db', flag: 'db', placeholder: 'PATH|URL', parser: dbParser, path: true, meaning: 'A SQLite file (created if absent; one collector process per file) or a postgres:// URL (several collectors can share one; see docs/scale-out.md).' },
  { field: 'trust', flag: 'trust', placeholder: 'strict|tofu', parser: oneOf(['strict', 'tofu']), meaning: 'strict: only registered keys sign; tofu: pin the first key each agent presents.' },
  { field: 'keys', flag: 'keys', placeholder: 'FILE', parser: pathParser, path: true, meaning: 'Agent key registry (JSON), loaded at start.' },
  { field: 'unsigned', flag: 'unsigned', placeholder: 'reject|store|forward', parser: oneOf(['reject', 'store', 'forward']), meaning: 'What to do with spans that carry no signature.' },
  { field: 'forward', flag: 'forward', placeholder: 'URL', parser: forwardParser, meaning: 'Downstream OTLP/HTTP traces URL (http:// or https://) to pass accepted spans on to.' },
  { field: 'checkpointInterval', flag: 'checkpoint-interval', placeholder: 'SECONDS', parser: integer(1, 86_400), meaning: 'Seconds between signed checkpoints (when the log grew).' },
  { field: 'logKey', flag: 'log-key', placeholder: 'FILE', parser: pathParser, path: true, meaning: "The collector's own Ed25519 key (PKCS#8 PEM); created with mode 0600 if absent." },
  { field: 'origin', flag: 'origin', placeholder: 'NAME', parser: originParser, meaning: 'The log\'s origin line in checkpoints (no spaces, no "+"); default facto.local/<log key hash>.' },
  { field: 'maxBodyBytes', flag: 'max-body-bytes', placeholder: 'BYTES', parser: integer(1, 1024 ** 3), meaning: 'Largest request body accepted, after decompression (413 beyond).' },
  { field: 'readTimeout', flag: 'read-timeout', placeholder: 'SECONDS', parser: integer(1, 3600), meaning: 'How long a client may take to send the headers of a request, and then its body; 408 and the connection closed beyond.' },
  { field: 'maxConcurrentIngest', flag: 'max-concurrent-ingest', placeholder: 'N', parser: integer(1, 10_000), meaning: 'Ingest requests processed at once before 503 + Retry-After.' },
  { field: 'maxStreams', flag: 'max-streams', placeholder: 'N', parser: integer(1, 100_000), meaning: 'Streamed answers (/v1/stream, /v1/export) open at once before 503 + Retry-After.' },
  { field: 'verifyWorkers', flag: 'verify-workers', placeholder: 'N', parser: integer(0, 256), meaning: 'Worker threads that decode and verify request bodies (default: one per core; 0: in the main thread).' },
  { field: 'replayWindowSeconds', flag: 'replay-window', placeholder: 'SECONDS', parser: integer(0, 365 * 86_400), meaning: 'A duplicate arriving later than this after the original is a replay incident, not a retry.' },
  { field: 'ingestToken', flag: 'ingest-token', placeholder: 'TOKEN', parser: tokenParser, secret: true, meaning: 'Bearer token required on POST /v1/traces.' },
  { field: 'queryToken', flag: 'query-token', placeholder: 'TOKEN', parser: tokenParser, secret: true, meaning: 'Bearer token required on the query, proof and export endpoints and /metrics.' },
  { field: 'adminToken', flag: 'admin-token', placeholder: 'TOKEN', parser: tokenParser, secret: true, meaning: 'Bearer token required on the admin endpoints.' },
  { field: 'forwardHeaders', flag: 'forward-headers', placeholder: 'NAME=VALUE,...', parser: forwardHeadersParser, secret: true, meaning: 'Headers sent with every forwarded request (an API key, say), as OTEL_EXPORTER_OTLP_HEADERS writes them; never logged.' },
  { field: 'forwardQueueSize', flag: 'forward-queue-size', placeholder: 'N', parser: integer(1, 1_000_000), meaning: 'Requests held for forwarding; when full, newer ones are not forwarded (their signed spans are in the log), or refused with 503 if they hold --unsigned forward spans.' },
  { field: 'forwardConcurrency', flag: 'forward-concurrency', placeholder: 'N', parser: integer(1, 64), meaning: 'Requests sent downstream at once, each with its own retries; one at a time caps forwarding at one request per round trip.' },
  { field: 'forwardQueueBytes', flag: 'forward-queue-bytes', placeholder: 'BYTES', parser: integer(1, 1024 ** 4), meaning: 'Bytes of request bodies held for forwarding; beyond it, as when --forward-queue-size is reached.' },
  { field: 'logLevel', flag: 'log-level', placeholder: 'debug|info|warn|error', parser: oneOf(['debug', 'info', 'warn', 'error']), meaning: 'The lowest level of the JSON log lines written to stderr.' },
  { field: 'allowOpen', flag: 'allow-open', placeholder: '', parser: booleanParser, meaning: 'Listen beyond loopback without tokens. Anyone who reaches the port can write and read.' },
];

const CONFIG_FLAG = 'config';
const envName = (flag: string) => `FACTO_${flag.toUpperCase().replaceAll('-', '_')}`;
const optionByFlag = new Map(OPTIONS.map((option) => [option.flag, option]));
const optionByField = new Map<string, OptionSpec>(OPTIONS.map((option) => [option.field, option]));

const invalid = (message: string) => new FactoError('invalid_argument', message);

/** The value as it may be quoted back: never a token, and never a URL's user:password. */
function quote(option: OptionSpec, value: unknown): string {
  if (option.secret) return '';
  // A forward URL's query often carries a receiver's token (failure-reason.ts hides its values in logs too).
  const shown = typeof value === 'string' ? (option.field === 'forward' ? shownUrl(value) : withoutUserinfo(value)) : value;
  return ` (got ${JSON.stringify(shown)})`;
}

/** The URL parser's own reading first (a password may hold "@", and "http:user:pw@host" has no "//"). */
function withoutUserinfo(text: string): string {
  // Whatever its shape, a PostgreSQL setting may hold a password anywhere before its last "@".
  if (MEANS_POSTGRES.test(text) && text.includes('@')) return text.replace(/^(postgres(?:ql)?:)[^]*@/i, '$1***@');
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url === undefined) return text.replace(/\/\/[^/?#]*@/, '//***@');
  // Without "//" ("postgres:user:pw@host") the parser sees a path, not a password: hide it all the same.
  if (url.username === '' && url.password === '') return text.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/?)[^/?#]*@/, '$1***@');
  url.username = '***';
  url.password = '';
  return url.href;
}

function parseText(option: OptionSpec, text: string, source: string): Value {
  const value = option.parser.fromText(text);
  if (value === undefined) throw invalid(`${source}: ${problemOf(option, text)}expected ${option.parser.expected}${quote(option, text)}`);
  return value;
}

function problemOf(option: OptionSpec, raw: unknown): string {
  const problem = typeof raw === 'string' ? option.parser.problem?.(raw) : undefined;
  return problem === undefined ? '' : `${problem}; `;
}

/** Splits argv into flag values; the boolean --allow-open takes no separate value. */
function readFlags(argv: readonly string[]): { values: Map<OptionSpec, Value>; configPath: string | undefined } {
  const values = new Map<OptionSpec, Value>();
  let configPath: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    const match = /^--([^=]+)(?:=([\s\S]*))?$/.exec(argument);
    if (!match) throw invalid(`unexpected argument #${index + 1}: options are flags like --port 4318 (run facto collector --help)`);
    const name = match[1]!;
    let text = match[2];
    const option = optionByFlag.get(name);
    if (!option && name !== CONFIG_FLAG) throw invalid(`unknown flag --${name} (accepted: ${[...optionByFlag.keys(), CONFIG_FLAG].map((flag) => `--${flag}`).join(', ')})`);
    // Which of two values was meant is a guess; the query API refuses a repeated parameter alike.
    if ((option !== undefined && values.has(option)) || (option === undefined && configPath !== undefined)) throw invalid(`--${name} is given more than once`);
    if (option?.parser === booleanParser) {
      values.set(option, text === undefined ? true : parseText(option, text, `--${name}`));
      continue;
    }
    if (text === undefined) {
      const next = argv[index + 1];
      if (next === undefined || next.startsWith('--')) throw invalid(`--${name} needs a value`);
      text = next;
      index++;
    }
    if (option) values.set(option, parseText(option, text, `--${name}`));
    else if (text === '') throw invalid(`--${CONFIG_FLAG}: expected a file path`);
    else configPath = text;
  }
  return { values, configPath };
}

/** Empty variables count as unset, as `FACTO_FORWARD=` in a compose file means "no value". */
function readEnvironment(env: Record<string, string | undefined>): Map<OptionSpec, Value> {
  const values = new Map<OptionSpec, Value>();
  for (const option of OPTIONS) {
    const text = env[envName(option.flag)];
    if (text !== undefined && text !== '') values.set(option, parseText(option, text, envName(option.flag)));
  }
  return values;
}

function readConfigFile(path: string, cwd: string): Map<OptionSpec, Value> {
  const absolute = resolve(cwd, path);
  let parsed: unknown;
  try {
    // Strict: a key written twice ({"port": 0, "port": 1}) is refused, not settled by the last one.
    parsed = parseStrictJson(readFileSync(absolute, 'utf8'));
  } catch (error) {
    // parseStrictJson quotes no value (the file may hold tokens), only a repeated member's name.
    const code = (error as NodeJS.ErrnoException).code;
    const reason = typeof code === 'string' && code.startsWith('E') ? code : `not valid JSON: ${(error as Error).message.replace(/^invalid JSON /, '')}`;
    throw invalid(`config file ${path}: cannot read it as JSON (${reason})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid(`config file ${path}: expected a JSON object such as { "port": 4318 }`);
  const values = new Map<OptionSpec, Value>();
  for (const [key, raw] of Object.entries(parsed)) {
    const option = optionByField.get(key);
    if (!option) throw invalid(`config file ${path}: unknown key "${key}" (accepted: ${[...optionByField.keys()].join(', ')})`);
    // null reads as "not set", so a generated file can leave an optional value empty.
    if (raw === null) continue;
    let value = option.parser.fromJson(raw);
    if (value === undefined) throw invalid(`config file ${path}, key "${key}": ${problemOf(option, raw)}expected ${option.parser.expected}${quote(option, raw)}`);
    // Paths in a file mean what they say wherever the collector is started from.
    if (option.path && typeof value === 'string' && !URL_SCHEME.test(value) && value !== ':memory:') value = resolve(dirname(absolute), value);
    values.set(option, value);
  }
  return values;
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Loopback by address only; a host name other than localhost is not resolved, so it counts as exposed. */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  const family = isIP(host);
  return family !== 0 && loopback.check(host, family === 6 ? 'ipv6' : 'ipv4');
}

function refuseOpenExposure(config: CollectorConfig): void {
  const missing = (['ingestToken', 'queryToken', 'adminToken'] as const).filter((field) => config[field] === undefined).map((field) => optionByField.get(field)!);
  if (missing.length === 0) return;
  throw invalid(
    `refusing to listen on ${config.host}, which is not a loopback address, while endpoints are open: no ${missing.map((option) => option.flag).join(', ')}. ` +
      `Set ${missing.map((option) => envName(option.flag)).join(', ')} (e.g. ${envName(missing[0]!.flag)}=$(openssl rand -hex 32)) or the config file keys ${missing.map((option) => `"${option.field}"`).join(', ')}; ` +
      `prefer these to the --${missing[0]!.flag} flag, which other local users can read in the process list. ` +
      `To run open anyway, pass --allow-open (or FACTO_ALLOW_OPEN=true).`,
  );
}

/** Options that are each valid but together would lose data, or could never work. */
function refuseContradictions(config: CollectorConfig): void {
  if (config.unsigned === 'forward' && config.forward === undefined) {
    throw invalid(
      '--unsigned forward keeps unsigned spans only by passing them on to --forward, and no --forward URL is set: they would be acknowledged and lost. ' +
        'Set --forward URL (FACTO_FORWARD, file key "forward"), or choose --unsigned reject or store.',
    );
  }
  if (config.forwardHeaders !== undefined && config.forward === undefined) {
    throw invalid('--forward-headers is set but --forward is not: the headers would go nowhere. Set --forward URL (FACTO_FORWARD, file key "forward"), or drop --forward-headers.');
  }
  if (config.forward !== undefined && config.forwardQueueBytes < config.maxBodyBytes) {
    throw invalid(
      `--forward-queue-bytes (${config.forwardQueueBytes}) is below --max-body-bytes (${config.maxBodyBytes}): a request that large could never be queued for forwarding. ` +
        'Raise --forward-queue-bytes (FACTO_FORWARD_QUEUE_BYTES) or lower --max-body-bytes (FACTO_MAX_BODY_BYTES).',
    );
  }
}

export interface ResolveConfigOptions {
  readonly argv: readonly string[];
  readonly env: Record<string, string | undefined>;
  /** Where a relative --config path is found; default process.cwd(). */
  readonly cwd?: string;
}

export function resolveConfig(options: ResolveConfigOptions): CollectorConfig {
  const flags = readFlags(options.argv);
  const environment = readEnvironment(options.env);
  const configPath = flags.configPath ?? (options.env[envName(CONFIG_FLAG)] || undefined);
  const file = configPath === undefined ? new Map<OptionSpec, Value>() : readConfigFile(configPath, options.cwd ?? process.cwd());
  const merged: Record<string, Value> = { ...DEFAULT_CONFIG, allowOpen: false };
  for (const layer of [file, environment, flags.values]) for (const [option, value] of layer) merged[option.field] = value;
  const { allowOpen, ...config } = merged as unknown as CollectorConfig & { allowOpen: boolean };
  if (!allowOpen && !isLoopbackHost(config.host)) refuseOpenExposure(config);
  refuseContradictions(config);
  return config;
}

/** Usage text for `facto collector --help`, generated from the same table the parser uses. */
export function configHelp(): string {
  const lines = [
    'Usage: facto collector [options]',
    '',
    'Receives signed OpenTelemetry spans over OTLP/HTTP, verifies every signature and chain, appends',
    'them to a Merkle log with signed checkpoints and serves queries and proofs on one port.',
    '',
    'Each option is also an environment variable and a key of a JSON config file (--config FILE or',
    'FACTO_CONFIG). Flags win over the environment, the environment over the file, the file over the',
    'defaults. Relative paths in the config file are relative to the file.',
    '',
    'Options:',
  ];
  for (const option of OPTIONS) {
    const fallback = option.field === 'allowOpen' ? false : DEFAULT_CONFIG[option.field];
    const usage = option.placeholder ? `--${option.flag} ${option.placeholder}` : `--${option.flag}`;
    lines.push(`  ${usage}`, `      ${option.meaning}`, `      env ${envName(option.flag)}, file key "${option.field}", default ${fallback === undefined ? 'none' : String(fallback)}`);
  }
  lines.push(`  --${CONFIG_FLAG} FILE`, '      JSON config file with any of the keys above.', `      env ${envName(CONFIG_FLAG)}, default none`, '  --help', '      Show this text.');
  return lines.join('\n') + '\n';
}
