/**
 * Security incidents as ingest records them. Anyone who can reach the ingest endpoint can make the
 * collector record one (a forged span is an incident), so what one costs is bounded: its evidence is
 * capped in size, and a repeat of the same finding (same kind, about the same record, same reason)
 * is counted on the first one instead of being stored again.
 */
import { sha256, toHex, utf8 } from '@facto/core';
import type { IncidentKind, NewIncident } from '../store/types.js';

/** Evidence beyond this many UTF-8 bytes is kept as a prefix with its size and digest. */
export const MAX_EVIDENCE_BYTES = 16 * 1024;

export interface IncidentSubject {
  readonly agentId: string | null;
  readonly chainId: string | null;
  readonly seq: number | null;
  readonly factoId: string | null;
}

export const NO_SUBJECT: IncidentSubject = { agentId: null, chainId: null, seq: null, factoId: null };

/** Evidence already serialised (a record's canonical text, say), so it is not parsed to be written again. */
export class EvidenceJson {
  constructor(readonly text: string) {}
}

/** Evidence as JSON text, capped: an object is serialised first; text is taken as the JSON it is. */
export function capEvidence(evidence: unknown): string {
  const text = evidence instanceof EvidenceJson ? evidence.text : (JSON.stringify(evidence) ?? 'null');
  const bytes = utf8(text);
  if (bytes.length <= MAX_EVIDENCE_BYTES) return text;
  // A prefix by code units can end inside a surrogate pair; JSON.stringify escapes a lone one.
  return JSON.stringify({ truncated: true, bytes: bytes.length, sha256: toHex(sha256(bytes)), prefix: text.slice(0, MAX_EVIDENCE_BYTES / 2) });
}

export function newIncident(kind: IncidentKind, subject: IncidentSubject, detail: string, evidence: unknown, now: number): NewIncident {
  const fingerprint = toHex(sha256(utf8(JSON.stringify([kind, subject.agentId, subject.chainId, subject.seq, subject.factoId, detail]))));
  return { kind, ...subject, detail, evidenceJson: capEvidence(evidence), createdAt: now, fingerprint };
}
