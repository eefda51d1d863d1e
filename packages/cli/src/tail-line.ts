/**
 * One line of `facto tail` per committed event or incident: time, agent, action, model or tool,
 * verdict (verified, rejected, incident) and facto_id, in columns, the verdict coloured on a terminal.
 */
import { printable, type Style } from './terminal.js';

export interface StreamedEvent {
  readonly facto_id: string;
  readonly leaf_index: number;
  readonly agent_id: string;
  readonly chain_id: string;
  readonly seq: number;
  readonly name: string;
  readonly action_type: string;
  readonly received_at: string;
  readonly verdict: string;
  readonly record: { readonly attributes: Record<string, unknown> };
}

export interface StreamedIncident {
  readonly id: number;
  readonly kind: string;
  readonly agent_id: string | null;
  readonly facto_id: string | null;
  readonly detail: string;
  readonly detected_at: string;
  readonly verdict: string;
}

function text(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null && 's' in value && typeof value.s === 'string' ? value.s : undefined;
}

/** The model or tool an event is about, from its GenAI attributes, else its span name. */
export function subjectOf(event: StreamedEvent): string {
  const attributes = event.record.attributes;
  return text(attributes['gen_ai.request.model']) ?? text(attributes['gen_ai.response.model']) ?? text(attributes['gen_ai.tool.name']) ?? text(attributes['gen_ai.agent.name']) ?? event.name;
}

/** A column of what an agent or the collector said, made printable first (terminal.ts). */
function fit(said: string, width: number): string {
  const value = printable(said);
  return value.length > width ? `${value.slice(0, width - 1)}…` : value.padEnd(width);
}

function verdict(value: string, style: Style): string {
  const padded = value.padEnd(8);
  if (value === 'verified') return style.green(padded);
  if (value === 'rejected') return style.red(padded);
  return style.yellow(padded);
}

export function eventLine(event: StreamedEvent, style: Style): string {
  return [style.dim(printable(event.received_at)), fit(event.agent_id, 18), fit(event.action_type || '-', 14), fit(subjectOf(event), 26), verdict(printable(event.verdict), style), printable(event.facto_id)].join('  ');
}

export function incidentLine(incident: StreamedIncident, style: Style): string {
  return [style.dim(printable(incident.detected_at)), fit(incident.agent_id ?? '-', 18), fit(incident.kind, 14), fit(incident.detail, 26), verdict(printable(incident.verdict), style), printable(incident.facto_id ?? '-')].join('  ');
}
