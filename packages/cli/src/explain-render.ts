/**
 * What `facto explain` prints: for a person, sections of aligned lines with typed attribute values
 * shown as the JSON they stand for; for a program (--json), one object with the same facts.
 */
import type { TypedValue } from '@facto/core';
import type { EventCheck, EventJson } from './event-check.js';
import { printable, printableJson, type Style } from './terminal.js';

export interface Neighbour {
  readonly relation: string;
  readonly factoId: string;
  readonly leafIndex: number;
  readonly seq: number;
  readonly name: string;
  readonly actionType: string;
  readonly spanId: string;
  readonly links?: boolean;
}

export interface Explanation {
  readonly event: EventJson;
  /** The checks made here; undefined when no agent key was available to check the signature with. */
  readonly check: EventCheck | undefined;
  readonly signatureSource: 'pinned' | 'registry' | 'collector';
  /** The key ids of the keys given with --key (none when the registry or the collector was asked). */
  readonly givenKeyIds: readonly string[];
  readonly collectorSignature: { readonly ok: boolean; readonly key_status: string };
  readonly computedHash: string | undefined;
  readonly inclusion: { readonly ok: boolean; readonly treeSize: number; readonly rootHash: string | undefined; readonly origin: string | undefined; readonly error: string | undefined };
  readonly logKey: { readonly key: string; readonly pinned: boolean };
  readonly erasure: { readonly leafIndex: number; readonly entryHash: string | undefined; readonly kind: string | undefined } | undefined;
  readonly chain: {
    readonly status: { readonly intact: boolean; readonly length: number; readonly head: { readonly seq: number } | null };
    readonly previous: Neighbour | undefined;
    readonly next: Neighbour | undefined;
  };
  readonly spanTree: { readonly traceId: string; readonly parent: Neighbour | undefined; readonly children: readonly Neighbour[]; readonly siblings: readonly Neighbour[]; readonly windowMinutes: number; readonly complete: boolean };
  readonly problems: readonly string[];
}

/** A typed value (docs/spec.md section 3) as the plain JSON it stands for; a commitment as such. */
export function plainValue(value: TypedValue | { c: string } | undefined): unknown {
  if (value === null || value === undefined) return null;
  if ('s' in value) return value.s;
  if ('b' in value) return value.b;
  if ('i' in value) return Number.isSafeInteger(Number(value.i)) ? Number(value.i) : value.i;
  if ('d' in value) return value.d;
  if ('x' in value) return `0x${value.x}`;
  if ('a' in value) return value.a.map((item) => plainValue(item));
  if ('m' in value) return Object.fromEntries(value.m.map(([key, item]) => [key, plainValue(item)]));
  if ('c' in value) return { commitment: value.c };
  return value;
}

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const STATUS = ['unset', 'ok', 'error'];

function shorten(text: string, length = 160): string {
  return text.length > length ? `${text.slice(0, length)}… (${text.length} characters)` : text;
}

function contentOf(explanation: Explanation) {
  const { event, check } = explanation;
  const disclosed = new Map((event.disclosures ?? []).map((disclosure) => [disclosure.key, disclosure]));
  return Object.entries(event.record.attributes)
    .filter(([, value]) => typeof value === 'object' && value !== null && 'c' in value)
    .map(([key, value]) => {
      const disclosure = disclosed.get(key);
      const status = disclosure !== undefined ? 'disclosed' : event.erased ? 'erased' : 'withheld';
      const ok = disclosure === undefined ? undefined : check?.disclosures.find((item) => item.key === key)?.ok;
      return { key, status, commitment: (value as { c: string }).c, value: disclosure === undefined ? undefined : plainValue(disclosure.value), matches: ok };
    });
}

