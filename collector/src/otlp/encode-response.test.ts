import { describe, expect, it } from 'vitest';
import { encodeExportTraceServiceResponse } from './encode-response.js';
import { exportTraceServiceResponseType } from './proto-schema.js';

const decodeProtobuf = (body: Uint8Array) => exportTraceServiceResponseType.toObject(exportTraceServiceResponseType.decode(body), { longs: String });
const decodeJson = (body: Uint8Array) => JSON.parse(new TextDecoder().decode(body));

describe('ExportTraceServiceResponse', () => {
  it('is the empty message on full success', () => {
    expect(encodeExportTraceServiceResponse({ rejectedSpans: 0, errorMessage: '' }, 'protobuf')).toHaveLength(0);
    expect(decodeJson(encodeExportTraceServiceResponse({ rejectedSpans: 0, errorMessage: '' }, 'json'))).toEqual({});
  });

  it('carries partial success over both encodings', () => {
    const result = { rejectedSpans: 3, errorMessage: '3 spans failed signature verification' };
    expect(decodeProtobuf(encodeExportTraceServiceResponse(result, 'protobuf'))).toEqual({ partialSuccess: { rejectedSpans: '3', errorMessage: result.errorMessage } });
    expect(decodeJson(encodeExportTraceServiceResponse(result, 'json'))).toEqual({ partialSuccess: { rejectedSpans: '3', errorMessage: result.errorMessage } });
  });

  it('can carry a warning with nothing rejected', () => {
    const result = { rejectedSpans: 0, errorMessage: 'unsigned spans were stored unverified' };
    expect(decodeProtobuf(encodeExportTraceServiceResponse(result, 'protobuf'))).toEqual({ partialSuccess: { errorMessage: result.errorMessage } });
    expect(decodeJson(encodeExportTraceServiceResponse(result, 'json'))).toEqual({ partialSuccess: { errorMessage: result.errorMessage } });
  });

  it('validates its input', () => {
    expect(() => encodeExportTraceServiceResponse({ rejectedSpans: -1, errorMessage: '' }, 'json')).toThrow(RangeError);
    expect(() => encodeExportTraceServiceResponse({ rejectedSpans: 1.5, errorMessage: '' }, 'protobuf')).toThrow(RangeError);
    expect(() => encodeExportTraceServiceResponse({ rejectedSpans: 0, errorMessage: '' }, 'xml' as 'json')).toThrow(TypeError);
  });
});
