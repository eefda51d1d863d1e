import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64, utf8 } from '../bytes.js';
import { FactoError } from '../errors.js';
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.js';
import { getPublicKey } from './crypto-adapter.js';
import { signNote } from './signed-note.js';
import { noteKeyId } from './verifier-key.js';

const c2sp = JSON.parse(readFileSync(new URL('./vectors/c2sp-examples.json', import.meta.url), 'utf8'));
const origin = 'facto.example/log';
const privateKey = new Uint8Array(32).fill(3);
const publicKey = getPublicKey(privateKey);
const signer = { name: origin, privateKey };
const verifier = { name: origin, keyId: noteKeyId(origin, publicKey), publicKey };
const rootHash = Uint8Array.from({ length: 32 }, (_, index) => index * 7);

describe('checkpoints', () => {
  it('parses the c2sp.org/tlog-checkpoint example', () => {
    const body = c2sp.checkpointNote.slice(0, c2sp.checkpointNote.indexOf('\n\n') + 1);
    expect(parseCheckpoint(body)).toEqual({
      origin: c2sp.checkpoint.origin,
      treeSize: c2sp.checkpoint.treeSize,
      rootHash: fromBase64(c2sp.checkpoint.rootHashBase64),
      extensions: [],
    });
    expect(formatCheckpoint(parseCheckpoint(body))).toBe(body);
    expect(() => openCheckpoint(c2sp.checkpointNote, [verifier])).toThrow(/^unverified note/);
  });

  it('round-trips through format, sign and open', () => {
    const line = fc.string({ minLength: 1, unit: 'grapheme' }).filter((text) => !/[\u0000-\u001f]/.test(text));
    fc.assert(
      fc.property(fc.nat(), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.array(line, { maxLength: 3 }), (treeSize, hash, extensions) => {
        const checkpoint = { origin, treeSize, rootHash: hash, extensions };
        expect(parseCheckpoint(formatCheckpoint(checkpoint))).toEqual(checkpoint);
        const opened = openCheckpoint(signCheckpoint(checkpoint, signer), [verifier]);
        expect(opened.checkpoint).toEqual(checkpoint);
        expect(opened.signatures).toEqual([{ name: origin, keyId: verifier.keyId, verified: true }]);
      }),
      { numRuns: 30 },
    );
  });

  it('formats the three mandatory lines', () => {
    expect(formatCheckpoint({ origin, treeSize: 0, rootHash })).toBe(`${origin}\n0\nAAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk=\n`);
  });

  it('validates what it formats', () => {
    expect(() => formatCheckpoint({ origin: '', treeSize: 1, rootHash })).toThrow(/origin must not be empty/);
    expect(() => formatCheckpoint({ origin: 'a\nb', treeSize: 1, rootHash })).toThrow(/single line/);
    expect(() => formatCheckpoint({ origin, treeSize: -1, rootHash })).toThrow(RangeError);
    expect(() => formatCheckpoint({ origin, treeSize: 1.5, rootHash })).toThrow(RangeError);
    expect(() => formatCheckpoint({ origin, treeSize: 1, rootHash: new Uint8Array(31) })).toThrow(RangeError);
    expect(() => formatCheckpoint({ origin, treeSize: 1, rootHash, extensions: [''] })).toThrow(/extensions\[0\] must not be empty/);
  });

  it('parses strictly, saying what is wrong', () => {
    const root = 'AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk=';
    const cases: [string, RegExp][] = [
      [`${origin}\n1\n${root}`, /end with a newline/],
      [`${origin}\n1\n`, /got 2 line/],
      [`\n1\n${root}\n`, /line 1 is empty/],
      [`${origin}\n01\n${root}\n`, /without leading zeros/],
      [`${origin}\n+1\n${root}\n`, /without leading zeros/],
      [`${origin}\n 1\n${root}\n`, /without leading zeros/],
      [`${origin}\n9007199254740992\n${root}\n`, /larger than this implementation supports/],
      [`${origin}\n1\n${root.slice(0, -1)}\n`, /not canonical standard base64/],
      [`${origin}\n1\n${root.slice(0, -2)}1=\n`, /not canonical standard base64/],
      [`${origin}\n1\nAAAA\n`, /must be 32 bytes, got 3/],
      [`${origin}\n1\n${root}\n\nextension\n`, /line 4 is empty/],
      [`${origin}\n1\n${root}\r\n`, /forbidden character U\+000D/],
    ];
    for (const [body, pattern] of cases) expect(() => parseCheckpoint(body), JSON.stringify(body)).toThrow(pattern);
  });

  it('reports a note that is not a checkpoint', () => {
    expect(() => openCheckpoint(signNote('just text\n', [signer]), [verifier])).toThrow(/^malformed checkpoint/);
  });

  it('rejects a checkpoint signed by another key under the log name, and accepts a known key among unknown ones', () => {
    const impostor = { name: origin, privateKey: new Uint8Array(32).fill(4) };
    expect(() => openCheckpoint(signCheckpoint({ origin, treeSize: 5, rootHash }, impostor), [verifier])).toThrow(/^unverified note/);
    const witness = { name: 'witness.example', privateKey: new Uint8Array(32).fill(5) };
    const cosigned = signNote(formatCheckpoint({ origin, treeSize: 5, rootHash }), [witness, signer]);
    expect(openCheckpoint(cosigned, [verifier]).signatures.map((signature) => signature.verified)).toEqual([false, true]);
  });

  it('detects every single-byte change to a signed checkpoint', () => {
    const note = utf8(signCheckpoint({ origin, treeSize: 1234567, rootHash, extensions: ['ext ✓'] }, signer));
    expect(openCheckpoint(note, [verifier]).checkpoint.treeSize).toBe(1234567);
    const replacements = (original: number) => [original ^ 0x01, original ^ 0x02, original ^ 0x20, original ^ 0x80, 0x0a, 0x00, 0x41, 0x2b];
    let attempts = 0;
    for (let index = 0; index < note.length; index++) {
      for (const replacement of replacements(note[index]!)) {
        if (replacement === note[index]) continue;
        const changed = note.slice();
        changed[index] = replacement;
        attempts++;
        let caught: unknown;
        try {
          openCheckpoint(changed, [verifier]);
        } catch (error) {
          caught = error;
        }
        expect(FactoError.isInstance(caught), `byte ${index} set to ${replacement} was accepted`).toBe(true);
      }
    }
    expect(attempts).toBeGreaterThan(note.length * 6);
  });
});
