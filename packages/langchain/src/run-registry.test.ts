import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGenAIInstrumentation } from '@facto/genai';
import { RunRegistry } from './run-registry.js';
import { recording, useAsyncContext } from './test-helpers/recording.js';

let removeContext: () => void;
beforeAll(() => {
  removeContext = useAsyncContext();
});
afterAll(() => removeContext());

describe('RunRegistry.place', () => {
  const genai = createGenAIInstrumentation({ name: '@facto/langchain-test' }, { tracerProvider: recording().provider });

  it('puts a run under its nearest recorded ancestor, through runs that have no span, and names the nearest agent', () => {
    const runs = new RunRegistry();
    const agent = genai.startAgent({ name: 'support-agent' }, ROOT_CONTEXT)!;
    const tool = genai.startTool({ name: 'ask_refund_agent' }, agent.context)!;
    runs.add('agent', { kind: 'agent', span: agent, agentName: 'support-agent', graph: true });
    runs.add('node', { kind: 'chain', parentRunId: 'agent' });
    runs.add('tool', { kind: 'tool', parentRunId: 'node', span: tool });
    runs.add('lambda', { kind: 'chain', parentRunId: 'tool' });

    const inTool = runs.place('lambda');
    expect(trace.getSpan(inTool.context)).toBe(tool.span);
    expect(inTool).toMatchObject({ outermost: false, agentName: 'support-agent' });
    expect(trace.getSpan(runs.place('node').context)).toBe(agent.span);
  });

  it('starts a run no followed run encloses in the caller context, as the outermost one', () => {
    const runs = new RunRegistry();
    const caller = trace.setSpan(ROOT_CONTEXT, genai.startAgent({ name: 'caller' }, ROOT_CONTEXT)!.span);
    for (const parentRunId of [undefined, 'a run this handler never saw']) {
      const placed = context.with(caller, () => runs.place(parentRunId));
      expect(placed.context).toBe(caller);
      expect(placed.outermost).toBe(true);
      expect(placed).not.toHaveProperty('agentName');
    }
  });

  it('hands over the runs still open under a run that ended, deepest first, and forgets them', () => {
    const runs = new RunRegistry();
    runs.add('node', { kind: 'chain' });
    runs.add('finished', { kind: 'tool', parentRunId: 'node' });
    runs.add('stream', { kind: 'model', parentRunId: 'node', streamed: true });
    runs.add('inner', { kind: 'chain', parentRunId: 'stream' });
    runs.take('finished', 'tool');
    expect(runs.takeAbandoned('node')).toEqual([
      { kind: 'chain', parentRunId: 'stream' },
      { kind: 'model', parentRunId: 'node', streamed: true },
    ]);
    expect(runs.get('stream', 'model')).toBeUndefined();
    expect(runs.takeAbandoned('node')).toEqual([]);
  });

  it('returns an ended run once, and only as the kind it was', () => {
    const runs = new RunRegistry();
    runs.add('tool', { kind: 'tool' });
    expect(runs.take('tool', 'model')).toBeUndefined();
    expect(runs.take('tool', 'tool')).toEqual({ kind: 'tool' });
    expect(runs.take('tool', 'tool')).toBeUndefined();
  });
});
