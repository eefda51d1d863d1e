import { describe, expect, it } from 'vitest';
import { progressBar } from './progress-bar.js';
import { colourWanted, printable, printableDeep, styleFor } from './terminal.js';

describe('colour', () => {
  const terminal = { write: () => true, isTTY: true };
  const pipe = { write: () => true };

  it('only on a terminal, never with NO_COLOR set, never on a dumb terminal', () => {
    expect(colourWanted(terminal, {})).toBe(true);
    expect(colourWanted(pipe, {})).toBe(false);
    expect(colourWanted(terminal, { NO_COLOR: '1' })).toBe(false);
    // no-color.org: an empty NO_COLOR does not count.
    expect(colourWanted(terminal, { NO_COLOR: '' })).toBe(true);
    expect(colourWanted(terminal, { TERM: 'dumb' })).toBe(false);
    expect(styleFor(pipe, {}).red('x')).toBe('x');
    expect(styleFor(terminal, {}).red('x')).toBe('\u001b[31mx\u001b[39m');
  });
});

describe('progress bar', () => {
  it('draws on a terminal only, and erases itself when done', () => {
    let drawn = '';
    const bar = progressBar({ write: (text: string) => (drawn += text), isTTY: true }, {}, 'Verifying', String);
    bar.update(50, 200);
    expect(drawn).toContain('Verifying [######------------------] 25% 50 of 200');
    bar.finish();
    expect(drawn.endsWith('\r\u001b[2K')).toBe(true);
    let piped = '';
    const silent = progressBar({ write: (text: string) => (piped += text) }, {}, 'Verifying', String);
    silent.update(1, 2);
    silent.finish();
    expect(piped).toBe('');
  });
});

describe('printable', () => {
  it('shows control characters, separators and bidirectional overrides as \\uXXXX, and leaves other text alone', () => {
    expect(printable('a\u001b[8mb\u0007c\r\n\u009b2J\u2028\u202eevil')).toBe('a\\u001b[8mb\\u0007c\\u000d\\u000a\\u009b2J\\u2028\\u202eevil');
    expect(printable('support-bot ü 日本 🙂 "quoted" \\ tab-free')).toBe('support-bot ü 日本 🙂 "quoted" \\ tab-free');
  });

  it('reaches every string of plain objects and arrays, keys included, and leaves other values as they are', () => {
    const bytes = new Uint8Array([27]);
    expect(printableDeep({ agent: 'a\u001b', list: ['\u0007', 3, null], nested: { ['k\u001b']: true }, bytes })).toEqual({ agent: 'a\\u001b', list: ['\\u0007', 3, null], nested: { 'k\\u001b': true }, bytes });
  });
});
