/**
 * Loads the vendored opentelemetry-proto definitions (collector/proto) once, when the collector starts,
 * and hands out the message types and enums that OTLP trace decoding needs. protobufjs reads the wire
 * format; nothing here parses bytes by hand.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

// Both src/otlp and dist/otlp sit two levels below the package root, where proto/ ships.
const protoDirectory = fileURLToPath(new URL('../../proto/', import.meta.url));

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // Imports inside the .proto files are relative to the proto directory, as protoc's -I would make them.
  root.resolvePath = (_origin, target) => path.join(protoDirectory, target);
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto');
  root.resolveAll();
  return root;
}

const root = loadRoot();

export const exportTraceServiceRequestType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
export const exportTraceServiceResponseType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
export const spanKindValues: Readonly<Record<string, number>> = root.lookupEnum('opentelemetry.proto.trace.v1.Span.SpanKind').values;
export const statusCodeValues: Readonly<Record<string, number>> = root.lookupEnum('opentelemetry.proto.trace.v1.Status.StatusCode').values;
