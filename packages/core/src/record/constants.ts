/**
 * The fixed names of format facto.v1: domain-separation prefixes and the facto.* attribute keys that
 * carry a record's proof beside the span. docs/spec.md is the normative text; these constants are
 * its single source in code.
 */
export const FORMAT = 'facto.v1';

/** Each hash Facto computes starts with one of these ASCII labels and a 0x00 byte, so a hash made for
 * one purpose can never be presented as another (a content commitment as a record hash, say). */
export const DOMAIN = {
  record: 'facto.v1.record',
  content: 'facto.v1.content',
  contentSalt: 'facto.v1.content-salt',
  key: 'facto.v1.key',
  erasure: 'facto.v1.erasure',
} as const;

/** Attributes that carry the proof. They are not themselves part of the record's `attributes`. */
export const ATTR = {
  format: 'facto.format',
  id: 'facto.id',
  agentId: 'facto.agent_id',
  chainId: 'facto.chain_id',
  seq: 'facto.seq',
  prevHash: 'facto.prev_hash',
  hash: 'facto.hash',
  signature: 'facto.signature',
  keyId: 'facto.key_id',
  publicKey: 'facto.public_key',
  dropped: 'facto.dropped',
  salt: 'facto.salt',
  contentKeys: 'facto.content_keys',
  commitments: 'facto.commitments',
} as const;

export const TRANSPORT_KEYS: ReadonlySet<string> = new Set(Object.values(ATTR));

/** Attributes Facto's own helpers write for record()/step()/traced(). Ordinary signed attributes. */
export const ACTION_ATTR = {
  actionType: 'facto.action_type',
  input: 'facto.input',
  output: 'facto.output',
  error: 'facto.error',
} as const;

/**
 * Attributes whose values are content (prompts, completions, tool payloads): they enter the record
 * as salted commitments so they can be erased later without breaking any signature (GDPR Art. 17),
 * and capture `hashes` keeps their values in the process. GenAI semantic-convention names, old and
 * new; the Vercel AI SDK's own telemetry attributes that carry content (ai 6 writes them when its
 * telemetry is on, beside Facto's spans); and the record() input and output.
 */
export const DEFAULT_CONTENT_KEYS: readonly string[] = [
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
  'gen_ai.tool.definitions',
  'gen_ai.prompt',
  'gen_ai.completion',
  'ai.prompt',
  'ai.prompt.messages',
  'ai.prompt.tools',
  'ai.response.text',
  'ai.response.object',
  'ai.response.toolCalls',
  'ai.response.reasoning',
  'ai.toolCall.args',
  'ai.toolCall.result',
  'ai.value',
  'ai.values',
  ACTION_ATTR.input,
  ACTION_ATTR.output,
];

export const ZERO_HASH_HEX = '0'.repeat(64);
