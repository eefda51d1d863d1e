/**
 * `facto verify BUNDLE`: an evidence bundle checked offline, trusting nothing but the agent keys and
 * the log key given on the command line (docs/spec.md section 13.1, through core's
 * verifyBundleStream). The file is read as a stream, twice, never whole; every failure is printed
 * as soon as it is found, naming the event (or chain) and the check.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { verifyBundleStream, type EventVerdict } from '@facto/core';
import { CliError } from './cli-error.js';
import { EXIT_FILE, EXIT_NOT_VERIFIED, EXIT_OK, EXIT_USAGE, type CliIo } from './cli-io.js';
import { counted, eventPlace, Findings } from './findings.js';
import { agentKeysByAgent, type AgentKeyArgument } from './key-input.js';
import { bytes, count, progressBar } from './progress-bar.js';
import { printable, printableJson, styleFor } from './terminal.js';

export interface BundleCheckOptions {
  readonly keys: readonly AgentKeyArgument[];
  readonly logKey: string;
  readonly trustBundleKeys: boolean;
  readonly json: boolean;
}

/** The line that says what failed about one event: where it is, then each failed check. */
export function eventProblem(index: number, verdict: EventVerdict): string {
  const place = eventPlace(verdict);
  return `event ${index}${place === '' ? '' : ` (${place})`}: ${verdict.errors.join('; ')}`;
}

export async function verifyBundleFile(path: string, options: BundleCheckOptions, io: CliIo): Promise<number> {
  const before = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${path} (${error.code ?? error.message})`, EXIT_FILE);
  });
  if (!before.isFile()) throw new CliError(`${path} is not a file`, EXIT_FILE);
  const style = styleFor(io.stdout, io.env);
  const progress = progressBar(io.stderr, io.env, 'Verifying', bytes);
  const findings = new Findings(io, style, options.json, () => progress.finish());
  const failedEvents: EventVerdict[] = [];
  let verified = 0;
  const content = { disclosed: 0, unverified: 0, erased: 0, withheld: 0 };
  if (!options.json) {
    io.stdout.write(`Verifying ${path} (${bytes(before.size)}) offline, trusting ${counted(options.keys.length, 'agent key')} and the log key ${options.logKey}${options.trustBundleKeys ? ', and the keys the bundle carries' : ''}\n`);
  }

  // Problems of the bundle found before its events are read (a checkpoint that does not open, above
  // all, which fails every event's inclusion) are printed first, the cause before its effects.
  let early: readonly string[] = [];
  // Whether the checkpoint was read at all: a file refused before it (truncated, not a bundle) must
  // not pass for one whose checkpoint did not open with the log key.
  let checkpointRead = false;
  const startedAt = performance.now();
  const report = await verifyBundleStream(
    { open: () => createReadStream(path, { highWaterMark: 1024 * 1024 }) },
    {
      trustedKeys: { log: options.logKey },
      trustBundleKeys: options.trustBundleKeys,
      keepFailedEvents: 0,
      agentKeysFor: (query) => {
        const agentId = typeof query === 'object' && query !== null && typeof (query as Record<string, unknown>).agent_id === 'string' ? (query as Record<string, string>).agent_id : undefined;
        return agentKeysByAgent(options.keys, agentId, 'this bundle names no single agent in its query');
      },
      onOpened: ({ errors }) => {
        checkpointRead = true;
        early = errors;
        for (const error of errors) findings.problem(`bundle: ${error}`);
      },
      onEvent: (verdict, index) => {
        for (const item of verdict.content) content[item.status]++;
        if (verdict.ok) return void verified++;
        if (failedEvents.length < 10_000) failedEvents.push(verdict);
        findings.problem(eventProblem(index, verdict));
      },
      onProgress: (bytesRead) => progress.update(bytesRead, before.size),
    },
  ).catch((error: unknown) => {
    progress.finish();
    if (CliError.isInstance(error)) throw error;
    throw new CliError(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, EXIT_FILE);
  });
  progress.finish();
  const seconds = (performance.now() - startedAt) / 1000;
  const after = await stat(path).catch(() => undefined);
  if (after === undefined || after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
    throw new CliError(`${path} changed while it was being verified; verify a copy that nothing writes to`, EXIT_FILE);
  }
  for (const chain of report.chains) for (const error of chain.errors) findings.problem(`chain ${chain.agentId}/${chain.chainId}: ${error}`);
  // The report's errors begin with those onOpened gave, malformed bundle or not.
  for (const error of report.errors.slice(early.length)) findings.problem(`bundle: ${error}`);
  if (report.eventCount === 0 && report.ok) findings.warning('the bundle holds no events: it proves only that the selection was empty');
  const { checkpoint } = report;

  if (options.json) {
    io.stdout.write(
      `${printableJson(
        JSON.stringify(
        {
          ok: report.ok,
          file: path,
          checkpoint,
          events: { checked: report.eventCount, verified, failed: report.failedEventCount },
          content,
          chains: report.chains,
          errors: report.errors,
          failed_events: failedEvents,
          problems: findings.problems,
          problems_truncated: findings.truncated,
          warnings: findings.warnings,
          seconds: Number(seconds.toFixed(3)),
        },
        null,
        2,
      ))}\n`,
    );
    return report.ok ? EXIT_OK : EXIT_NOT_VERIFIED;
  }
  const checkpointLine = checkpoint.ok ? `${printable(checkpoint.origin ?? '')}, tree size ${checkpoint.treeSize}, root ${checkpoint.rootHash}` : !checkpointRead ? 'not read: the file is not a well-formed bundle' : 'could not be opened with the log key';
  const intact = report.chains.filter((chain) => chain.ok).length;
  io.stdout.write(
    [
      '',
      `  checkpoint  ${checkpointLine}`,
      `  events      ${counted(report.eventCount, 'event')} checked: ${count(verified)} verified, ${count(report.failedEventCount)} failed`,
      `  chains      ${counted(report.chains.length, 'chain')} checked: ${count(intact)} intact${report.chains.length > intact ? `, ${count(report.chains.length - intact)} not` : ''}`,
      `  content     ${count(content.disclosed)} values disclosed and checked, ${count(content.erased)} erased (by a signed erasure entry), ${count(content.withheld)} withheld${content.unverified > 0 ? `, ${count(content.unverified)} shown but not verified` : ''}`,
      // A rate over a short run measures start-up, not verification.
      `  time        ${seconds.toFixed(2)} s${seconds >= 1 ? `, ${count(report.eventCount / seconds)} events/s` : ''}`,
      '',
      report.ok
        ? style.green(style.bold('VERIFIED: every event, signature, proof, chain and the manifest hold.'))
        : style.red(style.bold(`NOT VERIFIED: ${counted(findings.problemCount, 'problem')}, listed above.`)),
      '',
    ].join('\n'),
  );
  return report.ok ? EXIT_OK : EXIT_NOT_VERIFIED;
}

export function requireLogKey(logKey: string | undefined): string {
  if (logKey === undefined) {
    throw new CliError("--log-key VKEY is required to verify a bundle offline: the log's verifier key, as GET /v1/log gives it, obtained out of band (the bundle's own log_key cannot vouch for itself)", EXIT_USAGE);
  }
  return logKey;
}
