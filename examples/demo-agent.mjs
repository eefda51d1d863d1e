/**
 * A refund assistant with a fake model, recording what it does through @facto/otel: a plan step, a
 * retrieval, a model call with GenAI semantic-convention attributes, and the money-moving tool call.
 * Offline: nothing here talks to a model API.
 */
export async function runRefundAgent(facto) {
  return facto.step('agent.run', { request: 'Customer 311 asks for a refund of order 1042' }, async () => {
    const policy = facto.record('retrieval', { query: 'refund policy' }, ['Refunds within 30 days', 'Shipping not refunded']);
    const decision = await facto.step('chat gpt-4o', { messages: [{ role: 'user', content: 'Order 1042, 40 EUR, bought 12 days ago. Refund?' }] }, async (step) => {
      step.span.setAttributes({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 38,
        'gen_ai.usage.output_tokens': 12,
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Order 1042, 40 EUR, bought 12 days ago. Refund?' }] }]),
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Approve: within policy.' }] }]),
      });
      return { approve: true, evidence: policy };
    });
    await facto.step('tool bank.refund', { order: 1042, amountEur: 40 }, async (step) => {
      step.span.setAttributes({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'bank.refund', 'refund.amount_eur': 40 });
      return { refundId: 'rf-7731', status: 'settled' };
    });
    return decision.approve ? 'refunded 40 EUR for order 1042' : 'refund declined';
  });
}
