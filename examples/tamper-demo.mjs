#!/usr/bin/env node
/**
 * Tampering, caught. Records a refund agent's steps in a collector, audits it with `facto verify`
 * (all holds), then does what an insider with write access to the database would: edits one row of
 * the SQLite file (the refund amount, 40 EUR to 4000) and deletes another (a model call). The same
 * audit then names both, and so does an evidence bundle exported afterwards, checked offline.
 *
 *   npm run build && node examples/tamper-demo.mjs
 *
 * Offline; everything lives in a temporary folder that is removed at the end. Exits 0 when the
 * untouched log verifies and the tampered one does not.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerBodyFunctions } from '@facto/collector/sqlite-format';
import Database from 'better-sqlite3';
import { resolveConfig, silentLogger, startCollector } from '@facto/collector';
import { generateKeyPair, privateKeyToPem, publicKeyToPem } from '@facto/core';
import { createFacto } from '@facto/otel';
import { runRefundAgent } from './demo-agent.mjs';

const facto = fileURLToPath(new URL('../packages/cli/bin/facto.mjs', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'facto-tamper-demo-'));
const database = join(folder, 'facto.db');
const config = resolveConfig({ argv: ['--port', '0', '--db', database, '--log-key', join(folder, 'log-key.pem')], env: {} });
const bold = process.stdout.isTTY && !process.env.NO_COLOR ? (text) => `\u001b[1m${text}\u001b[0m` : (text) => text;
const say = (text) => console.log(`\n${bold(text)}`);

/** Runs the facto command as a user would, its output shown as it is; resolves to its exit code. */
function run(...args) {
  console.log(`$ facto ${args.join(' ')}`);
  // Asynchronously: the collector answering it runs in this process.
  const child = spawn(process.execPath, [facto, ...args], { stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

try {
  // The agent's key pair; the verifier is given the public half, the collector is not trusted for it.
  const agent = generateKeyPair();
  writeFileSync(join(folder, 'agent.pem'), privateKeyToPem(agent.privateKey), { mode: 0o600 });
  writeFileSync(join(folder, 'agent.pem.pub'), publicKeyToPem(agent.publicKey));
  const agentKey = `demo-refund-agent=${join(folder, 'agent.pem.pub')}`;
  const state = join(folder, 'audit-state.json');

  let collector = await startCollector(config, { logger: silentLogger });
  say(`1. A refund agent records its steps (two refunds) in a collector at ${collector.url}`);
  const recorder = createFacto({ agentId: 'demo-refund-agent', endpoint: collector.url, keyFile: join(folder, 'agent.pem'), serviceName: 'tamper-demo', scheduledDelayMillis: 20 });
  console.log(`   ${await runRefundAgent(recorder)}; ${await runRefundAgent(recorder)}`);
  await recorder.shutdown();
  const { events } = await (await fetch(`${collector.url}/v1/events?order=asc&limit=100`)).json();
  // A checkpoint that covers every event: asking for a proof of the newest signs one.
  await fetch(`${collector.url}/v1/proofs/inclusion?facto_id=${events.at(-1).facto_id}`);
  const { verifier_key: logKey } = await (await fetch(`${collector.url}/v1/log`)).json();

  say('2. An auditor checks the log, keeping its checkpoint in a state file');
  const before = await run('verify', '--endpoint', collector.url, '--key', agentKey, '--log-key', logKey, '--state', state);
  await collector.close();

  const refund = events.find((event) => event.name === 'tool bank.refund');
  const modelCall = events.filter((event) => event.name.startsWith('chat')).at(-1);
  say(`3. Someone with access to ${database} edits one row and deletes another`);
  const sqlite = new Database(database);
  registerBodyFunctions(sqlite); // the event body is compressed: these SQL functions read and write its fields
  sqlite.prepare("UPDATE events SET body = facto_body_set(body, 'record_json', replace(facto_body_get(body, 'record_json'), ?, ?)) WHERE facto_id = ?").run('"refund.amount_eur":{"i":"40"}', '"refund.amount_eur":{"i":"4000"}', refund.facto_id);
  sqlite.prepare('DELETE FROM events WHERE facto_id = ?').run(modelCall.facto_id);
  sqlite.close();
  console.log(`   edited ${refund.facto_id} (leaf ${refund.leaf_index}, seq ${refund.seq}): refund.amount_eur 40 -> 4000`);
  console.log(`   deleted ${modelCall.facto_id} (leaf ${modelCall.leaf_index}, seq ${modelCall.seq}): "${modelCall.name}"`);

  // On the port it had: the state file names the collector by its URL, and this is the same one.
  collector = await startCollector({ ...config, port: Number(new URL(collector.url).port) }, { logger: silentLogger });
  say('4. The same audit, against the same collector restarted on the edited file');
  const after = await run('verify', '--endpoint', collector.url, '--key', agentKey, '--log-key', logKey, '--state', state);

  say('5. An evidence bundle exported now, checked offline with nothing but the two keys');
  const bundle = join(folder, 'bundle.json');
  await run('export', '--endpoint', collector.url, '--agent', 'demo-refund-agent', '-o', bundle, '--json');
  const offline = await run('verify', bundle, '--key', agentKey, '--log-key', logKey);
  await collector.close();

  const caught = before === 0 && after === 1 && offline === 1;
  say(caught ? 'Both changes were caught: the untouched log verified (exit 0), the tampered one did not (exit 1).' : `Unexpected: exit codes ${before}, ${after}, ${offline} (expected 0, 1, 1).`);
  process.exitCode = caught ? 0 : 1;
} finally {
  rmSync(folder, { recursive: true, force: true });
}
