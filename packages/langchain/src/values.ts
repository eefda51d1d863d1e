/**
 * Reading what LangChain hands a callback without trusting its shape. Serialized runnables,
 * metadata, invocation parameters and messages differ between providers, LangChain versions and
 * third-party integrations, so every field is read through these and skipped when it is not what
 * is expected, instead of throwing inside the agent's run.
 */

export type Fields = Readonly<Record<string, unknown>>;

export function isFields(value: unknown): value is Fields {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function fieldsOf(value: unknown): Fields {
  return isFields(value) ? value : {};
}

export function listOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The first of the values that is a non-empty string. */
export function firstString(...values: readonly unknown[]): string | undefined {
  for (const value of values) {
    const text = stringOf(value);
    if (text !== undefined) return text;
  }
  return undefined;
}

/** The first of the values that is defined (request parameters come under several spellings). */
export function firstDefined(...values: readonly unknown[]): unknown {
  return values.find((value) => value !== undefined && value !== null);
}

/** The class name at the end of a serialized runnable's id: `["langchain", "tools", "DynamicTool"]`. */
export function serializedName(serialized: unknown): string | undefined {
  const id = fieldsOf(serialized).id;
  return Array.isArray(id) ? stringOf(id.at(-1)) : undefined;
}

/** The id path of a serialized runnable, or an empty list. */
export function serializedId(serialized: unknown): readonly string[] {
  const id = fieldsOf(serialized).id;
  return Array.isArray(id) ? id.filter((part): part is string => typeof part === 'string') : [];
}
