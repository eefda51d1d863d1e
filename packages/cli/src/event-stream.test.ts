import { describe, expect, it } from 'vitest';
import { readEventStream } from './event-stream.js';

async function* chunks(text: string, size: number): AsyncIterable<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

async function read(text: string, size = 1024) {
  const messages = [];
  for await (const message of readEventStream(chunks(text, size))) messages.push(message);
  return messages;
}

describe('readEventStream', () => {
  const stream = 'retry: 2000\n\nid: 4\nevent: event\ndata: {"a":"é"}\n\n: keep-alive\n\nid: 5:2\nevent: incident\ndata: {"b":1}\n\n';

  it('reads messages with their id and type, and comments as undefined, however the bytes are cut', async () => {
    const expected = [{ id: '4', event: 'event', data: '{"a":"é"}' }, undefined, { id: '5:2', event: 'incident', data: '{"b":1}' }];
    for (const size of [1, 2, 3, 7, 1024]) expect(await read(stream, size)).toEqual(expected);
  });

  it('joins data lines, takes CRLF and CR line ends, and names an untyped message "message"', async () => {
    expect(await read('data: one\r\ndata: two\r\rdata:three\n\n')).toEqual([
      { id: undefined, event: 'message', data: 'one\ntwo' },
      { id: undefined, event: 'message', data: 'three' },
    ]);
  });

  it('reads an id without data as a position: no message, but where a reconnect resumes from', async () => {
    expect(await read('retry: 2000\nid: 41:7\n\nretry: 5\n\nid: 42:7\ndata: x\n\n')).toEqual([{ lastEventId: '41:7' }, { id: '42:7', event: 'message', data: 'x' }]);
  });

  it('keeps the last id for messages without one, and drops a message cut off before its blank line', async () => {
    expect(await read('id: 7\ndata: a\n\ndata: b\n\ndata: cut')).toEqual([
      { id: '7', event: 'message', data: 'a' },
      { id: '7', event: 'message', data: 'b' },
    ]);
  });
});
