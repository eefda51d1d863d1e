/**
 * Times on the command line: whatever the collector accepts (RFC 3339, or milliseconds since the
 * epoch; it checks them and says what is wrong), or a duration back from now, `90s`, `15m`, `2h`,
 * `7d`, which is what one usually means by "since".
 */
const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MILLIS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function readTime(value: string, now = Date.now()): string {
  const match = DURATION.exec(value);
  if (match === null) return value;
  return new Date(now - Number(match[1]) * UNIT_MILLIS[match[2] as keyof typeof UNIT_MILLIS]).toISOString();
}
