import { describe, expect, it } from 'vitest';
import { progressBar } from './progress-bar.js';
import { colourWanted, styleFor } from './terminal.js';

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
