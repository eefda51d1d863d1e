/**
 * `gen_ai.provider.name` from an AI SDK provider id. Providers name themselves `{provider}.{api}`
 * (`openai.chat`, `anthropic.messages`, `google.generative-ai`); the conventions name the provider
 * alone, with their own spelling for some (`aws.bedrock`, `gcp.gemini`, `x_ai`). An id this table
 * does not know is recorded by its first segment, as the provider spells it.
 */

const WELL_KNOWN: Readonly<Record<string, string>> = {
  'amazon-bedrock': 'aws.bedrock',
  azure: 'azure.ai.openai',
  'google.generative-ai': 'gcp.gemini',
  'google.vertex': 'gcp.vertex_ai',
  'google-vertex': 'gcp.vertex_ai',
  mistral: 'mistral_ai',
  xai: 'x_ai',
};

export function providerNameOf(providerId: unknown): string {
  if (typeof providerId !== 'string' || providerId === '') return 'unknown';
  const id = providerId.toLowerCase();
  for (const [prefix, name] of Object.entries(WELL_KNOWN)) if (id === prefix || id.startsWith(`${prefix}.`)) return name;
  return id.split('.')[0]!;
}
