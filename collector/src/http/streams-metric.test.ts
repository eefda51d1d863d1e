/**
 * facto_streams_open and facto_streams_max, read from /metrics of a real collector: the gauge rises
 * when a streamed answer takes its --max-streams slot and falls when it gives it back, whichever way
 * the answer ends (its handler fails, its stream ends, its client leaves, a HEAD that reads nothing).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startCollector, type RunningCollector } from '../collector.js';
import { DEFAULT_CONFIG } from '../config.js';
import { silentLogger } from '../ops/logger.js';
import { createMetrics } from '../ops/metrics.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(maxStreams: number): Promise<RunningCollector> {
  const directory = mkdtempSync(join(tmpdir(), 'facto-streams-'));
  cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
  const config = { ...DEFAULT_CONFIG, port: 0, maxStreams, db: join(directory, 'facto.db'), logKey: join(directory, 'log.pem') };
  const running = await startCollector(config, { logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }) });
  cleanups.push(() => running.close());
  return running;
}

async function gauges(url: string): Promise<{ open: number; max: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  return { open: value('facto_streams_open'), max: value('facto_streams_max') };
}

/** An event stream that stays open until `client` aborts, once its first bytes arrived. */
async function openEventStream(url: string, client: AbortController): Promise<void> {
  const response = await fetch(`${url}/v1/stream`, { signal: client.signal });
  expect(response.status).toBe(200);
  await response.body!.getReader().read();
}

describe('the open streams gauge', () => {
  it('follows the --max-streams slots taken and given back, however a streamed answer ends', async () => {
    const { url } = await start(2);
    expect(await gauges(url)).toEqual({ open: 0, max: 2 });

    // Handlers that fail before they stream give their slot back.
    for (let attempt = 0; attempt < 3; attempt++) expect((await fetch(`${url}/v1/stream?incidents=maybe`)).status).toBe(400);
    expect((await fetch(`${url}/v1/export?since=yesterday`)).status).toBe(400);
    expect(await gauges(url)).toEqual({ open: 0, max: 2 });

    const clients = [new AbortController(), new AbortController()];
    cleanups.push(() => clients.forEach((client) => client.abort()));
    for (const client of clients) await openEventStream(url, client);
    expect(await gauges(url)).toEqual({ open: 2, max: 2 });
    // Refused at the limit: no slot taken.
    expect((await fetch(`${url}/v1/stream`)).status).toBe(503);
    expect((await gauges(url)).open).toBe(2);

    clients[0]!.abort();
    await vi.waitFor(async () => expect((await gauges(url)).open).toBe(1));
    // A HEAD answer sends no body: its stream is closed unread, and its slot comes back.
    expect((await fetch(`${url}/v1/stream`, { method: 'HEAD' })).status).toBe(200);
    await vi.waitFor(async () => expect((await gauges(url)).open).toBe(1));
    // An export read to its end.
    const bundle = await fetch(`${url}/v1/export`);
    expect(bundle.status).toBe(200);
    await bundle.text();
    await vi.waitFor(async () => expect((await gauges(url)).open).toBe(1));
    clients[1]!.abort();
    await vi.waitFor(async () => expect((await gauges(url)).open).toBe(0));
  });
});
