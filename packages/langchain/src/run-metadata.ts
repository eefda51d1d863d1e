/**
 * What LangChain's run metadata says about the conversation. LangGraph copies the application's
 * `configurable.thread_id` into the metadata of every run of an invocation; it is the conversation
 * the application itself named, so it becomes `gen_ai.conversation.id`. Without one, nothing is made
 * up: a run id or a trace id is not a conversation.
 */
import type { Fields } from './values.js';

export function conversationIdOf(metadata: Fields): string | undefined {
  const threadId = metadata.thread_id;
  if (typeof threadId === 'string' && threadId !== '') return threadId;
  if (typeof threadId === 'number' && Number.isFinite(threadId)) return String(threadId);
  return undefined;
}
