import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blobFromBase64, blobFromDataUrl, decodeBase64, looksLikeBase64Payload, mediaPart, modalityOf, sha256Hex, withBase64RunsNamed } from './blob.js';

// SHA-256("hello"), FIPS 180-4 test vectors are for "abc"; both are checked.
const HELLO_SHA256 = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';
const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const helloBase64 = Buffer.from('hello').toString('base64');

describe('sha256Hex', () => {
  it('gives the same digest on node:crypto and on the portable @noble path', () => {
    const abc = new TextEncoder().encode('abc');
    expect(sha256Hex(abc)).toBe(ABC_SHA256);
    expect(sha256Hex(abc, 'portable')).toBe(ABC_SHA256);
    const large = new Uint8Array(1_000_003).map((_, index) => (index * 31) & 0xff);
    expect(sha256Hex(large, 'portable')).toBe(createHash('sha256').update(large).digest('hex'));
  });
});

describe('inline media becomes a blob part', () => {
  it('replaces a base64 data: URL by its MIME type, modality, size and SHA-256', () => {
    expect(blobFromDataUrl(`data:image/png;base64,${helloBase64}`)).toEqual({ type: 'blob', mime_type: 'image/png', modality: 'image', size: 5, sha256: HELLO_SHA256 });
    expect(blobFromDataUrl(`DATA:Audio/WAV;base64,${helloBase64}`)).toMatchObject({ mime_type: 'audio/wav', modality: 'audio', sha256: HELLO_SHA256 });
  });

  it('hashes the decoded bytes of a percent-encoded data: URL', () => {
    expect(blobFromDataUrl('data:text/plain,hel%6Co')).toEqual({ type: 'blob', mime_type: 'text/plain', modality: 'document', size: 5, sha256: HELLO_SHA256 });
    expect(blobFromDataUrl('data:,hello')).toEqual({ type: 'blob', mime_type: null, size: 5, sha256: HELLO_SHA256 });
  });

  it('is not fooled by other URLs', () => {
    expect(blobFromDataUrl('https://example.com/cat.png')).toBeUndefined();
    expect(blobFromDataUrl('data:image/png;base64')).toBeUndefined();
  });

  it('decodes standard and URL-safe base64, and hashes undecodable text rather than keep it', () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0xfe]);
    expect(decodeBase64(Buffer.from(bytes).toString('base64'))).toEqual(bytes);
    expect(decodeBase64(Buffer.from(bytes).toString('base64url'))).toEqual(bytes);
    expect(decodeBase64('not base64!')).toBeUndefined();
    expect(blobFromBase64('not base64!', 'image/png')).toMatchObject({ size: 11, sha256: sha256Hex(new TextEncoder().encode('not base64!')) });
  });

  it('maps MIME types to the conventions’ modalities', () => {
    expect(modalityOf('image/jpeg')).toBe('image');
    expect(modalityOf('video/mp4')).toBe('video');
    expect(modalityOf('application/pdf')).toBe('document');
    expect(modalityOf(null)).toBeUndefined();
  });

  it('builds the right part for each way a provider carries media', () => {
    expect(mediaPart({ url: 'https://example.com/cat.png', modality: 'image' })).toEqual({ type: 'uri', uri: 'https://example.com/cat.png', modality: 'image' });
    expect(mediaPart({ url: `data:image/jpeg;base64,${helloBase64}` })).toMatchObject({ type: 'blob', mime_type: 'image/jpeg', sha256: HELLO_SHA256 });
    expect(mediaPart({ data: helloBase64, mimeType: 'audio/mp3' })).toEqual({ type: 'blob', mime_type: 'audio/mp3', modality: 'audio', size: 5, sha256: HELLO_SHA256 });
    expect(mediaPart({ fileId: 'file-abc', modality: 'document' })).toEqual({ type: 'file', file_id: 'file-abc', modality: 'document' });
    expect(mediaPart({})).toBeUndefined();
  });

  it('treats only long base64 runs as varied as encoded bytes as payloads, in every common spelling', () => {
    const bytes = Buffer.from(Array.from({ length: 3000 }, (_, index) => (index * 73 + 11) & 0xff));
    const standard = bytes.toString('base64');
    expect(looksLikeBase64Payload(standard)).toBe(true);
    expect(looksLikeBase64Payload(bytes.subarray(0, 2999).toString('base64').replace(/=+$/, ''))).toBe(true);
    expect(looksLikeBase64Payload(bytes.toString('base64url'))).toBe(true);
    expect(looksLikeBase64Payload(standard.match(/.{1,76}/g)!.join('\r\n'))).toBe(true);
    expect(looksLikeBase64Payload(standard.slice(0, 1020))).toBe(false);
    expect(looksLikeBase64Payload(`${standard.slice(0, 2000)} ${standard.slice(2000)}`)).toBe(false);
    // Text that happens to use the alphabet: a DNA sequence, a hex dump, one repeated symbol group.
    expect(looksLikeBase64Payload('ACGT'.repeat(300))).toBe(false);
    expect(looksLikeBase64Payload(bytes.subarray(0, 600).toString('hex'))).toBe(false);
    expect(looksLikeBase64Payload('QUJD'.repeat(256))).toBe(false);
    // A list of one short word per line is not a wrapped payload.
    expect(looksLikeBase64Payload(Array.from({ length: 300 }, (_, index) => `Item${index}x`).join('\n'))).toBe(false);
  });

  it('names payloads inside text and leaves the text around them', () => {
    const bytes = Buffer.from(Array.from({ length: 3000 }, (_, index) => (index * 73 + 11) & 0xff));
    const named = `[blob size=3000 sha256=${sha256Hex(bytes)}]`;
    expect(withBase64RunsNamed(`Here is the screenshot: ${bytes.toString('base64')} -- what does it show?`)).toBe(`Here is the screenshot: ${named} -- what does it show?`);
    expect(withBase64RunsNamed(`wrapped:\n${bytes.toString('base64').match(/.{1,76}/g)!.join('\n')}\nend`)).toBe(`wrapped:\n${named}\nend`);
    expect(withBase64RunsNamed(`DNA: ${'ACGT'.repeat(300)}`)).toBeUndefined();
    expect(withBase64RunsNamed('short')).toBeUndefined();
  });
});
