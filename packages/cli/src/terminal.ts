/**
 * Colour for a terminal, and only for one: never when the output is a file or a pipe, never with
 * NO_COLOR set (https://no-color.org), never on a dumb terminal. A program reading the output gets
 * the same text without escape codes.
 */
import type { TextOutput } from './cli-io.js';

export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const code = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

export function colourWanted(output: TextOutput, env: Record<string, string | undefined>): boolean {
  return output.isTTY === true && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb';
}

export function styleFor(output: TextOutput, env: Record<string, string | undefined>): Style {
  if (!colourWanted(output, env)) return { enabled: false, bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
  return { enabled: true, bold: code(1, 22), dim: code(2, 22), red: code(31, 39), green: code(32, 39), yellow: code(33, 39), cyan: code(36, 39) };
}
