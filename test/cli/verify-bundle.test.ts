/**
 * `facto export` then `facto verify BUNDLE`, the built command against a real collector: an
 * untouched bundle verifies with the agent key and the log key alone, and every tamper kind of
 * docs/spec.md section 13 makes it exit 1 naming the event or chain and the check that failed.
 * Usage and file errors have their own exit codes, and nothing is coloured off a terminal.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, hashRecord, sign, toHex } from '@facto/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { TestAgent } from '../support/signed-spans.js';
import { expectNoColour, facto, factoWithClosedStdout, logKeyOf, publicKeyFile, record } from './facto-process.js';

let collector: TestCollector;
let directory: string;
let keyFile: string;
let logKey: string;
let baseline: any;
let ids: string[];

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'facto-cli-verify-'));
  collector = await startTestCollector();
  const keys = generateKeyPair();
  const first = new TestAgent('support-bot', 'session-1', keys);
  const second = new TestAgent('support-bot', 'session-2', keys);
  ids = [...(await record(collector, first, 6)), ...(await record(collector, second, 3))].map((span) => span.factoId);
  keyFile = publicKeyFile(directory, first);
  logKey = await logKeyOf(collector);
  const exported = await facto(['export', '--endpoint', collector.url, '--agent', 'support-bot', '-o', join(directory, 'bundle.json')]);
  expect(exported).toMatchObject({ code: 0, stderr: '' });
  expect(exported.stdout).toContain(`Exported 9 events of agent support-bot to ${join(directory, 'bundle.json')}`);
  baseline = JSON.parse(readFileSync(join(directory, 'bundle.json'), 'utf8'));
});

afterAll(async () => {
  await collector.stop();
  rmSync(directory, { recursive: true, force: true });
});

/** Writes a changed copy of the bundle and verifies it. */
async function verifyChanged(name: string, change: (bundle: any) => void, extra: string[] = []) {
  const bundle = structuredClone(baseline);
  change(bundle);
  const path = join(directory, `${name}.json`);
  writeFileSync(path, JSON.stringify(bundle));
  return facto(['verify', path, '--key', keyFile, '--log-key', logKey, ...extra]);
}

const bySeq = (bundle: any, chain: string, seq: number) => bundle.events.findIndex((event: any) => event.record.chain_id === chain && event.record.seq === seq);

