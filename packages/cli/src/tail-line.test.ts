import { describe, expect, it } from 'vitest';
import { eventLine, incidentLine, subjectOf, type StreamedEvent } from './tail-line.js';
import { styleFor } from './terminal.js';

const event = (attributes: Record<string, unknown>, verdict = 'verified'): StreamedEvent => ({
  facto_id: 'ft-3f148513-6541-49bf-9135-b1e73fc3c13e',
  leaf_index: 4,
  agent_id: 'support-bot',
  chain_id: 'session-42',
  seq: 3,
  name: 'chat gpt-4o',
  action_type: 'chat',
  received_at: '2026-11-22T16:21:22.264Z',
  verdict,
  record: { attributes },
});

const plain = styleFor({ write: () => true }, {});
const coloured = styleFor({ write: () => true, isTTY: true }, {});

describe('tail lines', () => {
  it('names the model, else the tool, else the span', () => {
    expect(subjectOf(event({ 'gen_ai.request.model': { s: 'gpt-4o' }, 'gen_ai.tool.name': { s: 'x' } }))).toBe('gpt-4o');
    expect(subjectOf(event({ 'gen_ai.tool.name': { s: 'bank.refund' } }))).toBe('bank.refund');
    expect(subjectOf(event({ 'gen_ai.request.model': { c: 'ab' } }))).toBe('chat gpt-4o');
  });

  it('prints time, agent, action, subject, verdict and facto_id in columns, without escapes off a terminal', () => {
    expect(eventLine(event({ 'gen_ai.request.model': { s: 'gpt-4o' } }), plain)).toBe(
      '2026-11-22T16:21:22.264Z  support-bot         chat            gpt-4o                      verified  ft-3f148513-6541-49bf-9135-b1e73fc3c13e',
    );
    expect(incidentLine({ id: 1, kind: 'unknown_key', agent_id: 'mallory', facto_id: null, detail: 'key 6a55 is not registered for agent "mallory"', detected_at: '2026-11-22T16:21:23.000Z', verdict: 'rejected' }, plain)).toBe(
      '2026-11-22T16:21:23.000Z  mallory             unknown_key     key 6a55 is not registere…  rejected  -',
    );
  });

  it("prints an agent's ids and names made printable: an agent cannot clear the screen or pose as another", async () => {
    const hostile = { ...event({ 'gen_ai.tool.name': { s: 'evil\u001b[31mRED\u001b[8m' } }), agent_id: 'alice\u001b[8m(mallory)' };
    const line = eventLine(hostile, coloured);
    expect(line).not.toMatch(/\u001b\[(8|31)m/);
    expect(line).toContain('alice\\u001b[8m(ma…');
  });

  it('colours the verdict on a terminal: green verified, red rejected, yellow incident', () => {
    expect(eventLine(event({}), coloured)).toContain('\u001b[32mverified');
    expect(eventLine(event({}, 'incident'), coloured)).toContain('\u001b[33mincident');
    expect(incidentLine({ id: 1, kind: 'fork', agent_id: null, facto_id: null, detail: '', detected_at: '', verdict: 'rejected' }, coloured)).toContain('\u001b[31mrejected');
  });
});
