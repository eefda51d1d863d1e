/**
 * Test support for several real `facto collector` processes (the built CLI) on one PostgreSQL
 * database: start one on a free port and learn its URL from the line it prints, wait for a line of
 * its JSON log (an election, say), kill it. And a workload: agents that send their chains in
 * batches, spread over the processes, resending a batch elsewhere when a process is gone or answers
 * 503, and recording which spans were acknowledged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { otlpJson, TestAgent } from './signed-spans.js';

const cli = new URL('../../packages/cli/bin/facto.mjs', import.meta.url).pathname;

export interface CollectorProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Resolves with the first log line from position `from` on (past or future) whose message matches. */
  waitForLog(message: RegExp, from?: number): Promise<Record<string, unknown>>;
  /** Log lines so far, parsed. */
  readonly logs: Record<string, unknown>[];
  readonly exited: Promise<void>;
}

export async function startCollectorProcess(options: { db: string; logKey: string; args?: readonly string[] }): Promise<CollectorProcess> {
  // The URL (with its password) travels in the environment, as an operator would pass it.
  const child = spawn(process.execPath, [cli, 'collector', '--port', '0', '--log-key', options.logKey, '--checkpoint-interval', '1', '--log-level', 'info', ...(options.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FACTO_DB: options.db },
  });
  const logs: Record<string, unknown>[] = [];
  const waiters: { message: RegExp; resolve: (line: Record<string, unknown>) => void }[] = [];
  createInterface({ input: child.stderr! }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text);
    } catch {
      line = { message: text };
    }
    logs.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.message.test(String(line.message))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  // 'close', not 'exit': it comes after the last line of stderr was read.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]!);
    });
    void exited.then(() => reject(new Error(`collector exited before listening: ${JSON.stringify(logs.slice(-5))}`)));
  });
  return {
    url,
    child,
    logs,
    exited,
    waitForLog(message, from = 0) {
      const seen = logs.slice(from).find((line) => message.test(String(line.message)));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ message, resolve }));
    },
  };
}

export interface Workload {
  readonly agents: readonly TestAgent[];
  /** Every span sent, by facto_id, with its agent. */
  readonly sent: Map<string, { agentId: string; chainId: string; hash: string }>;
  readonly acknowledged: Set<string>;
  /** How many answers were 503 (with Retry-After) before a batch went through. */
  unavailable: number;
  run(): Promise<void>;
}

/**
 * `agentCount` agents, each sending `batchesPerAgent` batches of `spansPerBatch` spans in order (the
 * next batch only once the last is acknowledged, as an exporter does), batch i of agent a to target
 * (a + i) mod n, so every chain crosses processes. `targets()` is read at each send, so a test can
 * take a killed process out. `onAcknowledged` runs after each acknowledged batch.
 */
export function createWorkload(options: {
  agentCount: number;
  batchesPerAgent: number;
  spansPerBatch: number;
  targets: () => readonly string[];
  onAcknowledged?: (count: number) => void | Promise<void>;
}): Workload {
  const agents = Array.from({ length: options.agentCount }, (_, index) => new TestAgent(`agent-${index}`, `chain-${index}`));
  const sent = new Map<string, { agentId: string; chainId: string; hash: string }>();
  const acknowledged = new Set<string>();
  let batchesAcknowledged = 0;
  const workload: Workload = {
    agents,
    sent,
    acknowledged,
    unavailable: 0,
    async run() {
      await Promise.all(
        agents.map(async (agent, agentIndex) => {
          for (let batchIndex = 0; batchIndex < options.batchesPerAgent; batchIndex++) {
            const spans = Array.from({ length: options.spansPerBatch }, () => agent.next());
            for (const span of spans) sent.set(span.factoId, { agentId: agent.agentId, chainId: agent.chainId, hash: span.hash });
            const body = otlpJson(spans);
            for (let attempt = 0; ; attempt++) {
              if (attempt > 500) throw new Error(`batch ${batchIndex} of ${agent.agentId} was not acknowledged after 500 attempts`);
              const targets = options.targets();
              const target = targets[(agentIndex + batchIndex + attempt) % targets.length]!;
              const answer = await fetch(`${target}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
                async (response) => ({ status: response.status, retryAfter: response.headers.get('retry-after'), text: await response.text() }),
                () => undefined,
              );
              if (answer?.status === 200) {
                if (answer.text.includes('rejected')) throw new Error(`spans rejected: ${answer.text}`);
                for (const span of spans) acknowledged.add(span.factoId);
                await options.onAcknowledged?.(++batchesAcknowledged);
                break;
              }
              if (answer !== undefined && answer.status !== 503) throw new Error(`unexpected answer ${answer.status}: ${answer.text}`);
              if (answer !== undefined) {
                if (answer.retryAfter === null) throw new Error('a 503 without Retry-After');
                workload.unavailable++;
              }
              // Gone or unavailable: a short pause (not an assertion's timing), then the next process.
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
          }
        }),
      );
    },
  };
  return workload;
}
