import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { audioMimeType, audioParts, StreamedAudio } from './chat-audio.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('audioParts', () => {
  it('records the transcript as text and the audio as a blob carrying its id, not its bytes', () => {
    const wav = Buffer.from('RIFF wav bytes');
    expect(audioParts({ id: 'audio_1', expires_at: 1, data: wav.toString('base64'), transcript: 'Shipped.' }, 'audio/wav')).toEqual([
      { type: 'text', content: 'Shipped.' },
      { type: 'blob', mime_type: 'audio/wav', modality: 'audio', size: wav.length, sha256: sha256(wav), id: 'audio_1' },
    ]);
  });

  it('names audio known only by its id, as a later turn sends a reply back', () => {
    expect(audioParts({ id: 'audio_1' })).toEqual([{ type: 'audio', id: 'audio_1' }]);
    expect(audioParts(null)).toEqual([]);
    expect(audioParts({ id: '' })).toEqual([]);
  });

  it('spells the MIME type as input audio does, from the format the request asked for', () => {
    expect(audioMimeType({ audio: { voice: 'alloy', format: 'mp3' } })).toBe('audio/mp3');
    expect(audioMimeType({ modalities: ['text'] })).toBeUndefined();
  });
});

describe('StreamedAudio', () => {
  it('joins transcript pieces and hashes the data pieces as one audio, each piece decoded on its own', () => {
    const pieces = [Buffer.alloc(7, 1), Buffer.alloc(5, 2)];
    const audio = new StreamedAudio(true);
    audio.add({ id: 'audio_2', transcript: 'Your order ' });
    audio.add({ transcript: 'shipped.' });
    for (const piece of pieces) audio.add({ data: piece.toString('base64') });
    audio.add({ expires_at: 1 });
    const whole = Buffer.concat(pieces);
    expect(audio.parts('audio/pcm16')).toEqual([
      { type: 'text', content: 'Your order shipped.' },
      { type: 'blob', mime_type: 'audio/pcm16', modality: 'audio', size: whole.length, sha256: sha256(whole), id: 'audio_2' },
    ]);
  });

  it('a stream that ended before its data, or that keeps no bytes, names the audio by id', () => {
    const ended = new StreamedAudio(true);
    ended.add({ id: 'audio_3', transcript: 'Your' });
    expect(ended.parts()).toEqual([{ type: 'text', content: 'Your' }, { type: 'audio', id: 'audio_3' }]);
    const unkept = new StreamedAudio(false);
    unkept.add({ id: 'audio_4', data: Buffer.from('bytes').toString('base64') });
    expect(unkept.parts()).toEqual([{ type: 'audio', id: 'audio_4' }]);
  });
});
