import { describe, expect, it } from 'vitest';
import { decodeFailureStatus, encodeFailureStatus, grpcCodeFor } from './encode-status.js';

describe('an OTLP failure body', () => {
  it('is a google.rpc.Status in the request encoding, with the gRPC code closest to the HTTP status', () => {
    const protobuf = encodeFailureStatus(400, 'malformed protobuf body', 'protobuf');
    expect(protobuf.mediaType).toBe('application/x-protobuf');
    expect(decodeFailureStatus(protobuf.body)).toEqual({ code: 3, message: 'malformed protobuf body' });
    const json = encodeFailureStatus(503, 'retry later', 'json');
    expect([json.mediaType, JSON.parse(Buffer.from(json.body).toString('utf8'))]).toEqual(['application/json', { code: 14, message: 'retry later' }]);
    expect([401, 408, 413, 500, 418].map(grpcCodeFor)).toEqual([16, 4, 3, 13, 2]);
  });

  it('carries valid UTF-8 whatever the message holds: a lone surrogate becomes U+FFFD, a pair stays', () => {
    const { body } = encodeFailureStatus(400, 'got "a\ud800b" and 💬 and \udc00', 'protobuf');
    // The body's other bytes (field tags, lengths) are ASCII here, so the whole body must decode.
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(body)).not.toThrow();
    expect(decodeFailureStatus(body).message).toBe('got "a\ufffdb" and 💬 and \ufffd');
  });
});
