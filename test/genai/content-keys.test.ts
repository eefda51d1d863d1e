/**
 * The content attributes the integrations write (@facto/genai) and the ones the signer commits as
 * erasable content (@facto/core's DEFAULT_CONTENT_KEYS) must be the same list: a content attribute
 * the signer did not know would be signed in clear and could never be erased. @facto/genai may not
 * depend on @facto/core, so this test keeps the two in step and fails when either side changes.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTENT_KEYS } from '@facto/core';
import { GEN_AI_CONTENT_KEYS } from '@facto/genai';

// Older instrumentations still send these; the signer commits them, the integrations never write them.
const DEPRECATED_CONTENT_KEYS = ['gen_ai.prompt', 'gen_ai.completion'];

describe('content keys', () => {
  it('@facto/genai writes exactly the gen_ai.* content keys @facto/core commits, deprecated ones aside', () => {
    const committed = DEFAULT_CONTENT_KEYS.filter((key) => key.startsWith('gen_ai.') && !DEPRECATED_CONTENT_KEYS.includes(key));
    expect([...GEN_AI_CONTENT_KEYS].sort()).toEqual([...committed].sort());
    for (const key of DEPRECATED_CONTENT_KEYS) expect(DEFAULT_CONTENT_KEYS).toContain(key);
  });
});
