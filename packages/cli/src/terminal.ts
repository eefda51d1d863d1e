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

/**
 * Text from outside (a bundle, the collector, an agent's span: ids, names, messages) as it may be
 * printed: control characters (C0, DEL, C1), line and paragraph separators and bidirectional
 * overrides are shown as \uXXXX instead of acting. Printed raw, an agent id or a chain id in a
 * tampered bundle could clear the screen, hide the lines after it, draw a green "VERIFIED" over a
 * failed verdict, or set the window title. Colour is added by the command around such text, never
 * taken from it.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * JSON text (JSON.stringify's, pretty or not) safe for a terminal: JSON already writes C0 controls
 * in strings as \uXXXX, but not DEL, C1 (U+009B acts as an escape on some terminals), the line
 * separators or the bidirectional overrides; those become \uXXXX too, which is the same JSON.
 */
const UNPRINTABLE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function printableJson(json: string): string {
  return json.replace(UNPRINTABLE_IN_JSON, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Every string inside plain objects and arrays, made printable; anything else as it is. */
export function printableDeep<T>(value: T): T {
  if (typeof value === 'string') return printable(value) as T;
  if (Array.isArray(value)) return value.map((item) => printableDeep(item)) as T;
  if (typeof value === 'object' && value !== null && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [printable(key), printableDeep(item)])) as T;
  }
  return value;
}
