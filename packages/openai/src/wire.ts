/**
 * Reading the OpenAI wire format without trusting its shape. Request bodies come from the caller
 * and responses from a server that may be an OpenAI-compatible one, so the mappings read every field
 * through these and skip what is not what they expect, instead of throwing inside the agent's call.
 * The package declares no types from `openai` on purpose: it serves v6 and v7, whose types differ.
 */

export type WireObject = Readonly<Record<string, unknown>>;

export function isObject(value: unknown): value is WireObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function objectOf(value: unknown): WireObject {
  return isObject(value) ? value : {};
}

export function objectsOf(value: unknown): WireObject[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function nonEmptyStringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function indexOf(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : fallback;
}
