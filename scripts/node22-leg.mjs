#!/usr/bin/env node
/**
 * The second test leg: our packages as a user on Node 22 installs them. It packs @facto/core,
 * @facto/otel, @facto/genai and @facto/openai from the built workspaces, fetches a Node 22 binary
 * from the npm registry (the `node` package), and with that binary running npm installs the packed
 * packages into an empty project, fresh from the registry, as `npm install` on Node 22 would resolve
 * them (npm prefers versions whose engines accept the running Node; on 22 the newest openai, 7, and,
 * without our ranges, the OTel 0.30x exporters that clash with the 2.x SDK). Then, still on Node 22,
 * it signs spans (a record() and a call through wrapOpenAI against a local fake OpenAI server),
 * exports them over OTLP/JSON to a local sink, and verifies them with @facto/core alone.
 *
 * Run after `npm run build` (`.ci/run` runs it after `npm test`). Needs the npm registry.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Runs on Node 22 inside the fresh project: sign, export, verify. */
const CHECK = String.raw`
import http from 'node:http';
import { generateKeyPair, openSpan, verifyChains, verifyRecordSignature, toHex } from '@facto/core';
import { createFacto } from '@facto/otel';
import { wrapOpenAI } from '@facto/openai';
import OpenAI from 'openai';

const listen = (handler) => new Promise((resolve) => { const server = http.createServer(handler); server.listen(0, '127.0.0.1', () => resolve(server)); });
const readBody = (request) => new Promise((resolve) => { const chunks = []; request.on('data', (chunk) => chunks.push(chunk)); request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8'))); });

const received = [];
const sink = await listen(async (request, response) => { received.push(JSON.parse(await readBody(request))); response.writeHead(200, { 'content-type': 'application/json' }).end('{}'); });
const model = await listen(async (request, response) => {
  await readBody(request);
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'chatcmpl-22', object: 'chat.completion', created: 1, model: 'gpt-4o-2024-08-06', choices: [{ index: 0, message: { role: 'assistant', content: 'refunded' }, finish_reason: 'stop' }], usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } }));
});
const keys = generateKeyPair();
const facto = createFacto({ agentId: 'node22-agent', privateKey: keys.privateKey, endpoint: 'http://127.0.0.1:' + sink.address().port, protocol: 'http/json' });
const client = wrapOpenAI(new OpenAI({ apiKey: 'test', baseURL: 'http://127.0.0.1:' + model.address().port + '/v1', maxRetries: 0 }), { tracerProvider: facto.provider });
facto.record('tool.call', { tool: 'refund' }, { ok: true });
const answer = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Refund order 1042?' }] });
await facto.shutdown();
sink.close();
model.close();

const typed = (value) => {
  if ('stringValue' in value) return { s: value.stringValue };
  if ('boolValue' in value) return { b: value.boolValue };
  if ('intValue' in value) return { i: String(value.intValue) };
  if ('doubleValue' in value) return { d: value.doubleValue };
  if ('arrayValue' in value) return { a: (value.arrayValue.values ?? []).map(typed) };
  if ('kvlistValue' in value) return { m: (value.kvlistValue.values ?? []).map((pair) => [pair.key, typed(pair.value)]) };
  if ('bytesValue' in value) return { x: Buffer.from(value.bytesValue, 'base64').toString('hex') };
  return null;
};
const pairs = (attributes = []) => attributes.map((attribute) => [attribute.key, typed(attribute.value)]);
const spans = received.flatMap((request) => request.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)));
const opened = spans.map((span) => openSpan({
  traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId ?? '', name: span.name, kind: span.kind,
  startTimeUnixNano: String(span.startTimeUnixNano), endTimeUnixNano: String(span.endTimeUnixNano),
  status: { code: span.status?.code ?? 0, message: span.status?.message ?? '' }, attributes: pairs(span.attributes),
  events: (span.events ?? []).map((event) => ({ name: event.name, timeUnixNano: String(event.timeUnixNano), attributes: pairs(event.attributes) })),
  links: (span.links ?? []).map((link) => ({ traceId: link.traceId, spanId: link.spanId, attributes: pairs(link.attributes) })),
}));
const names = opened.map((item) => item.record.name).sort();
if (JSON.stringify(names) !== JSON.stringify(['chat gpt-4o', 'tool.call'])) throw new Error('unexpected spans: ' + names.join(', '));
if (!opened.every((item) => item.hashMatches && verifyRecordSignature(item.hash, item.signature, keys.publicKey))) throw new Error('a span does not verify');
const [chain] = verifyChains(opened.map(({ record, hash }) => ({ agentId: record.agent_id, chainId: record.chain_id, seq: record.seq, prevHash: record.prev_hash, hash: toHex(hash), dropped: record.dropped })));
if (!chain.intact || chain.length !== 2) throw new Error('the chain is not intact');
// A collector that takes a span in and rejects it (partial_success in its 200) is not "delivered".
const rejecting = await listen(async (request, response) => { await readBody(request); response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ partialSuccess: { rejectedSpans: '1', errorMessage: '1 rejected: unknown key' } })); });
const stranger = createFacto({ agentId: 'node22-agent', privateKey: generateKeyPair().privateKey, endpoint: 'http://127.0.0.1:' + rejecting.address().port, protocol: 'http/json' });
stranger.record('tool.call', { tool: 'refund' }, { ok: true });
const rejectedReport = await stranger.shutdown();
rejecting.close();
if (rejectedReport.rejected !== 1 || rejectedReport.delivered !== 0) throw new Error('a rejected span was not reported as rejected: ' + JSON.stringify(rejectedReport));
console.log('signed, exported and verified on ' + process.version + ': ' + names.join(' + ') + ' (answer: ' + answer.choices[0].message.content + ')');
`;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'facto-node22-'));
const quiet = { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' };
const say = (text) => console.log(`node22 leg: ${text}`);

try {
  const packs = join(work, 'packs');
  mkdirSync(packs);
  const workspaces = ['@facto/core', '@facto/otel', '@facto/genai', '@facto/openai'];
  execFileSync('npm', ['pack', '--silent', '--pack-destination', packs, ...workspaces.flatMap((name) => ['-w', name])], { ...quiet, cwd: root });
  const tarballs = readdirSync(packs).filter((file) => file.endsWith('.tgz')).map((file) => join(packs, file));
  say(`packed ${tarballs.length} packages`);

  const runtime = join(work, 'runtime');
  mkdirSync(runtime);
  writeFileSync(join(runtime, 'package.json'), '{ "private": true }\n');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', 'node@22'], { ...quiet, cwd: runtime });
  const node22 = join(runtime, 'node_modules', 'node', 'bin', 'node');
  const version = execFileSync(node22, ['--version'], quiet).trim();
  if (!version.startsWith('v22.')) throw new Error(`expected a Node 22 binary, got ${version}`);
  say(`Node ${version} from the npm registry`);

  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'facto-node22-app', private: true, type: 'module' }, null, 2));
  // npm itself, run by the Node 22 binary, so its engine checks see Node 22.
  const npmCli = process.env.npm_execpath?.endsWith('npm-cli.js') ? process.env.npm_execpath : join(execFileSync('npm', ['prefix', '-g'], quiet).trim(), 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  execFileSync(node22, [npmCli, 'install', '--no-audit', '--no-fund', '--silent', ...tarballs, 'openai'], { ...quiet, cwd: app });
  const tree = JSON.parse(execFileSync(node22, [npmCli, 'ls', '--all', '--json'], { ...quiet, cwd: app }));
  const versions = new Map();
  const walk = (dependencies = {}) => {
    for (const [name, entry] of Object.entries(dependencies)) {
      versions.set(name, [...new Set([...(versions.get(name) ?? []), entry.version])]);
      walk(entry.dependencies);
    }
  };
  walk(tree.dependencies);
  const resolved = ['@opentelemetry/api', '@opentelemetry/sdk-trace-base', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/exporter-trace-otlp-proto', 'openai'].map((name) => `${name}@${(versions.get(name) ?? ['missing']).join(',')}`);
  say(`resolved ${resolved.join(' ')}`);
  if (!(versions.get('openai') ?? []).some((item) => item.startsWith('7.'))) throw new Error('on Node 22 npm should pick openai 7 within our peer range ^6 || ^7');

  writeFileSync(join(app, 'check.mjs'), CHECK);
  const output = execFileSync(node22, ['check.mjs'], { ...quiet, cwd: app }).trim();
  say(output);
  say('passed');
} finally {
  rmSync(work, { recursive: true, force: true });
}
