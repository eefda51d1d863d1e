import { context, trace } from '@opentelemetry/api';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isInferenceActive } from '@facto/genai';
import { FactoCallbackHandler } from './callback-handler.js';
import { recording, useAsyncContext } from './test-helpers/recording.js';

let removeContext: () => void;
beforeAll(() => {
  removeContext = useAsyncContext();
});
afterAll(() => removeContext());
afterEach(() => trace.disable());

/** A chat model that asks, from inside its own call, whether an inference is already recorded there. */
class AskingModel extends BaseChatModel {
  readonly answers: boolean[] = [];
  constructor(private readonly beforeAnswering: () => Promise<void> = async () => undefined) {
    super({});
  }
  _llmType(): string {
    return 'asking';
  }
  async _generate(_messages: BaseMessage[]): Promise<ChatResult> {
    this.answers.push(isInferenceActive(context.active()));
    await this.beforeAnswering();
    this.answers.push(isInferenceActive(context.active()));
    return { generations: [{ text: 'ok', message: new AIMessage('ok') }] };
  }
}

const State = Annotation.Root({ seen: Annotation<boolean[]>({ reducer: (left, right) => [...left, ...right], default: () => [] }) });

/** Two nodes that run at the same time: one calls the model, the other asks while the model call is open. */
function fanOut(model: AskingModel, modelStarted: Promise<void>, release: () => void) {
  return new StateGraph(State)
    .addNode('think', async () => {
      await model.invoke('Where is order 1042?');
      return {};
    })
    .addNode('lookup', async () => {
      await modelStarted;
      const seen = isInferenceActive(context.active());
      release();
      return { seen: [seen] };
    })
    .addEdge(START, 'think')
    .addEdge(START, 'lookup')
    .addEdge('think', END)
    .addEdge('lookup', END)
    .compile();
}

function gate(): { opened: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('the inference-active check of LangChain model runs', () => {
  it('answers true inside a recorded model call and false in a node running beside it', async () => {
    const started = gate();
    const released = gate();
    const model = new AskingModel(async () => {
      started.open();
      await released.opened;
    });
    const recorded = recording();
    const result = await fanOut(model, started.opened, released.open).invoke({}, { callbacks: [new FactoCallbackHandler({ tracerProvider: recorded.provider })] });
    expect(model.answers).toEqual([true, true]);
    expect(result.seen).toEqual([false]);
    expect(recorded.spans().map((span) => span.name).sort()).toEqual(['chat', 'invoke_agent LangGraph']);
  });

  it('answers false when no handler records the model call', async () => {
    const model = new AskingModel();
    const done = gate();
    done.open();
    await fanOut(model, done.opened, () => undefined).invoke({});
    expect(model.answers).toEqual([false, false]);
  });

  it('cannot answer for a model invoked outside any runnable: LangChain keeps no context there', async () => {
    const model = new AskingModel();
    await model.invoke('Where is order 1042?', { callbacks: [new FactoCallbackHandler({ tracerProvider: recording().provider })] });
    expect(model.answers).toEqual([false, false]);
  });
});
