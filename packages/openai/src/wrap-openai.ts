/**
 * `wrapOpenAI(client)`: the client the agent already has, instrumented in place. `create` is
 * replaced on this instance's own resource objects (`chat.completions`, `responses`, `embeddings`),
 * never on the module or a prototype, so it works under ESM, CommonJS and bundlers alike, with no
 * version gate, and other clients in the process stay untouched. The client's helpers
 * (`chat.completions.parse`, `.stream()`, `.runTools()`, `responses.stream`, `responses.parse`) call
 * `create` on these same objects and are recorded through it. Clients derived with `withOptions()`
 * are wrapped too. Wrapping twice changes nothing.
 */
import { diag } from '@opentelemetry/api';
import { createGenAIInstrumentation, type GenAIInstrumentationOptions } from '@facto/genai';
import { chatCompletions } from './chat-completions.js';
import { embeddings } from './embeddings.js';
import { instrumentCreate, WRAPPED, type CreateSetup } from './instrument-create.js';
import type { OperationMapping } from './operation.js';
import { responses } from './responses.js';

export interface WrapOpenAIOptions extends GenAIInstrumentationOptions {
  /** `gen_ai.provider.name`. Default `openai`; e.g. `azure.ai.openai` for an Azure client. */
  readonly providerName?: string;
  /**
   * Adds `stream_options: { include_usage: true }` to streamed chat completions whose caller did not
   * set it, so their usage is recorded. Default false: it makes the server send one more chunk (with
   * `choices: []`) that the caller did not ask for.
   */
  readonly injectStreamUsage?: boolean;
}

const RESOURCES: readonly (readonly [path: readonly string[], mapping: OperationMapping])[] = [
  [['chat', 'completions'], chatCompletions],
  [['responses'], responses],
  [['embeddings'], embeddings],
];

export function wrapOpenAI<Client extends object>(client: Client, options: WrapOpenAIOptions = {}): Client {
  if (client === null || typeof client !== 'object') throw new TypeError('wrapOpenAI expects an OpenAI client instance, as made by new OpenAI()');
  const { providerName = 'openai', injectStreamUsage = false } = options;
  if (typeof providerName !== 'string' || providerName === '') throw new TypeError('providerName must be a non-empty string');
  if (typeof injectStreamUsage !== 'boolean') throw new TypeError(`injectStreamUsage must be a boolean, got ${typeof injectStreamUsage}`);
  if ((client as Record<PropertyKey, unknown>)[WRAPPED]) return client;

  const instrumentation = createGenAIInstrumentation({ name: '@facto/openai' }, options);
  const setup: CreateSetup = { instrumentation, settings: { providerName, injectStreamUsage }, client, server: () => serverOf(client) };
  try {
    for (const [path, mapping] of RESOURCES) patchCreate(client, path, mapping, setup);
    patchWithOptions(client, options);
    Object.defineProperty(client, WRAPPED, { value: true });
  } catch (error) {
    instrumentation.report('wrapping the client', error);
  }
  return client;
}

function patchCreate(client: object, path: readonly string[], mapping: OperationMapping, setup: CreateSetup): void {
  const resource = path.reduce<unknown>((object, key) => (object !== null && typeof object === 'object' ? (object as Record<string, unknown>)[key] : undefined), client);
  const create = resource !== null && typeof resource === 'object' ? (resource as { create?: unknown }).create : undefined;
  if (typeof create !== 'function') {
    diag.warn(`@facto/openai: this client has no ${path.join('.')}.create(); those calls are not recorded`);
    return;
  }
  if ((create as unknown as Record<PropertyKey, unknown>)[WRAPPED]) return;
  Object.defineProperty(resource, 'create', {
    value: instrumentCreate(create as (...args: unknown[]) => unknown, mapping, setup),
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

function patchWithOptions(client: object, options: WrapOpenAIOptions): void {
  const withOptions = (client as { withOptions?: unknown }).withOptions;
  if (typeof withOptions !== 'function') return;
  Object.defineProperty(client, 'withOptions', {
    value: function (this: unknown, ...args: unknown[]) {
      return wrapOpenAI(withOptions.apply(this, args) as object, options);
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

/** `server.address` / `server.port` from the client's base URL. */
function serverOf(client: object): { serverAddress?: string; serverPort?: number } {
  const baseURL = (client as { baseURL?: unknown }).baseURL;
  if (typeof baseURL !== 'string') return {};
  try {
    const url = new URL(baseURL);
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : undefined;
    return { serverAddress: url.hostname, ...(port !== undefined ? { serverPort: port } : {}) };
  } catch {
    return {};
  }
}
