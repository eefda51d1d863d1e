/**
 * Which tool call already has a span, told through the OpenTelemetry context: on ai 7 a tool can be
 * recorded twice over, by the telemetry integration (`factoTelemetry`) around the SDK's tool
 * execution and by a wrapped tool (`factoTools`) inside it. The outer one marks the call id; the
 * inner one, seeing it, runs the tool unrecorded. The key is made with `createContextKey`, which
 * uses `Symbol.for`, so two copies of this package in one process share it.
 */
import { createContextKey, type Context } from '@opentelemetry/api';

const TOOL_CALL_KEY = createContextKey('facto.ai-sdk.tool_call_id');

export function withToolCall(context: Context, toolCallId: string | undefined): Context {
  return toolCallId === undefined ? context : context.setValue(TOOL_CALL_KEY, toolCallId);
}

export function isToolCallRecorded(context: Context, toolCallId: string | undefined): boolean {
  return toolCallId !== undefined && context.getValue(TOOL_CALL_KEY) === toolCallId;
}