function asJson(explanation: Explanation): string {
  const { event, check } = explanation;
  const record = event.record;
  return `${JSON.stringify(
    {
      ok: explanation.problems.length === 0,
      facto_id: event.facto_id,
      leaf_index: event.leaf_index,
      agent_id: event.agent_id,
      chain_id: event.chain_id,
      seq: event.seq,
      name: event.name,
      action_type: event.action_type,
      trace_id: record.trace_id,
      span_id: record.span_id,
      parent_span_id: record.parent_span_id,
      start_time_unix_nano: record.start_time_unix_nano,
      end_time_unix_nano: record.end_time_unix_nano,
      received_at: event.received_at,
      status: record.status,
      attributes: Object.fromEntries(Object.entries(record.attributes).filter(([, value]) => !(typeof value === 'object' && value !== null && 'c' in value)).map(([key, value]) => [key, plainValue(value as TypedValue)])),
      content: contentOf(explanation),
      erasure: explanation.erasure === undefined ? null : { leaf_index: explanation.erasure.leafIndex, entry_hash: explanation.erasure.entryHash ?? null },
      checks: {
        hash: { ok: check?.hash ?? explanation.computedHash === event.hash, computed: explanation.computedHash ?? null, stored: event.hash },
        signature: { ok: check === undefined ? explanation.collectorSignature.ok : check.signature, key_id: record.key_id, checked_by: explanation.signatureSource, ...(explanation.signatureSource === 'pinned' ? { given_key_ids: explanation.givenKeyIds } : {}) },
        inclusion: { ok: explanation.inclusion.ok, leaf_index: event.leaf_index, tree_size: explanation.inclusion.treeSize, root_hash: explanation.inclusion.rootHash ?? null, checkpoint_origin: explanation.inclusion.origin ?? null },
        log_key: { key: explanation.logKey.key, pinned: explanation.logKey.pinned },
      },
      chain: { intact: explanation.chain.status.intact, length: explanation.chain.status.length, link_status: event.link_status, previous: explanation.chain.previous ?? null, next: explanation.chain.next ?? null },
      span_tree: { trace_id: explanation.spanTree.traceId, parent: explanation.spanTree.parent ?? null, children: explanation.spanTree.children, siblings: explanation.spanTree.siblings, searched_minutes: explanation.spanTree.windowMinutes, complete: explanation.spanTree.complete },
      problems: explanation.problems,
    },
    null,
    2,
  )}\n`;
}

