import { describe, expect, it } from 'vitest';
import { createLogger } from '../ops/logger.js';
import { StoreOutage } from './store-outage.js';

function outageWithClock() {
  const lines: Record<string, unknown>[] = [];
  let now = 1_000_000;
  const outage = new StoreOutage(createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>)), () => now);
  return { outage, lines, advance: (millis: number) => (now += millis) };
}

describe('StoreOutage', () => {
  it('says an outage once as it begins, once a minute while it lasts, and once when a write works again', () => {
    const { outage, lines, advance } = outageWithClock();
    outage.worked();
    expect(lines).toEqual([]);
    for (let request = 0; request < 300; request++) {
      outage.failed('PostgreSQL store at db.internal:5432/facto: the server is not answering');
      advance(100);
    }
    // 300 requests over 30 s: one line.
    expect(lines.map((line) => line.message)).toEqual(['store unavailable; answering 503 until it works again']);
    expect(lines[0]).toMatchObject({ level: 'error', error: 'PostgreSQL store at db.internal:5432/facto: the server is not answering' });
    for (let request = 0; request < 400; request++) {
      outage.failed('still down');
      advance(100);
    }
    // At 60 s, the 601st refusal: the second line counts the 600 since the first.
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 'error', error: 'still down', refused: 600, forSeconds: 60 });
    outage.worked();
    expect(lines[2]).toMatchObject({ level: 'info', refused: 700, forSeconds: 70 });
    outage.worked();
    expect(lines).toHaveLength(3);
    // A new outage is a new first line.
    outage.failed('disk full');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({ level: 'error', error: 'disk full' });
  });
});
