/**
 * The action type a collector indexes beside each record, and its API filters on: the record's
 * `facto.action_type` string attribute, else `gen_ai.operation.name`, else ''; its first 256 UTF-16
 * code units, never half a surrogate pair. It is derived from the signed record, so a verifier
 * derives it again and compares it with what the collector serves (the stored column is not signed).
 */
import { ACTION_ATTR } from './constants.js';

/**
 * The longest action type stored and queried (the longest `action_type` a query may name); a longer
 * attribute is whole in the signed record. Unbounded, a long one failed PostgreSQL's index (an index
 * row holds about 2.7 KB at most) and with it every span of its request.
 */
export const MAX_ACTION_TYPE_LENGTH = 256;

/** The action type of a record with these attributes (typed values, as in the record). */
export function actionTypeOf(attributes: Readonly<Record<string, unknown>>): string {
  for (const key of [ACTION_ATTR.actionType, 'gen_ai.operation.name']) {
    const value = attributes[key] as { s?: unknown } | null | undefined;
    if (typeof value === 'object' && value !== null && typeof value.s === 'string') return clipActionType(value.s);
  }
  return '';
}

/** `text`'s first MAX_ACTION_TYPE_LENGTH UTF-16 code units, one fewer when the last would split a surrogate pair. */
export function clipActionType(text: string): string {
  if (text.length <= MAX_ACTION_TYPE_LENGTH) return text;
  const last = text.charCodeAt(MAX_ACTION_TYPE_LENGTH - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? MAX_ACTION_TYPE_LENGTH - 1 : MAX_ACTION_TYPE_LENGTH);
}
