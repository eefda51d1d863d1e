/**
 * Chain-head persistence in a file (Node only), so a long-lived agent's chain continues across
 * restarts instead of starting again at seq 0. The head is rewritten in place after each signature
 * with one positioned write to an open descriptor: a process crash cannot lose a write the kernel
 * has accepted, and the cost stays in microseconds. An OS crash can lose the last writes (there is no
 * fsync per span); a restarted agent would then re-sign a seq the collector already has, which the
 * collector reports as a fork: visible, never silent. The file is written mode 0600.
 */
import { closeSync, mkdirSync, openSync, readFileSync, writeSync, ftruncateSync } from 'node:fs';
import { dirname } from 'node:path';
import { diag } from '@opentelemetry/api';
import { FactoError } from '@facto/core';
import type { ChainHeadState, ChainHeadStore } from './chain-head.js';

const HASH = /^[0-9a-f]{64}$/;

function parseHead(text: string, path: string): ChainHeadState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FactoError('invalid_argument', `chain head file ${path} is not valid JSON; move it away to start a new chain`, { cause: error });
  }
  const head = value as Partial<ChainHeadState>;
  if (
    typeof head.agentId !== 'string' ||
    typeof head.chainId !== 'string' ||
    !Number.isSafeInteger(head.nextSeq) ||
    (head.nextSeq as number) < 0 ||
    !Number.isSafeInteger(head.dropped) ||
    (head.dropped as number) < 0 ||
    typeof head.prevHash !== 'string' ||
    !HASH.test(head.prevHash)
  ) {
    throw new FactoError('invalid_argument', `chain head file ${path} does not hold a valid chain head`);
  }
  return head as ChainHeadState;
}

function openForRewrite(path: string): number {
  try {
    return openSync(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(dirname(path), { recursive: true });
    return openSync(path, 'wx', 0o600);
  }
}

export function createFileHeadStore(path: string): ChainHeadStore {
  let descriptor: number | undefined;
  let fileLength = 0;
  let textLength = 0;
  let warned = false;
  return {
    load(agentId, chainId) {
      let content: Buffer;
      try {
        content = readFileSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      fileLength = content.length;
      const text = content.toString('utf8');
      if (text.trim() === '') return undefined;
      const head = parseHead(text.trim(), path);
      if (head.agentId !== agentId || head.chainId !== chainId) {
        throw new FactoError('invalid_argument', `chain head file ${path} belongs to agent "${head.agentId}" chain "${head.chainId}", not "${agentId}" chain "${chainId}"`);
      }
      return head;
    },
    save(state) {
      try {
        descriptor ??= openForRewrite(path);
        const text = Buffer.from(JSON.stringify(state), 'utf8');
        // Pad over a longer previous text rather than truncating first: the file is never empty or
        // half-written from a crashed process's point of view.
        const padded = text.length < fileLength ? Buffer.concat([text, Buffer.alloc(fileLength - text.length, 0x20)]) : text;
        writeSync(descriptor, padded, 0, padded.length, 0);
        fileLength = Math.max(fileLength, text.length);
        textLength = text.length;
      } catch (error) {
        // A failed persistence must not break the agent; the chain still works in memory. Said once:
        // a restart would then begin a new stretch of this chain at a seq the collector may hold.
        if (!warned) diag.warn(`facto: cannot persist the chain head to ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); the chain goes on in memory`);
        warned = true;
      }
    },
    close() {
      if (descriptor === undefined) return;
      try {
        ftruncateSync(descriptor, textLength);
      } finally {
        closeSync(descriptor);
        descriptor = undefined;
      }
    },
  };
}
