import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BODY_DICTIONARY_V1, decodeEventBody, encodeEventBody, type EventBody, hexToBytes } from './event-body.js';

const body: EventBody = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  name: 'chat gpt-4o · «naïve» 💬 "quoted"\n',
  startTimeUnixNano: '1767225600123456789',
  endTimeUnixNano: '1767225600987654321',
  recordJson: '{"agent_id":"a","attributes":{"gen_ai.input.messages":{"c":"00ff"}},"text":"\\u0000 ✓"}',
  disclosuresJson: '[{"key":"gen_ai.input.messages","value":{"s":"hello"},"salt":"ab"}]',
  salt: 'cd'.repeat(32),
};

describe('the SQLite event body', () => {
  it('gives back every field exactly, a null salt and empty strings included', () => {
    expect(decodeEventBody(encodeEventBody(body))).toEqual(body);
    const sparse = { ...body, name: '', disclosuresJson: '[]', salt: null };
    expect(decodeEventBody(encodeEventBody(sparse))).toEqual(sparse);
    expect(decodeEventBody(encodeEventBody({ ...body, salt: '' })).salt).toBe('');
  });

  it('gives back a body that compresses to many of zlib\'s output chunks', () => {
    // Random hex barely compresses: about 40 KB out, which zlib writes in 2 KiB chunks.
    const large = { ...body, disclosuresJson: JSON.stringify([{ key: 'gen_ai.input.messages', value: { s: randomBytes(40_000).toString('hex') }, salt: 'ab' }]) };
    const stored = encodeEventBody(large);
    expect(stored.length).toBeGreaterThan(3 * 2048);
    expect(decodeEventBody(stored)).toEqual(large);
  });

  it('is the documented layout: a format byte, then raw DEFLATE with the dictionary of lengths and UTF-8 fields', () => {
    const stored = encodeEventBody(body);
    expect(stored[0]).toBe(1);
    const plain = inflateRawSync(stored.subarray(1), { dictionary: BODY_DICTIONARY_V1 });
    const fields = [body.traceId, body.spanId, body.name, body.startTimeUnixNano, body.endTimeUnixNano, body.recordJson, body.disclosuresJson, body.salt!];
    fields.forEach((field, index) => expect(plain.readUInt32LE(index * 4)).toBe(Buffer.byteLength(field)));
    expect(plain.subarray(32).toString('utf8')).toBe(fields.join(''));
    expect(inflateRawSync(encodeEventBody({ ...body, salt: null }).subarray(1), { dictionary: BODY_DICTIONARY_V1 }).readUInt32LE(28)).toBe(0xffffffff);
  });

  it('is smaller than its text for a GenAI record, since the dictionary holds what records repeat', () => {
    const record = `{"agent_id":"refund-agent","attributes":{"gen_ai.operation.name":{"s":"chat"},"gen_ai.provider.name":{"s":"openai"},"gen_ai.request.model":{"s":"gpt-4o"},"gen_ai.input.messages":{"c":"${'1d'.repeat(32)}"}},"chain_id":"c","dropped":0}`;
    const withDictionary = encodeEventBody({ ...body, recordJson: record }).length;
    const withoutDictionary = deflateRawSync(Buffer.concat([Buffer.alloc(32), Buffer.from(Object.values({ ...body, recordJson: record }).join(''))])).length;
    expect(withDictionary).toBeLessThan(withoutDictionary);
  });

  it('refuses a damaged body with a clear error instead of returning wrong fields', () => {
    const stored = encodeEventBody(body);
    expect(() => decodeEventBody(Buffer.concat([Buffer.from([2]), stored.subarray(1)]))).toThrow(/unknown format 2/);
    expect(() => decodeEventBody(stored.subarray(0, 1))).toThrow(/too short/);
    expect(() => decodeEventBody(stored.subarray(0, stored.length - 4))).toThrow(/stored event body/);
    const lying = Buffer.alloc(32);
    lying.writeUInt32LE(1000, 0);
    expect(() => decodeEventBody(Buffer.concat([Buffer.from([1]), deflateRawSync(lying, { dictionary: BODY_DICTIONARY_V1 })]))).toThrow(/truncated/);
    const extra = Buffer.concat([Buffer.alloc(32), Buffer.from('x')]);
    expect(() => decodeEventBody(Buffer.concat([Buffer.from([1]), deflateRawSync(extra, { dictionary: BODY_DICTIONARY_V1 })]))).toThrow(/trailing bytes/);
  });

  it('stores hashes as bytes only from lowercase hex', () => {
    expect(hexToBytes('00ff', 'hash')).toEqual(Buffer.from([0, 255]));
    for (const bad of ['00FF', 'abc', '', 'zz']) expect(() => hexToBytes(bad, 'hash')).toThrow(/hash must be lowercase hex/);
  });
});
