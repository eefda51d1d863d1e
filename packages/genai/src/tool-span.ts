/**
 * The span of one tool execution (`execute_tool {tool}`): the tool's identity is set at start, the
 * arguments it was called with and the result it gave are content, each one capped JSON string.
 * Arguments that arrive as JSON text (as model tool calls carry them) are recorded as the JSON they
 * hold, not as a string of a string.
 */
import { GEN_AI_ATTRIBUTES } from './conventions.js';
import { GenAISpan } from './genai-span.js';
import { parseJsonText } from './messages.js';

export class ToolSpan extends GenAISpan {
  arguments(value: unknown): void {
    this.guard('recording tool arguments', () => this.setContent(GEN_AI_ATTRIBUTES.toolCallArguments, parseJsonText(value)));
  }

  result(value: unknown): void {
    this.guard('recording the tool result', () => this.setContent(GEN_AI_ATTRIBUTES.toolCallResult, parseJsonText(value)));
  }
}
