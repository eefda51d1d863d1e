/**
 * Tool and retriever runs as `execute_tool` spans. A tool run carries the id of the model's tool
 * call it answers (`gen_ai.tool.call.id`), the arguments it got and what it returned: the content
 * of its ToolMessage when it answered a tool call, the value itself when it was invoked directly. A
 * retriever is a tool of type `datastore` in the conventions' terms: its query is the argument and
 * the documents it found (id, text, metadata) are the result, so both fall under the same content
 * rules as every other tool call.
 */
import type { ToolStart } from '@facto/genai';
import { toolResponse } from './messages.js';
import { fieldsOf, firstString, isFields, listOf, serializedName, stringOf } from './values.js';

export function toolStartOf(serialized: unknown, input: unknown, runName: string | undefined, toolCallId: string | undefined): ToolStart {
  const fields = fieldsOf(serialized);
  const description = stringOf(fieldsOf(fields.kwargs).description);
  return {
    name: firstString(runName, fields.name, serializedName(serialized)) ?? 'tool',
    type: 'function',
    ...(toolCallId ? { callId: toolCallId } : {}),
    ...(description !== undefined ? { description } : {}),
    arguments: input,
  };
}

export function retrieverStartOf(serialized: unknown, query: unknown, runName: string | undefined): ToolStart {
  return { name: firstString(runName, serializedName(serialized)) ?? 'retriever', type: 'datastore', arguments: { query } };
}

/**
 * What a tool run returned. A ToolMessage (a tool answering a model's tool call) is recorded by its
 * content, a LangGraph Command by the tool messages it carries, anything else as it is.
 */
export function toolResult(output: unknown): unknown {
  const fields = fieldsOf(output);
  if (isToolMessage(fields)) return toolResponse(fields.content);
  const update = fieldsOf(fields.update);
  const messages = listOf(update.messages).filter(isFields).filter(isToolMessage);
  if (messages.length > 0) return messages.length === 1 ? toolResponse(messages[0]!.content) : messages.map((message) => toolResponse(message.content));
  return output;
}

/** The documents a retriever found, by id, text and metadata. */
export function retrievedDocuments(documents: unknown): unknown[] {
  return listOf(documents).map((document) => {
    const fields = fieldsOf(document);
    const id = stringOf(fields.id);
    return { ...(id ? { id } : {}), content: fields.pageContent, metadata: fields.metadata };
  });
}

function isToolMessage(fields: Readonly<Record<string, unknown>>): boolean {
  return fields.type === 'tool' && 'tool_call_id' in fields;
}
