/**
 * Turns an agent's input or output into the string attribute that carries it. Never throws: the
 * agent's data can hold cycles, BigInts or class instances, and telemetry must not break the agent.
 */
export function toJsonText(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    const seen = new WeakSet<object>();
    const text = JSON.stringify(value, (_key, item: unknown) => {
      if (typeof item === 'bigint') return item.toString();
      if (typeof item === 'object' && item !== null) {
        if (seen.has(item)) return '[Circular]';
        seen.add(item);
      }
      return item;
    });
    return text ?? String(value);
  } catch {
    return String(value);
  }
}
