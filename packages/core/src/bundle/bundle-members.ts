/**
 * The members of an evidence bundle's objects (docs/spec.md section 13): the bundle, each event,
 * each disclosure, each chains, keys and erasures entry have exactly the members section 13 lists
 * (only `erasures` and `query` of the bundle may be absent), and an event discloses a key once. A
 * member the format does not define is refused, not ignored: nothing signs it, so an assertion put
 * there ("approved by auditor") must not ride inside a bundle reported as verified. Shared by
 * verifyBundle and verifyBundleStream, which report these problems alike.
 */
import { assertTypedValue } from '../record/typed-value.js';
import { FactoError } from '../errors.js';
import { BUNDLE_FORMAT } from './types.js';

/** The bundle's members, in the order section 13 shows them; `erasures` and `query` may be absent. */
export const BUNDLE_MEMBERS = ['format', 'log_key', 'checkpoint', 'keys', 'events', 'chains', 'erasures', 'manifest', 'query'] as const;
const OPTIONAL_BUNDLE_MEMBERS: readonly string[] = ['erasures', 'query'];
export const EVENT_MEMBERS = ['leaf_index', 'record', 'hash', 'signature', 'inclusion_proof', 'disclosures'] as const;
export const DISCLOSURE_MEMBERS = ['key', 'value', 'salt'] as const;
export const CHAIN_MEMBERS = ['agent_id', 'chain_id', 'statement'] as const;
export const KEY_MEMBERS = ['agent_id', 'key_id', 'public_key'] as const;
export const ERASURE_MEMBERS = ['leaf_index', 'entry', 'hash', 'signature', 'inclusion_proof'] as const;

const byCodeUnits = (left: string, right: string) => (left < right ? -1 : left > right ? 1 : 0);

/**
 * `where: unknown member "x"` for each name not in `expected`, then `where: member "y" is missing`
 * for each required one absent; sorted by name, so that every reader (whatever order it met the
 * members in) says the same.
 */
export function memberErrors(names: readonly string[], expected: readonly string[], where: string, what: string, optional: readonly string[] = []): string[] {
  const unknown = names.filter((name) => !expected.includes(name)).sort(byCodeUnits);
  const missing = expected.filter((name) => !optional.includes(name) && !names.includes(name)).sort(byCodeUnits);
  return [
    ...unknown.map((name) => `${where}: unknown member ${JSON.stringify(name)}: ${what} has only the members ${expected.join(', ')} (section 13)`),
    ...missing.map((name) => `${where}: member "${name}" is missing (section 13)`),
  ];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The bundle's own members (`names`, as read), and those of its chains and keys entries. */
export function bundleMemberErrors(names: readonly string[], chains: unknown, keys: unknown): string[] {
  const errors = memberErrors(names, BUNDLE_MEMBERS, 'top level', `a ${BUNDLE_FORMAT} document`, OPTIONAL_BUNDLE_MEMBERS);
  const entries = (list: unknown, name: string, expected: readonly string[], what: string) => {
    if (!Array.isArray(list)) return;
    list.forEach((item, index) => {
      if (!isObject(item)) errors.push(`${name}[${index}]: not an object (section 13)`);
      else errors.push(...memberErrors(Object.keys(item), expected, `${name}[${index}]`, what));
    });
  };
  entries(keys, 'keys', KEY_MEMBERS, 'a keys entry');
  entries(chains, 'chains', CHAIN_MEMBERS, 'a chains entry');
  return errors;
}

/** An event's members, and its disclosures': each an object of exactly key, value (a typed value) and salt, each key once. */
export function eventMemberErrors(event: object): string[] {
  const errors = memberErrors(Object.keys(event), EVENT_MEMBERS, 'event', 'an event');
  const disclosures = (event as { disclosures?: unknown }).disclosures;
  if (!Array.isArray(disclosures)) return errors;
  const seen = new Map<string, number>();
  disclosures.forEach((disclosure: unknown, index) => {
    const where = `disclosure ${index}`;
    if (!isObject(disclosure)) return errors.push(`${where}: not an object (section 13)`);
    errors.push(...memberErrors(Object.keys(disclosure), DISCLOSURE_MEMBERS, where, 'a disclosure'));
    try {
      if (Object.hasOwn(disclosure, 'value')) assertTypedValue(disclosure.value, 'value');
    } catch (error) {
      if (!FactoError.isInstance(error)) throw error;
      errors.push(`${where}: ${error.message}`);
    }
    if (typeof disclosure.key !== 'string') return errors.push(`${where}: key is not a string (section 13)`);
    const first = seen.get(disclosure.key);
    if (first !== undefined) errors.push(`${where}: discloses ${JSON.stringify(disclosure.key)} again, as disclosure ${first} does: an event discloses a key once (section 13)`);
    else seen.set(disclosure.key, index);
    return undefined;
  });
  return errors;
}

/**
 * Two events of a bundle share an identity (verifyBundle and the streaming verifier say it alike).
 * The same hash is the same record twice; the same facto_id or leaf index may as well be two
 * different records claiming one place (a forgery beside the original), so only a claim is named.
 */
export function sameEventError(first: number, second: number, kind: 'hash' | 'facto_id' | 'leaf' | 'leaf index'): string {
  if (kind === 'hash') return `events ${first} and ${second} are the same event (same hash): a bundle holds each event once`;
  const what = kind === 'facto_id' ? 'facto_id' : 'leaf index';
  return `events ${first} and ${second} claim the same ${what}: a bundle holds each event once, and one ${what === 'facto_id' ? 'facto_id names' : 'leaf holds'} one event`;
}
