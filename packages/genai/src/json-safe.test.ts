import { describe, expect, it } from 'vitest';
import { sha256Hex } from './blob.js';
import { toJsonSafe } from './json-safe.js';

const png = Buffer.from('\x89PNG fake image bytes', 'latin1');

describe('toJsonSafe', () => {
  it('replaces data: URLs anywhere in the content, and leaves ordinary text alone', () => {
    const content = [{ role: 'user', content: [{ type: 'text', text: 'what is in this image?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } }] }];
    expect(toJsonSafe(content)).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is in this image?' },
          { type: 'image_url', image_url: { url: { type: 'blob', mime_type: 'image/png', modality: 'image', size: png.length, sha256: sha256Hex(png) } } },
        ],
      },
    ]);
    expect(toJsonSafe('data is here')).toBe('data is here');
  });

  it('replaces a long raw base64 run (an image a tool returned) and byte arrays', () => {
    const bytes = new Uint8Array(2048).map((_, index) => index & 0xff);
    const base64 = Buffer.from(bytes).toString('base64');
    expect(toJsonSafe({ result: base64 })).toEqual({ result: { type: 'blob', mime_type: null, size: 2048, sha256: sha256Hex(bytes) } });
    expect(toJsonSafe({ file: bytes })).toEqual({ file: { type: 'blob', mime_type: null, size: 2048, sha256: sha256Hex(bytes) } });
    expect(toJsonSafe(bytes.buffer)).toMatchObject({ size: 2048 });
  });

  it('keeps a text part a text part: a payload in its content is named in the text', () => {
    const bytes = Buffer.from(Array.from({ length: 2048 }, (_, index) => (index * 37 + 5) & 0xff));
    const named = `[blob size=2048 sha256=${sha256Hex(bytes)}]`;
    expect(toJsonSafe([{ type: 'text', content: bytes.toString('base64') }])).toEqual([{ type: 'text', content: named }]);
    expect(toJsonSafe({ note: `see ${bytes.toString('base64url')}` })).toEqual({ note: `see ${named}` });
    expect(toJsonSafe({ genome: 'ACGT'.repeat(300) })).toEqual({ genome: 'ACGT'.repeat(300) });
  });

  it('makes shapes JSON cannot carry safe instead of throwing', () => {
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    const shared = { id: 1 };
    expect(toJsonSafe({ loop, big: 2n ** 70n, when: new Date(0), skip: undefined, fn: () => 1, pair: [shared, shared] })).toEqual({
      loop: { name: 'loop', self: '[Circular]' },
      big: '1180591620717411303424',
      when: '1970-01-01T00:00:00.000Z',
      pair: [{ id: 1 }, { id: 1 }],
    });
  });
});
