/**
 * registerFacto says delivery problems without being asked: an agent whose collector cannot be
 * reached writes OpenTelemetry's diag warnings and errors to stderr (OTEL_LOG_LEVEL, default WARN),
 * and OTEL_LOG_LEVEL=NONE keeps it quiet. An outside probe's agent had all its spans rejected, or
 * none delivered, and printed nothing at all.
 */
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '@facto/core';

const script = new URL('./.diag-default.mjs', import.meta.url).pathname;
let endpoint: string;

beforeAll(async () => {
  // A port nothing listens on: every export is refused at once.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise((resolve) => closed.close(resolve));
  writeFileSync(
    script,
    `import { registerFacto } from '@facto/otel';
const facto = registerFacto({ agentId: 'diag-default', endpoint: process.env.ENDPOINT, privateKey: process.env.KEY, retryDelayMillis: 20, flushTimeoutMillis: 300 });
facto.record('step', 1, 2);
await facto.shutdown();
`,
  );
});
afterAll(() => rmSync(script, { force: true }));

async function run(env: Record<string, string>): Promise<string> {
  const key = Buffer.from(generateKeyPair().privateKey).toString('hex');
  const { stderr } = await promisify(execFile)(process.execPath, [script], { env: { ...process.env, OTEL_LOG_LEVEL: '', ENDPOINT: endpoint, KEY: key, ...env } });
  return stderr;
}

describe('registerFacto after another tracer provider', () => {
  const other = new URL('./.register-after-other.mjs', import.meta.url).pathname;
  afterAll(() => rmSync(other, { force: true }));

  it('says as an error that it recorded nothing, rather than staying silent', async () => {
    writeFileSync(
      other,
      `import { trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { registerFacto } from '@facto/otel';
trace.setGlobalTracerProvider(new BasicTracerProvider());
const facto = registerFacto({ agentId: 'after-other', endpoint: process.env.ENDPOINT, privateKey: process.env.KEY, retryDelayMillis: 20, flushTimeoutMillis: 300 });
await facto.shutdown();
`,
    );
    const key = Buffer.from(generateKeyPair().privateKey).toString('hex');
    const { stderr } = await promisify(execFile)(process.execPath, [other], { env: { ...process.env, OTEL_LOG_LEVEL: '', ENDPOINT: endpoint, KEY: key } });
    expect(stderr).toMatch(/facto: registerFacto could not install its tracer provider: another one is already registered globally/);
  }, 30_000);
});

describe('registerFacto and delivery problems', () => {
  it('says on stderr what it could not deliver, by default, and nothing with OTEL_LOG_LEVEL=NONE', async () => {
    const [byDefault, quiet] = await Promise.all([run({}), run({ OTEL_LOG_LEVEL: 'NONE' })]);
    expect(byDefault).toMatch(/facto: 1 signed spans could not be delivered before shutdown; they are declared dropped/);
    expect(quiet).not.toMatch(/facto:/);
  }, 30_000);
});
