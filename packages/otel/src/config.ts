/**
 * Options for createFacto/registerFacto, resolved from code first and the environment second:
 * FACTO_AGENT_ID, FACTO_ENDPOINT (else the standard OTEL_EXPORTER_OTLP_TRACES_ENDPOINT /
 * OTEL_EXPORTER_OTLP_ENDPOINT), FACTO_PRIVATE_KEY or FACTO_KEY_FILE, FACTO_CHAIN_ID, FACTO_CAPTURE,
 * FACTO_INGEST_TOKEN (the name the collector reads its ingest token from, so one environment serves
 * both, and the CLI's FACTO_QUERY_TOKEN never reaches the agent), and OTEL_EXPORTER_OTLP_PROTOCOL. A missing or malformed key fails here, at start,
 * with a message that says what to do; the key itself never appears in a message.
 */
import { readFileSync } from 'node:fs';
import { diag } from '@opentelemetry/api';
import { FactoError, parsePrivateKey, type ContentCapture } from '@facto/core';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface FactoEnvironmentOptions {
  /** Who the agent is; part of every signed record. */
  readonly agentId?: string;
  /** The collector's base URL (…/v1/traces is added) or its full traces URL. Default http://127.0.0.1:4318. */
  readonly endpoint?: string;
  /** Ed25519 private key: PKCS#8 PEM, base64 or hex of the 32-byte seed, or the raw bytes. */
  readonly privateKey?: string | Uint8Array;
  /** A file holding the private key (as `facto keygen` writes it). */
  readonly keyFile?: string;
  readonly chainId?: string;
  readonly capture?: ContentCapture;
  readonly protocol?: OtlpProtocol;
  /** Extra HTTP headers for the exporter. */
  readonly headers?: Record<string, string>;
  /** Sent as `Authorization: Bearer <token>` (the collector's ingest token). */
  readonly token?: string;
}

export interface ResolvedEnvironment {
  readonly agentId: string;
  readonly url: string;
  readonly privateKey: Uint8Array;
  readonly chainId: string | undefined;
  readonly capture: ContentCapture;
  readonly protocol: OtlpProtocol;
  readonly headers: Record<string, string>;
}

const CAPTURES: readonly ContentCapture[] = ['full', 'hashes', 'none'];
const TRACES_PATH = '/v1/traces';

function tracesUrl(base: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new FactoError('invalid_argument', `endpoint "${base}" is not a URL (expected e.g. http://127.0.0.1:4318)`);
  }
  if (url.pathname.endsWith(TRACES_PATH)) return url.toString();
  url.pathname = url.pathname.replace(/\/$/, '') + TRACES_PATH;
  return url.toString();
}

function resolveEndpoint(options: FactoEnvironmentOptions, env: NodeJS.ProcessEnv): string {
  if (options.endpoint) return tracesUrl(options.endpoint);
  if (env.FACTO_ENDPOINT) return tracesUrl(env.FACTO_ENDPOINT);
  // The OTel variable for traces is a full URL, used as is; the generic one is a base.
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return tracesUrl(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  return tracesUrl('http://127.0.0.1:4318');
}

function resolveKey(options: FactoEnvironmentOptions, env: NodeJS.ProcessEnv): Uint8Array {
  const fromFile = (path: string, origin: string) => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new FactoError('key_format', `cannot read the signing key file ${path} (${origin}): ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    return parse(text.trim(), `${origin} ${path}`);
  };
  const parse = (input: string | Uint8Array, origin: string) => {
    try {
      return parsePrivateKey(input);
    } catch (error) {
      throw new FactoError('key_format', `the signing key from ${origin} is not usable: ${(error as Error).message}`);
    }
  };
  if (options.privateKey !== undefined) return parse(options.privateKey, 'the privateKey option');
  if (options.keyFile) return fromFile(options.keyFile, 'the keyFile option');
  if (env.FACTO_PRIVATE_KEY) return parse(env.FACTO_PRIVATE_KEY.trim(), 'FACTO_PRIVATE_KEY');
  if (env.FACTO_KEY_FILE) return fromFile(env.FACTO_KEY_FILE, 'FACTO_KEY_FILE');
  throw new FactoError('key_format', 'no signing key: pass privateKey or keyFile, or set FACTO_PRIVATE_KEY or FACTO_KEY_FILE (`facto keygen` makes one)');
}

export function resolveEnvironment(options: FactoEnvironmentOptions, env: NodeJS.ProcessEnv = process.env): ResolvedEnvironment {
  const agentId = options.agentId ?? env.FACTO_AGENT_ID;
  if (!agentId) throw new FactoError('invalid_argument', 'no agent id: pass agentId or set FACTO_AGENT_ID');
  const capture = options.capture ?? (env.FACTO_CAPTURE as ContentCapture | undefined) ?? 'full';
  if (!CAPTURES.includes(capture)) throw new FactoError('invalid_argument', `capture must be one of ${CAPTURES.join(', ')}, got "${capture}"`);
  const protocol = options.protocol ?? (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL as OtlpProtocol | undefined) ?? (env.OTEL_EXPORTER_OTLP_PROTOCOL as OtlpProtocol | undefined) ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new FactoError('invalid_argument', `protocol must be http/protobuf or http/json, got "${protocol}"`);
  }
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token ?? env.FACTO_INGEST_TOKEN;
  if (token) headers.authorization = `Bearer ${token}`;
  // The variable this package read before it took the collector's name for the ingest token.
  else if (env.FACTO_TOKEN) diag.warn('@facto/otel: FACTO_TOKEN is set but not read; the ingest token comes from FACTO_INGEST_TOKEN (the name the collector reads), so spans go without one');
  return {
    agentId,
    url: resolveEndpoint(options, env),
    privateKey: resolveKey(options, env),
    chainId: options.chainId ?? env.FACTO_CHAIN_ID,
    capture,
    protocol,
    headers,
  };
}
