import { describe, expect, it } from 'vitest';
import { providerNameOf } from './provider-name.js';

describe('providerNameOf', () => {
  it('names the provider as the conventions do, from the AI SDK provider id', () => {
    expect(providerNameOf('openai.chat')).toBe('openai');
    expect(providerNameOf('openai.responses')).toBe('openai');
    expect(providerNameOf('anthropic.messages')).toBe('anthropic');
    expect(providerNameOf('amazon-bedrock')).toBe('aws.bedrock');
    expect(providerNameOf('azure.chat')).toBe('azure.ai.openai');
    expect(providerNameOf('google.generative-ai')).toBe('gcp.gemini');
    expect(providerNameOf('google.vertex.chat')).toBe('gcp.vertex_ai');
    expect(providerNameOf('mistral.chat')).toBe('mistral_ai');
    expect(providerNameOf('xai.chat')).toBe('x_ai');
  });

  it('keeps an id it does not know by its first segment, and says unknown for none', () => {
    expect(providerNameOf('acme-llm.chat')).toBe('acme-llm');
    expect(providerNameOf('')).toBe('unknown');
    expect(providerNameOf(undefined)).toBe('unknown');
  });
});
