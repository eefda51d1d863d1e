/**
 * Test support for the `facto` command end to end: the built bin (packages/cli/bin/facto.mjs, which
 * `npm test` builds first) run as a user runs it, in a child process whose stdout and stderr are
 * pipes (not a terminal) and whose environment carries nothing of the caller's FACTO_* or NO_COLOR
 * settings; and the signed events and keys the tests feed a real collector with.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publicKeyToPem } from '@facto/core';
import { afterEach, expect } from 'vitest';
import type { TestCollector } from '../support/collector.js';
import { otlpJson, type TestAgent } from '../support/signed-spans.js';

export const FACTO_BIN = fileURLToPath(new URL('../../packages/cli/bin/facto.mjs', import.meta.url));

export interface FactoResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningFacto {
  readonly child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** Resolves once the output so far matches (event-driven: output is checked as it arrives). */
  waitFor(pattern: RegExp | string, stream?: 'stdout' | 'stderr'): Promise<void>;
  readonly exited: Promise<FactoResult>;
}

const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

function cleanEnvironment(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !name.startsWith('FACTO_') && name !== 'NO_COLOR' && name !== 'FORCE_COLOR') env[name] = value;
  return { ...env, ...extra };
}

/** Starts `facto ARGS` and hands back the process while it runs. */
export function startFacto(args: readonly string[], env: Record<string, string> = {}): RunningFacto {
  const child = spawn(process.execPath, [FACTO_BIN, ...args], { env: cleanEnvironment(env), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    changed();
  });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
    changed();
  });
  const exited = new Promise<FactoResult>((resolve) => {
    child.on('close', (code) => {
      running.delete(child);
      changed();
      resolve({ code, stdout, stderr });
    });
  });
  const matches = (pattern: RegExp | string, stream: 'stdout' | 'stderr') => {
    const text = stream === 'stdout' ? stdout : stderr;
    return typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
  };
  return {
    child,
    output: () => ({ stdout, stderr }),
    exited,
    waitFor: (pattern, stream = 'stdout') =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (matches(pattern, stream)) {
            listeners.delete(check);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            listeners.delete(check);
            reject(new Error(`facto exited before its ${stream} matched ${String(pattern)}:\n${stdout}\n${stderr}`));
          }
        };
        listeners.add(check);
        check();
      }),
  };
}

/** Runs `facto ARGS` to its end. */
export function facto(args: readonly string[], env: Record<string, string> = {}): Promise<FactoResult> {
  return startFacto(args, env).exited;
}

/**
 * Runs `facto ARGS` with a stdout whose reader has gone before the first byte (`facto … | head -0`):
 * every write to it fails with EPIPE. Resolves with the exit code and stderr.
 */
export function factoWithClosedStdout(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [FACTO_BIN, ...args], { env: cleanEnvironment({}), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.stdout!.destroy();
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      running.delete(child);
      resolve({ code, stderr });
    });
  });
}

/** No escape sequence anywhere: what a pipe, a file or a CI log must get. */
export function expectNoColour(result: { stdout: string; stderr: string }): void {
  expect(result.stdout).not.toContain('\u001b');
  expect(result.stderr).not.toContain('\u001b');
}

/** Sends signed spans of `agent` to the collector's OTLP endpoint; returns them as sealed. */
export async function record(collector: TestCollector, agent: TestAgent, count: number, name = 'tool.call'): Promise<ReturnType<TestAgent['next']>[]> {
  const spans = Array.from({ length: count }, () => agent.next(name));
  const response = await collector.post('/v1/traces', otlpJson(spans));
  expect(response.status).toBe(200);
  const body = (await response.json()) as { partialSuccess?: { rejectedSpans?: string } };
  expect(body.partialSuccess?.rejectedSpans ?? '0').toBe('0');
  return spans;
}

/** The agent's public key as the .pub file facto keygen writes. */
export function publicKeyFile(directory: string, agent: TestAgent): string {
  const path = join(directory, `${agent.agentId}-${agent.chainId}.pem.pub`);
  writeFileSync(path, publicKeyToPem(agent.keys.publicKey));
  return path;
}

export async function logKeyOf(collector: TestCollector): Promise<string> {
  return ((await collector.json('/v1/log')) as { verifier_key: string }).verifier_key;
}

/** How a start that should be refused ends: its exit, or a failure as soon as it listens instead. */
export async function refusedStart(running: RunningFacto): Promise<{ code: number | null; stderr: string }> {
  const started = running.waitFor('listening on').then(
    () => {
      running.child.kill('SIGKILL');
      throw new Error(`the collector started: ${running.output().stderr}`);
    },
    () => new Promise<never>(() => undefined), // it exited first: the exit decides
  );
  return Promise.race([running.exited, started]);
}
