/**
 * A landed trace as an indented outline, one span per line, children under their parent in the
 * order the chain recorded them (the order they ended), errors marked. Asserting a whole outline
 * checks names, nesting and order at once, and a failing test shows the tree that did land.
 */
import type { LandedSpan } from './landed-spans.js';

export function outline(spans: readonly LandedSpan[]): string {
  const ids = new Set(spans.map((span) => span.spanId));
  const lines: string[] = [];
  const visit = (span: LandedSpan, depth: number) => {
    lines.push(`${'  '.repeat(depth)}${span.name}${span.status.code === 2 ? ' [error]' : ''}`);
    for (const child of spans.filter((candidate) => candidate.parentSpanId === span.spanId)) visit(child, depth + 1);
  };
  for (const root of spans.filter((span) => !ids.has(span.parentSpanId))) visit(root, 0);
  return lines.join('\n');
}

/** The span a span is nested under, among the landed ones. */
export function parentOf(spans: readonly LandedSpan[], span: LandedSpan): LandedSpan | undefined {
  return spans.find((candidate) => candidate.spanId === span.parentSpanId);
}
