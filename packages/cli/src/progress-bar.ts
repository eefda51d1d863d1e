/**
 * A progress bar on stderr, drawn only when stderr is a terminal (a log file or a CI job gets no
 * carriage-return noise), redrawn at most ten times a second however often it is told of progress,
 * and erased when done so the result below it starts on a clean line.
 */
import type { TextOutput } from './cli-io.js';

const REDRAW_MILLIS = 100;
const BAR_WIDTH = 24;

export interface ProgressBar {
  /** `done` of `total` (total unknown: a counter without a bar). */
  update(done: number, total?: number): void;
  finish(): void;
}

const SILENT: ProgressBar = { update() {}, finish() {} };

export function progressBar(output: TextOutput, env: Record<string, string | undefined>, label: string, unit: (value: number) => string): ProgressBar {
  if (output.isTTY !== true || env.TERM === 'dumb') return SILENT;
  let lastDrawn = 0;
  let drawn = false;
  const startedAt = Date.now();
  return {
    update(done, total) {
      const now = Date.now();
      if (now - lastDrawn < REDRAW_MILLIS) return;
      lastDrawn = now;
      drawn = true;
      const seconds = Math.max((now - startedAt) / 1000, 0.001);
      const rate = `${unit(done / seconds)}/s`;
      if (total === undefined || total <= 0) {
        output.write(`\r\u001b[2K${label} ${unit(done)} (${rate})`);
        return;
      }
      const fraction = Math.min(1, done / total);
      const filled = Math.round(fraction * BAR_WIDTH);
      output.write(`\r\u001b[2K${label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${Math.floor(fraction * 100)}% ${unit(done)} of ${unit(total)} (${rate})`);
    },
    finish() {
      if (drawn) output.write('\r\u001b[2K');
    },
  };
}

export const count = (value: number) => Math.round(value).toLocaleString('en-US');

export function bytes(value: number): string {
  if (value < 1024) return `${Math.round(value)} B`;
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KB`;
  if (value < 1024 * 1024 * 1024) return `${(value / 1024 / 1024).toFixed(1)} MB`;
  return `${(value / 1024 / 1024 / 1024).toFixed(2)} GB`;
}
