/**
 * Reading a server-sent event stream (the WHATWG "text/event-stream" format) from a response body:
 * lines of `field: value`, a blank line ends a message, lines starting with ":" are comments (the
 * collector's keep-alives). Node 20 has no EventSource; this is the part of one that tail needs,
 * reconnection being tail's own business.
 */
export interface StreamMessage {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/** A block with an id and no data: no event, but the position a reconnect resumes from moved (an EventSource's lastEventId). */
export interface StreamPosition {
  readonly lastEventId: string;
}

/** Messages, positions, and `undefined` for each comment, so a reader can tell the stream is alive. */
export async function* readEventStream(body: AsyncIterable<Uint8Array>): AsyncIterable<StreamMessage | StreamPosition | undefined> {
  const decoder = new TextDecoder();
  let buffered = '';
  let id: string | undefined;
  let event = '';
  let data: string[] = [];
  let idInBlock = false;
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    for (;;) {
      const end = buffered.search(/\r\n|\r|\n/);
      if (end === -1) break;
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + (buffered.startsWith('\r\n', end) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) yield { id, event: event || 'message', data: data.join('\n') };
        else if (idInBlock && id !== undefined) yield { lastEventId: id };
        event = '';
        data = [];
        idInBlock = false;
        continue;
      }
      if (line.startsWith(':')) {
        yield undefined;
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
      else if (field === 'id' && !value.includes('\0')) {
        id = value;
        idInBlock = true;
      }
    }
  }
}
