import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromBase64, fromHex, utf8 } from '../bytes.js';
import { FactoError } from '../errors.js';
import { getPublicKey } from './crypto-adapter.js';
import { openNote, signNote } from './signed-note.js';
import { noteKeyId, parseVerifierKey } from './verifier-key.js';

const readVectors = (name: string) => JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8'));
const go = readVectors('sumdb-note.json');
const c2sp = readVectors('c2sp-examples.json');
const peter = parseVerifierKey(go.peter.verifierKey);
const enoch = parseVerifierKey(go.enoch.verifierKey);
// Go's signer key text is PRIVATE+KEY+<name>+<hex8>+base64(0x01 || 32-byte seed).
const peterSeed = fromBase64(go.peter.signerKey.split('+').slice(4).join('+')).slice(1);

function keyPair(name: string, seedByte: number) {
  const privateKey = new Uint8Array(32).fill(seedByte);
  const publicKey = getPublicKey(privateKey);
  return { signer: { name, privateKey }, verifier: { name, keyId: noteKeyId(name, publicKey), publicKey } };
}

function expectNoteError(action: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(FactoError.isInstance(caught), String(caught)).toBe(true);
  expect((caught as FactoError).message).toMatch(pattern);
}

describe('signed notes against golang.org/x/mod/sumdb/note', () => {
  it('signs the PeterNeumann note byte for byte as Go does', () => {
    expect(signNote(go.text, [{ name: 'PeterNeumann', privateKey: peterSeed }])).toBe(go.signedByPeter);
  });

  it('opens it with the published verifier key', () => {
    const opened = openNote(go.signedByPeter, [peter]);
    expect(opened.text).toBe(go.text);
    expect(opened.signatures).toEqual([{ name: 'PeterNeumann', keyId: fromHex('c74f20a3'), verified: true }]);
  });

  it('reports an unknown second signer as unverified, and verifies both when both are known', () => {
    const onlyPeter = openNote(go.signedByPeterAndEnoch, [peter]);
    expect(onlyPeter.signatures.map((signature) => [signature.name, signature.verified])).toEqual([['PeterNeumann', true], ['EnochRoot', false]]);
    const both = openNote(go.signedByPeterAndEnoch, [peter, enoch]);
    expect(both.signatures.every((signature) => signature.verified)).toBe(true);
  });

  it('rejects a note no known key signed, saying so', () => {
    expectNoteError(() => openNote(go.signedByPeterAndEnoch, []), /^unverified note: .*PeterNeumann\+c74f20a3, EnochRoot\+af0cfe78/);
    expectNoteError(() => openNote(go.signedByPeter, [enoch]), /^unverified note/);
  });

  it('rejects a known key whose signature fails', () => {
    expectNoteError(() => openNote(go.peterSignatureWithInsertedABCD, [peter]), /^invalid note signature: .*PeterNeumann\+c74f20a3/);
    const altered = go.signedByPeter.replace('cryptography', 'Cryptography');
    expectNoteError(() => openNote(altered, [peter]), /^invalid note signature/);
  });

  it('rejects the malformed notes from the Go tests', () => {
    for (const note of go.malformedNotes) expectNoteError(() => openNote(note, [peter]), /^malformed note: /);
    const invalidUtf8 = concatBytes(fromHex(go.malformedNoteInvalidUtf8.prefixHex), utf8(go.malformedNoteInvalidUtf8.rest));
    expectNoteError(() => openNote(invalidUtf8, [peter]), /^malformed note: not valid UTF-8/);
    expect(openNote(utf8(go.signedByPeter), [peter]).text).toBe(go.text);
  });

  it('rejects duplicate signatures by one key and more than 100 signatures', () => {
    expectNoteError(() => openNote(go.signedByPeter + go.peter.signatureLine, [peter]), /second signature by key PeterNeumann\+c74f20a3/);
    const many = Array.from({ length: 101 }, (_, index) => `\u2014 key${index} ${go.peter.signatureLine.split(' ')[2]}`).join('');
    expectNoteError(() => openNote(`${go.text}\n${many}`, [peter]), /more than 100 signatures/);
  });
});

describe('signed notes', () => {
  const alice = keyPair('example.com/alice', 1);
  const bob = keyPair('example.com/bob', 2);

  it('parses the c2sp.org/signed-note example, whose key is not published', () => {
    expectNoteError(() => openNote(c2sp.signedNote, []), /^unverified note: .*quasimodo\.example\/salvatore/);
  });

  it('round-trips any well-formed text with several signers', () => {
    const line = fc.string({ unit: 'grapheme' }).filter((text) => !/[\u0000-\u001f]/.test(text));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 5 }), (lines) => {
        const text = `${lines.join('\n')}\n`;
        const opened = openNote(signNote(text, [alice.signer, bob.signer]), [bob.verifier]);
        expect(opened.text).toBe(text);
        expect(opened.signatures.map((signature) => signature.verified)).toEqual([false, true]);
      }),
      { numRuns: 50 },
    );
  });

  it('keeps blank lines inside the text', () => {
    const text = 'first\n\n\nlast\n\n';
    expect(openNote(signNote(text, [alice.signer]), [alice.verifier]).text).toBe(text);
  });

  it('refuses to sign what it could not open', () => {
    expect(() => signNote('no final newline', [alice.signer])).toThrow(/must end with a newline/);
    expect(() => signNote('bell \u0007\n', [alice.signer])).toThrow(/forbidden character U\+0007/);
    expect(() => signNote('half \ud800 pair\n', [alice.signer])).toThrow(/forbidden character U\+D800/);
    expect(() => signNote('text\n', [])).toThrow(TypeError);
    expect(() => signNote('text\n', [alice.signer, alice.signer])).toThrow(/listed twice/);
    expect(() => signNote('text\n', [{ name: 'bad name', privateKey: alice.signer.privateKey }])).toThrow(FactoError);
  });

  it('checks the verifier list it is given', () => {
    const note = signNote('text\n', [alice.signer]);
    const wrongId = { ...alice.verifier, keyId: new Uint8Array(4) };
    expect(() => openNote(note, [wrongId])).toThrow(/does not match its name and public key/);
    expect(() => openNote(note, [{ ...alice.verifier, publicKey: new Uint8Array(31) }])).toThrow(RangeError);
    expect(() => openNote(note, 'key' as unknown as [])).toThrow(TypeError);
  });

  it('treats a wrong key under a known name as an unknown signer', () => {
    const impostor = keyPair('example.com/alice', 7);
    expectNoteError(() => openNote(signNote('text\n', [impostor.signer]), [alice.verifier]), /^unverified note/);
  });

  it('rejects non-canonical base64 in signature lines', () => {
    const note = signNote('text\n', [alice.signer]);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    // A 68-byte signature ends in "X=\n": X carries 4 data bits and 2 unused ones. Setting an unused
    // bit changes the text but not the bytes a lenient decoder reads, so the signature would still
    // verify: only the canonical-encoding rule can refuse it.
    const last = note.at(-3)!;
    const lenientTwin = alphabet[alphabet.indexOf(last) | 1]!;
    expect(lenientTwin).not.toBe(last);
    const twin = note.slice(0, -3) + lenientTwin + note.slice(-2);
    expect(Buffer.from(twin.trim().split(' ').at(-1)!, 'base64')).toEqual(Buffer.from(note.trim().split(' ').at(-1)!, 'base64'));
    expectNoteError(() => openNote(twin, [alice.verifier]), /signature is not canonical standard base64/);
  });
});
