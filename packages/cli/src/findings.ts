/**
 * What a check found, said as it is found: each problem is printed the moment it is known (a long
 * verification shows its first failure at once, not after the last event), under one heading, and
 * kept for the summary and the --json report. Warnings are things worth knowing that do not fail
 * the check.
 */
import type { CliIo } from './cli-io.js';
import { printable, type Style } from './terminal.js';

/** Problems kept for the JSON report; beyond it they are counted, and printed as they come. */
const KEPT = 10_000;

export class Findings {
  readonly problems: string[] = [];
  readonly warnings: string[] = [];
  problemCount = 0;
  #headed = false;

  constructor(
    readonly io: CliIo,
    readonly style: Style,
    readonly quiet: boolean,
    readonly beforeWrite: () => void = () => {},
  ) {}

  /** `text` may carry what a bundle or the collector said: it is kept and printed made printable (terminal.ts). */
  problem(said: string): void {
    const text = printable(said);
    this.problemCount++;
    if (this.problems.length < KEPT) this.problems.push(text);
    if (this.quiet) return;
    this.beforeWrite();
    if (!this.#headed) {
      this.io.stdout.write(`${this.style.red(this.style.bold('Problems:'))}\n`);
      this.#headed = true;
    }
    this.io.stdout.write(`  ${this.style.red('x')} ${text}\n`);
  }

  warning(said: string): void {
    const text = printable(said);
    this.warnings.push(text);
    if (this.quiet) return;
    this.beforeWrite();
    this.io.stderr.write(`${this.style.yellow('warning:')} ${text}\n`);
  }

  get truncated(): boolean {
    return this.problemCount > this.problems.length;
  }
}

/** `12 345` → `12,345`; a word in the singular or plural. */
export function counted(value: number, singular: string, plural = `${singular}s`): string {
  return `${value.toLocaleString('en-US')} ${value === 1 ? singular : plural}`;
}

/** Where an event sits, for a problem line: its facto_id, leaf index, chain and seq. */
export function eventPlace(event: { factoId?: string; leafIndex?: number; agentId?: string; chainId?: string; seq?: number }): string {
  const parts: string[] = [];
  if (event.factoId) parts.push(event.factoId);
  if (event.leafIndex !== undefined && event.leafIndex >= 0) parts.push(`leaf ${event.leafIndex}`);
  if (event.agentId) parts.push(`${event.agentId}/${event.chainId} seq ${event.seq}`);
  return parts.join(', ');
}
