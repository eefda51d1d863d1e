#!/usr/bin/env node
/**
 * `npm start`: the embedded default, end to end. Starts the collector on SQLite under ./.facto/,
 * runs a small demo agent (a refund assistant with a fake model) that records its steps through
 * @facto/otel, then verifies the result the way an auditor would: an evidence bundle checked offline
 * with nothing but keys, and the same bundle with one byte changed, which must fail. Keeps serving
 * until Ctrl-C. Port: FACTO_PORT or 4318.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { resolveConfig, startCollector } from '@facto/collector';
import { FactoError, generateKeyPair, privateKeyToPem, publicKeyToPem, parsePrivateKey, getPublicKey, verifyBundle } from '@facto/core';
import { createFacto, registerFacto } from '@facto/otel';
import { runRefundAgent } from './demo-agent.mjs';
import { runOpenAIAgent } from './openai-agent.mjs';
import { runAiSdkAgent } from './ai-sdk-agent.mjs';
import { runLangChainAgent } from './langchain-agent.mjs';

const directory = './.facto';
mkdirSync(directory, { recursive: true, mode: 0o700 });
// The demo's own output is for a person: the collector's JSON log lines (TOFU notices among them)
// stay quiet unless something fails or FACTO_LOG_LEVEL asks for them.
const config = resolveConfig({ argv: process.argv.slice(2), env: { FACTO_LOG_LEVEL: 'error', ...process.env } });

let collector;
try {
  collector = await startCollector(config);
} catch (error) {
  // A taken port (an OTel Collector or Jaeger on 4318) or a bad setting: say so, without a stack trace.
  if (!FactoError.isInstance(error)) throw error;
  console.error(`npm start: ${error.message}\nFor example: FACTO_PORT=4319 npm start`);
  process.exit(1);
}
console.log(`facto collector listening on ${collector.url}`);

/**
 * A demo agent's key pair, beside the database, as `facto keygen` writes one for a real agent: the
 * private key (0600) and its public key in FILE.pub, which is all a verifier needs.
 */
function demoKey(name) {
  const keyFile = `${directory}/${name}.pem`;
  if (!existsSync(keyFile)) {
    writeFileSync(keyFile, privateKeyToPem(generateKeyPair().privateKey), { mode: 0o600, flag: 'wx' });
    chmodSync(keyFile, 0o600);
  }
  const publicKey = getPublicKey(parsePrivateKey(readFileSync(keyFile, 'utf8').trim()));
  writeFileSync(`${keyFile}.pub`, publicKeyToPem(publicKey));
  return { keyFile, publicKey };
}

const { keyFile: agentKeyFile, publicKey: agentPublicKey } = demoKey('demo-agent');

const facto = createFacto({ agentId: 'demo-refund-agent', endpoint: collector.url, keyFile: agentKeyFile, serviceName: 'facto-demo', scheduledDelayMillis: 50 });
const outcome = await runRefundAgent(facto);
const delivery = await facto.shutdown();

// A second agent, on the openai client wrapped by @facto/openai (fake model, offline), with its own id and key.
const { keyFile: openaiKeyFile } = demoKey('demo-openai-agent');
const openaiFacto = registerFacto({ agentId: 'demo-openai-agent', endpoint: collector.url, keyFile: openaiKeyFile, serviceName: 'facto-demo-openai', scheduledDelayMillis: 50 });
const openaiAnswer = await runOpenAIAgent();
const openaiDelivery = await openaiFacto.shutdown();
console.log(`OpenAI agent (wrapOpenAI): "${openaiAnswer}", ${openaiDelivery.delivered} spans signed and delivered`);