describe('facto verify BUNDLE', () => {
  it('exits with its verdict, without a stack trace, when the reader of its output has gone (| head)', async () => {
    const untouched = await factoWithClosedStdout(['verify', join(directory, 'bundle.json'), '--key', keyFile, '--log-key', logKey]);
    expect(untouched).toEqual({ code: 0, stderr: '' });
    const bundle = structuredClone(baseline);
    bundle.events.splice(1, 1);
    writeFileSync(join(directory, 'piped-tampered.json'), JSON.stringify(bundle));
    const tampered = await factoWithClosedStdout(['verify', join(directory, 'piped-tampered.json'), '--key', keyFile, '--log-key', logKey]);
    expect(tampered).toEqual({ code: 1, stderr: '' });
  });

  it('verifies an untouched export with the agent key and the log key alone, exit 0, no colour', async () => {
    const result = await facto(['verify', join(directory, 'bundle.json'), '--key', keyFile, '--log-key', logKey]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('events      9 events checked: 9 verified, 0 failed');
    expect(result.stdout).toContain('chains      2 chains checked: 2 intact');
    expect(result.stdout).toContain('VERIFIED: every event, signature, proof, chain and the manifest hold.');
    expect(result.stdout).not.toContain('Problems');
    expectNoColour(result);
  });

  it.each<[string, (bundle: any) => void, () => string[]]>([
    ['a record field altered', (bundle) => (bundle.events[bySeq(bundle, 'session-1', 2)].record.name = 'approved by nobody'), () => [`event 2 (${ids[2]}, leaf 2, support-bot/session-1 seq 2): hash: the record does not hash to the stated hash (the record or the stated hash was altered)`, "chain support-bot/session-1: the bundle's events at seq 2 could not be verified (see those events), so the chain cannot be checked through them"]],
    ['an event removed from the middle of a chain', (bundle) => bundle.events.splice(bySeq(bundle, 'session-1', 3), 1), () => ['chain support-bot/session-1: events 3..3 are missing and were not declared dropped']],
    ['an event removed from the end of a chain', (bundle) => bundle.events.splice(bySeq(bundle, 'session-1', 5), 1), () => ["chain support-bot/session-1: the statement's range ends at seq 5, the bundle at 4 (events removed from the end)"]],
    ['two events reordered in the log', (bundle) => {
      const [one, two] = [bySeq(bundle, 'session-1', 1), bySeq(bundle, 'session-1', 4)];
      [bundle.events[one].leaf_index, bundle.events[two].leaf_index] = [bundle.events[two].leaf_index, bundle.events[one].leaf_index];
    }, () => ['inclusion: no valid proof that leaf 4 is in the checkpointed tree', 'inclusion: no valid proof that leaf 1 is in the checkpointed tree']],
    ['an event re-signed with another key', (bundle) => {
      const event = bundle.events[bySeq(bundle, 'session-2', 0)];
      event.signature = toHex(sign(hashRecord(event.record), generateKeyPair().privateKey));
    }, () => [`(${ids[6]}, leaf 6, support-bot/session-2 seq 0): signature: does not verify under the agent key`]],
    ['an event duplicated', (bundle) => bundle.events.push(structuredClone(bundle.events[1])), () => ['bundle: events 1 and 9 are the same event (same hash): a bundle holds each event once', 'chain support-bot/session-1: replayed (duplicated) event at seq 1']],
    ['a whole chain removed with its statement', (bundle) => {
      bundle.events = bundle.events.filter((event: any) => event.record.chain_id !== 'session-2');
      bundle.chains = bundle.chains.filter((chain: any) => chain.chain_id !== 'session-2');
    }, () => ['bundle: manifest: chain support-bot/session-2 should hold 3 events, the bundle holds 0']],
    ['a chain statement removed', (bundle) => bundle.chains.splice(0, 1), () => ['no chain statement: a removed tail could not be detected']],
  ])('exits 1 for %s, naming what failed', async (name, change, problems) => {
    const result = await verifyChanged(name.replaceAll(' ', '-'), change);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Problems:');
    for (const problem of problems()) expect(result.stdout).toContain(problem);
    expect(result.stdout).toMatch(/NOT VERIFIED: \d+ problems?, listed above\./);
    expectNoColour(result);
  });

  it('exits 1 for a checkpoint from another log, and for the right bundle under another log key', async () => {
    const other = await startTestCollector();
    try {
      const foreign = await other.get('/v1/checkpoints/latest').then((response) => response.text());
      const swapped = await verifyChanged('foreign-checkpoint', (bundle) => (bundle.checkpoint = foreign));
      expect(swapped.code).toBe(1);
      expect(swapped.stdout).toContain('bundle: checkpoint:');
      const wrongKey = await facto(['verify', join(directory, 'bundle.json'), '--key', keyFile, '--log-key', await logKeyOf(other)]);
      expect(wrongKey.code).toBe(1);
      expect(wrongKey.stdout).toContain('checkpoint  could not be opened with the log key');
    } finally {
      await other.stop();
    }
  });

  it('names the checkpoint that does not open first, and says what it left unchecked rather than printing placeholders', async () => {
    const extended = await verifyChanged('extended-checkpoint', (bundle) => (bundle.checkpoint = bundle.checkpoint.replace('\n\n', '\nan unsigned extension\n\n')));
    const other = await startTestCollector();
    const wrongKey = await facto(['verify', join(directory, 'bundle.json'), '--key', keyFile, '--log-key', await logKeyOf(other)]).finally(() => other.stop());
    for (const result of [extended, wrongKey]) {
      expect(result.code).toBe(1);
      const problems = result.stdout.split('\n').filter((line) => line.startsWith('  x '));
      expect(problems[0]).toMatch(/^ {2}x bundle: checkpoint: did not open with the log key, so no inclusion proof, chain statement or manifest could be checked against it: /);
      const events = problems.filter((line) => line.startsWith('  x event '));
      expect(events).toHaveLength(9);
      for (const line of events) expect(line).toMatch(/\): inclusion: not checked: the checkpoint did not open with the log key$/);
      expect(result.stdout).not.toMatch(/ -1\b|another log|: $/m);
    }
    expect(extended.stdout).toContain('x chain support-bot/session-1: statement: its origin and tree size could not be compared with the checkpoint: the checkpoint did not open with the log key');
    expect(extended.stdout).toContain('x bundle: manifest: its origin and tree size could not be compared with the checkpoint: the checkpoint did not open with the log key');
  });

  it("prints a tampered bundle's ids made printable: escape codes in them cannot hide the verdict or draw another", async () => {
    // What an outside probe drew with: erase the lines above, a fake green VERIFIED, then conceal the rest.
    const attack = 'x\r\u001b[2K\u001b[1A\n\u001b[32m\u001b[1mVERIFIED: every event, signature, proof, chain and the manifest hold.\u001b[8m\u009b2J\u202e';
    const result = await verifyChanged('escape-codes', (bundle) => {
      bundle.events[bySeq(bundle, 'session-1', 2)].record.chain_id = attack;
    });
    expect(result.code).toBe(1);
    for (const output of [result.stdout, result.stderr]) expect(output).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(result.stdout).toContain('x\\u000d\\u001b[2K\\u001b[1A\\u000a\\u001b[32m');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toMatch(/^NOT VERIFIED: \d+ problems, listed above\.$/);
  });

  it('exits 1 when the key given is not the agent’s: no event is taken on the bundle’s word', async () => {
    const stranger = join(directory, 'stranger.pub');
    writeFileSync(stranger, toHex(generateKeyPair().publicKey));
    const result = await facto(['verify', join(directory, 'bundle.json'), '--key', stranger, '--log-key', logKey]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/key: no trusted key [0-9a-f]{32} for agent "support-bot"/);
  });

  it('reports as JSON with --json: each failed event with its failed checks', async () => {
    const result = await verifyChanged('json-report', (bundle) => (bundle.events[0].record.seq = 40), ['--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ ok: false, events: { checked: 9, verified: 8, failed: 1 } });
    expect(report.failed_events[0]).toMatchObject({ factoId: ids[0], hash: false, signature: false, inclusion: false });
    expect(report.problems[0]).toMatch(/^event 0 \(.*\): hash: the record does not hash to the stated hash/);
  });

  it('catches an erasure entry removed from a bundle, and shows erased content as erased', async () => {
    const erased = await collector.post('/v1/admin/erase', JSON.stringify({ facto_ids: [ids[7]], reason: 'GDPR Art. 17 request 118' }));
    expect(erased.status).toBe(200);
    const path = join(directory, 'erased.json');
    expect((await facto(['export', '--endpoint', collector.url, '--agent', 'support-bot', '--chain', 'session-2', '-o', path])).code).toBe(0);
    const untouched = await facto(['verify', path, '--key', keyFile, '--log-key', logKey]);
    expect(untouched.code).toBe(0);
    expect(untouched.stdout).toContain('2 erased (by a signed erasure entry)');
    const bundle = JSON.parse(readFileSync(path, 'utf8'));
    delete bundle.erasures;
    writeFileSync(path, JSON.stringify(bundle));
    const removed = await facto(['verify', path, '--key', keyFile, '--log-key', logKey]);
    expect(removed.code).toBe(1);
    expect(removed.stdout).toContain('bundle: manifest: lists 1 erasure entries, the bundle holds 0');
  });

  it('exits 1 for text that is not a bundle, saying where it breaks', async () => {
    const path = join(directory, 'broken.json');
    writeFileSync(path, readFileSync(join(directory, 'bundle.json'), 'utf8').replace('"leaf_index":3,', '"leaf_index":3,"leaf_index":3,'));
    const result = await facto(['verify', path, '--key', keyFile, '--log-key', logKey]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/bundle: malformed bundle: invalid JSON at byte \d+, in events\[3\]: duplicate member name "leaf_index"/);
  });

  it('exits 1 for a bundle that is not UTF-8, rather than reading a replacement character', async () => {
    const path = join(directory, 'latin1.json');
    const bytes = readFileSync(join(directory, 'bundle.json'));
    const at = bytes.indexOf('"name":"tool.call"') + '"name":"'.length;
    expect(at).toBeGreaterThan(8);
    writeFileSync(path, Buffer.concat([bytes.subarray(0, at), Buffer.from([0xe9]), bytes.subarray(at + 1)]));
    const result = await facto(['verify', path, '--key', keyFile, '--log-key', logKey]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/bundle: malformed bundle: invalid JSON at byte \d+, in events\[\d+\]: not UTF-8 \(0xe9\): a bundle is JSON, which must be UTF-8 \(RFC 8259 section 8\.1\)/);
  });

  it.each<[string, string[], number, RegExp]>([
    ['no --log-key', ['verify', 'BUNDLE', '--key', 'KEY'], 2, /--log-key VKEY is required to verify a bundle offline/],
    ['no --key', ['verify', 'BUNDLE', '--log-key', 'LOGKEY'], 2, /--key is required/],
    ['a collector flag', ['verify', 'BUNDLE', '--key', 'KEY', '--log-key', 'LOGKEY', '--state', 'x'], 2, /--state is for auditing a collector/],
    ['a log key that is not one', ['verify', 'BUNDLE', '--key', 'KEY', '--log-key', 'facto.local/abcd+1234+nonsense'], 2, /--log-key: not a C2SP verifier key/],
    ['a mistyped log key file', ['verify', 'BUNDLE', '--key', 'KEY', '--log-key', './nofile'], 7, /^facto verify: --log-key \.\/nofile: cannot read it \(ENOENT: no such file\)/],
    ['a missing file', ['verify', 'MISSING', '--key', 'KEY', '--log-key', 'LOGKEY'], 7, /cannot read .*missing\.json \(ENOENT\)/],
    ['a directory', ['verify', 'DIRECTORY', '--key', 'KEY', '--log-key', 'LOGKEY'], 7, /is not a file/],
  ])('exits %s with code %i', async (_name, template, code, message) => {
    const args = template.map((arg) => ({ BUNDLE: join(directory, 'bundle.json'), KEY: keyFile, LOGKEY: logKey, MISSING: join(directory, 'missing.json'), DIRECTORY: directory })[arg] ?? arg);
    const result = await facto(args);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('refuses a key without an agent for a bundle of several agents', async () => {
    const path = join(directory, 'all-agents.json');
    writeFileSync(path, await collector.get('/v1/export').then((response) => response.text()));
    const result = await facto(['verify', path, '--key', keyFile, '--log-key', logKey]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('say which agent it signs for, as --key AGENT=KEY (this bundle names no single agent in its query)');
    expect((await facto(['verify', path, '--key', `support-bot=${keyFile}`, '--log-key', logKey])).code).toBe(0);
  });
});
