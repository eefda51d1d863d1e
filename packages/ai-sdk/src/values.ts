/**
 * Reading AI SDK values without trusting their shape. Prompts, results and stream parts come from
 * providers of two specification versions (and from third-party providers that follow them
 * loosely), so every field is read through these and skipped when it is not what is expected,
 * instead of throwing inside the agent's call.
 */

export type Fields = Readonly<Record<string, unknown>>;

export function isObject(value: unknown): value is Fields {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function objectOf(value: unknown): Fields {
  return isObject(value) ? value : {};
}

export function objectsOf(value: unknown): Fields[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