// A third, on the Vercel AI SDK with @facto/ai-sdk's middleware and tools (mock model, offline). The
// global provider is the OpenAI agent's (registered once per process), so this one is passed its own.
const { keyFile: aiSdkKeyFile } = demoKey('demo-ai-sdk-agent');
const aiSdkFacto = createFacto({ agentId: 'demo-ai-sdk-agent', endpoint: collector.url, keyFile: aiSdkKeyFile, serviceName: 'facto-demo-ai-sdk', scheduledDelayMillis: 50 });
const aiSdkAnswer = await runAiSdkAgent({ tracerProvider: aiSdkFacto.provider });
const aiSdkDelivery = await aiSdkFacto.shutdown();
console.log(`AI SDK agent (factoMiddleware, factoTools): "${aiSdkAnswer}", ${aiSdkDelivery.delivered} spans signed and delivered`);
// A fourth, built with LangChain's createAgent and recorded by @facto/langchain's callback handler (fake model, offline).
// The global provider is the OpenAI agent's, so this one gets its own provider passed in.
const { keyFile: langchainKeyFile } = demoKey('demo-langchain-agent');
const langchainFacto = createFacto({ agentId: 'demo-langchain-agent', endpoint: collector.url, keyFile: langchainKeyFile, serviceName: 'facto-demo-langchain', scheduledDelayMillis: 50 });
const langchainAnswer = await runLangChainAgent({ tracerProvider: langchainFacto.provider });
const langchainDelivery = await langchainFacto.shutdown();
console.log(`LangChain agent (FactoCallbackHandler): "${langchainAnswer}", ${langchainDelivery.delivered} spans signed and delivered`);

const get = async (path) => {
  const response = await fetch(collector.url + path);
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return response;
};
const log = await (await get('/v1/log')).json();
const chain = await (await get(`/v1/chains/demo-refund-agent/${encodeURIComponent(facto.chainId)}`)).json();
const bundle = await (await get(`/v1/export?agent_id=demo-refund-agent&chain_id=${encodeURIComponent(facto.chainId)}`)).json();
const bundleFile = `${directory}/demo-bundle.json`;
writeFileSync(bundleFile, JSON.stringify(bundle));
const trustedKeys = { log: log.verifier_key, agents: { 'demo-refund-agent': [agentPublicKey] } };
const verdict = verifyBundle(bundle, { trustedKeys });

const tampered = structuredClone(bundle);
const victim = tampered.events.find((event) => event.record.name === 'tool bank.refund') ?? tampered.events[0];
victim.record.attributes['refund.amount_eur'] = { i: '4000' };
const tamperVerdict = verifyBundle(tampered, { trustedKeys });

console.log(`
Demo agent: ${outcome}
  spans signed and delivered: ${delivery.delivered} (undelivered: ${delivery.undelivered})
  chain ${facto.chainId}: ${chain.length} events, intact: ${chain.intact}
Log ${log.origin}
  tree size ${log.tree_size}, root ${log.root_hash} (hex; checkpoints carry the same bytes in base64)
  verifier key ${log.verifier_key}
Evidence bundle (checked offline with only the log key and the agent key):
  ${verdict.ok ? 'VERIFIED' : 'FAILED'}: ${verdict.events.filter((event) => event.ok).length}/${verdict.events.length} events, ${verdict.chains.filter((item) => item.ok).length}/${verdict.chains.length} chains
The same bundle with the refund amount edited from 40 to 4000 EUR:
  ${tamperVerdict.ok ? 'VERIFIED (this would be a bug)' : `REJECTED: ${tamperVerdict.events.flatMap((event) => event.errors)[0]}`}
Verify the bundle yourself, offline, trusting nothing but the two public keys:
  npx facto verify ${bundleFile} --key demo-refund-agent=${agentKeyFile}.pub --log-key '${log.verifier_key}'

Try:
  curl -s '${collector.url}/v1/events?limit=5' | head -c 600
  curl -s '${collector.url}/v1/chains/demo-refund-agent'
  curl -s '${collector.url}/v1/checkpoints/latest'
  curl -s '${collector.url}/metrics' | grep facto_
  node examples/tamper-demo.mjs   (edits a row of the database and deletes another: facto verify names both)
Ctrl-C to stop.`);

if (!verdict.ok || tamperVerdict.ok) process.exitCode = 1;
const stop = async () => {
  await collector.close();
  process.exit(process.exitCode ?? 0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
if (process.env.FACTO_DEMO_EXIT === '1') await stop();
