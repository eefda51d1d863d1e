/**
 * A structural check of a submitted evidence bundle before verifyBundle sees it. verifyBundle judges
 * the evidence (hashes, signatures, proofs, statements); it expects the JSON to have the bundle's
 * shape. This check turns a wrong shape into a 400 naming the first field that is wrong. What it
 * requires, core's reader requires too (spec section 13: log_key, keys and each event's disclosures
 * are members of every bundle); members it does not look at are core's to judge, in the report.
 */
import { badRequest } from './query-parameters.js';
import { isJsonObject, type JsonObject } from './request-body.js';

function fieldPath(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`;
}

function expectString(object: JsonObject, field: string, path: string): void {
  if (typeof object[field] !== 'string') throw badRequest(`bundle: ${fieldPath(path, field)} must be a string`);
}

function expectArray(object: JsonObject, field: string, path: string): unknown[] {
  const value = object[field];
  if (!Array.isArray(value)) throw badRequest(`bundle: ${fieldPath(path, field)} must be an array`);
  return value;
}

function expectObjects(items: unknown[], path: string): JsonObject[] {
  return items.map((item, index) => {
    if (!isJsonObject(item)) throw badRequest(`bundle: ${path}[${index}] must be an object`);
    return item;
  });
}

function checkEvent(event: JsonObject, path: string): void {
  if (typeof event.leaf_index !== 'number' || !Number.isSafeInteger(event.leaf_index) || event.leaf_index < 0) {
    throw badRequest(`bundle: ${path}.leaf_index must be a non-negative integer`);
  }
  if (!isJsonObject(event.record)) throw badRequest(`bundle: ${path}.record must be an object`);
  if (event.record.attributes !== undefined && !isJsonObject(event.record.attributes)) throw badRequest(`bundle: ${path}.record.attributes must be an object`);
  expectString(event, 'hash', path);
  expectString(event, 'signature', path);
  expectArray(event, 'inclusion_proof', path).forEach((hash, index) => {
    if (typeof hash !== 'string') throw badRequest(`bundle: ${path}.inclusion_proof[${index}] must be a hex string`);
  });
  expectObjects(expectArray(event, 'disclosures', path), `${path}.disclosures`).forEach((disclosure, index) => {
    const where = `${path}.disclosures[${index}]`;
    expectString(disclosure, 'key', where);
    expectString(disclosure, 'salt', where);
    if (!('value' in disclosure)) throw badRequest(`bundle: ${where}.value is missing`);
  });
}

export function checkBundleShape(bundle: JsonObject): void {
  expectString(bundle, 'checkpoint', '');
  expectString(bundle, 'log_key', '');
  if (bundle.query !== undefined && !isJsonObject(bundle.query)) throw badRequest('bundle: query must be an object');
  expectObjects(expectArray(bundle, 'keys', ''), 'keys').forEach((key, index) => {
    for (const field of ['agent_id', 'key_id', 'public_key']) expectString(key, field, `keys[${index}]`);
  });
  expectObjects(expectArray(bundle, 'events', ''), 'events').forEach((event, index) => checkEvent(event, `events[${index}]`));
  expectObjects(expectArray(bundle, 'chains', ''), 'chains').forEach((chain, index) => {
    for (const field of ['agent_id', 'chain_id', 'statement']) expectString(chain, field, `chains[${index}]`);
  });
}