export function renderExplanation(explanation: Explanation, json: boolean, style: Style): string {
  if (json) return printableJson(asJson(explanation));
  const { check } = explanation;
  // What the collector and the agent said is printed made printable (terminal.ts), field by field:
  // ids and names as text, values as the JSON they stand for (printable() leaves JSON's own escapes
  // alone, so a value is escaped once). The record's own fields stay as they are for the checks.
  const event = printableFields(explanation.event);
  const record = printableFields(explanation.event.record);
  const p = printable;
  const mark = (ok: boolean | undefined) => (ok === undefined ? style.dim('?') : ok ? style.green('ok') : style.red('FAILED'));
  const lines: string[] = [];
  const row = (label: string, text: string) => lines.push(`  ${label.padEnd(12)} ${text}`);
  const who = (item: Neighbour) => `${p(item.name)}${item.actionType && item.actionType !== item.name ? ` [${p(item.actionType)}]` : ''}  ${style.dim(p(item.factoId))}`;

  lines.push(style.bold(`Event ${event.facto_id}`));
  row('name', `${event.name}${event.action_type && event.action_type !== event.name ? `  (action ${event.action_type})` : ''}`);
  row('agent', `${event.agent_id}, chain ${event.chain_id}, seq ${event.seq}`);
  row('merkle leaf', String(event.leaf_index));
  row('span', `trace ${record.trace_id}, span ${record.span_id}${record.parent_span_id ? `, parent ${record.parent_span_id}` : ' (a root span)'}, kind ${KINDS[record.kind] ?? record.kind}`);
  const times = explanation.event.record;
  const startMillis = Number(BigInt(times.start_time_unix_nano) / 1_000_000n);
  const durationMillis = Number((BigInt(times.end_time_unix_nano) - BigInt(times.start_time_unix_nano)) / 1_000_000n);
  row('time', `${new Date(startMillis).toISOString()}, ${durationMillis} ms; received ${event.received_at}`);
  row('status', `${STATUS[record.status.code] ?? record.status.code}${record.status.message ? `: ${record.status.message}` : ''}`);
  row('signed by', `key ${record.key_id}${record.dropped > 0 ? `; the signer had dropped ${record.dropped} earlier records of this chain` : ''}`);

  lines.push(style.bold('Attributes'));
  const plain = Object.entries(explanation.event.record.attributes).filter(([, value]) => !(typeof value === 'object' && value !== null && 'c' in value));
  if (plain.length === 0) lines.push('  (none)');
  for (const [key, value] of plain) lines.push(`  ${p(key)} = ${p(shorten(JSON.stringify(plainValue(value as TypedValue))))}`);

  lines.push(style.bold('Content'));
  const content = contentOf(explanation);
  if (content.length === 0) lines.push('  (no content was committed)');
  for (const item of content) {
    if (item.status === 'disclosed') lines.push(`  ${p(item.key)}: ${item.matches ? 'matches its commitment' : item.matches === false ? style.red('DOES NOT match its commitment') : 'shown (not checked: no key)'}\n    ${p(shorten(JSON.stringify(item.value)))}`);
    else if (item.status === 'erased') {
      const erasure = explanation.erasure;
      lines.push(`  ${p(item.key)}: ${style.yellow('erased')} by the signed erasure entry at leaf ${erasure?.leafIndex}${erasure?.entryHash ? ` (entry hash ${p(erasure.entryHash)})` : ''}; the commitment stays`);
    } else lines.push(`  ${p(item.key)}: withheld (only the commitment was sent: capture mode "hashes")`);
  }

  lines.push(style.bold('Checks made here'));
  row('hash', `${mark(check?.hash ?? explanation.computedHash === event.hash)}  the record hashes to ${explanation.computedHash ?? '(cannot be computed)'}${explanation.computedHash !== event.hash ? `, stored ${event.hash}` : ''}`);
  if (check === undefined) row('signature', `${mark(explanation.collectorSignature.ok)}  as the collector reports it (no agent key here: pass --key to check it yourself)`);
  else if (explanation.signatureSource !== 'pinned') row('signature', `${mark(check.signature)}  under key ${record.key_id} (from the collector's registry)`);
  else if (check.signature || explanation.givenKeyIds.includes(record.key_id)) row('signature', `${mark(check.signature)}  under key ${record.key_id} (given with --key)`);
  else row('signature', `${mark(false)}  the record is signed with key ${record.key_id}, not with the key${explanation.givenKeyIds.length === 1 ? '' : 's'} given with --key (${explanation.givenKeyIds.join(', ')})`);
  row('inclusion', `${mark(explanation.inclusion.ok)}  leaf ${event.leaf_index} in the tree of size ${explanation.inclusion.treeSize}${explanation.inclusion.rootHash ? `, root ${explanation.inclusion.rootHash}` : ''}${explanation.inclusion.error ? ` (${p(explanation.inclusion.error)})` : ''}`);
  row('log key', `${p(explanation.logKey.key)}${explanation.logKey.pinned ? ' (pinned with --log-key)' : style.yellow(" (from the collector: pin it out of band with --log-key; a log cannot vouch for its own key)")}`);

  const { status, previous, next } = explanation.chain;
  lines.push(style.bold(`Chain ${event.chain_id}`) + ` (${status.intact ? 'intact' : style.red('NOT intact')}, ${status.length} events, head seq ${status.head?.seq ?? '-'}; link status ${event.link_status})`);
  row('previous', previous ? `seq ${previous.seq}  ${who(previous)}  ${previous.links ? 'this record links to it' : style.red('this record does NOT link to it')}` : event.seq === 0 ? 'none: this is the chain\'s first record' : `seq ${event.seq - 1} not found near this event`);
  row('next', next ? `seq ${next.seq}  ${who(next)}  ${next.links ? 'links to this record' : style.red('does NOT link to this record')}` : `seq ${event.seq + 1} not found near this event (the chain may end here)`);

  const tree = explanation.spanTree;
  lines.push(style.bold('Span tree') + ` (trace ${p(tree.traceId)}; spans the agent sent within ${tree.windowMinutes} minutes${tree.complete ? '' : ', search cut short'})`);
  row('parent', tree.parent ? who(tree.parent) : record.parent_span_id === '' ? 'none: a root span' : `span ${record.parent_span_id}, not among them`);
  row('children', tree.children.length === 0 ? 'none' : tree.children.map(who).join('\n' + ' '.repeat(15)));
  row('siblings', tree.siblings.length === 0 ? 'none' : tree.siblings.map(who).join('\n' + ' '.repeat(15)));

  lines.push('');
  if (explanation.problems.length === 0) lines.push(style.green(style.bold('VERIFIED: the record, its signature and its place in the log hold.')));
  else {
    lines.push(style.red(style.bold('NOT VERIFIED:')));
    for (const problem of explanation.problems) lines.push(`  ${style.red('x')} ${p(problem)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The string fields of one level of an object made printable (terminal.ts); nested objects as they are. */
function printableFields<T extends object>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, typeof value === 'string' ? printable(value) : value])) as T;
}
