/**
 * `gen_ai.provider.name` from what LangChain says about a model. Chat models report their provider
 * as `ls_provider` in the run's metadata, in LangChain's own spelling (`azure`, `google_vertexai`,
 * `bedrock`); the conventions have well-known values for the common ones (`azure.ai.openai`,
 * `gcp.vertex_ai`, `aws.bedrock`), which are used where they exist. Any other value is kept as
 * LangChain spells it: it still names the provider, and the conventions allow custom values.
 */

const WELL_KNOWN: Readonly<Record<string, string>> = {
  openai: 'openai',
  azure: 'azure.ai.openai',
  azure_openai: 'azure.ai.openai',
  anthropic: 'anthropic',
  google_vertexai: 'gcp.vertex_ai',
  vertexai: 'gcp.vertex_ai',
  google_genai: 'gcp.gemini',
  google: 'gcp.gemini',
  bedrock: 'aws.bedrock',
  amazon_bedrock: 'aws.bedrock',
  mistral: 'mistral_ai',
  mistralai: 'mistral_ai',
  groq: 'groq',
  deepseek: 'deepseek',
  cohere: 'cohere',
  xai: 'x_ai',
  perplexity: 'perplexity',
  watsonx: 'ibm.watsonx.ai',
  ibm: 'ibm.watsonx.ai',
};

/**
 * The provider of a model run: `ls_provider` mapped to the conventions' name, else the model type in
 * the serialized id (`["langchain", "chat_models", "ollama", "ChatOllama"]` gives `ollama`), else
 * `langchain`, so the required attribute is never missing.
 */
export function providerName(lsProvider: string | undefined, modelId: readonly string[]): string {
  if (lsProvider !== undefined) return WELL_KNOWN[lsProvider.toLowerCase()] ?? lsProvider;
  const modelType = modelId.length >= 3 ? modelId[2] : undefined;
  return modelType ? (WELL_KNOWN[modelType.toLowerCase()] ?? modelType) : 'langchain';
}
