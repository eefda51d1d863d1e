/**
 * The optional `meta` of record(): well-known names become GenAI semantic-convention attributes,
 * dotted names pass through as attribute keys, anything else lands under facto.meta.*.
 */
import type { AttributeValue, Attributes } from '@opentelemetry/api';

export interface RecordMeta {
  readonly model?: string;
  readonly provider?: string;
  readonly operation?: string;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly [key: string]: AttributeValue | undefined;
}

const SEMANTIC_NAMES: Readonly<Record<string, string>> = {
  model: 'gen_ai.request.model',
  provider: 'gen_ai.provider.name',
  operation: 'gen_ai.operation.name',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
};

export function metaAttributes(meta: RecordMeta | undefined): Attributes {
  const attributes: Attributes = {};
  if (!meta) return attributes;
  for (const [key, value] of Object.entries(meta)) {
    if (value === undefined) continue;
    const name = SEMANTIC_NAMES[key] ?? (key.includes('.') ? key : `facto.meta.${key}`);
    attributes[name] = value;
  }
  return attributes;
}
