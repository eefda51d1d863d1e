#!/usr/bin/env node
/**
 * `npm run bench`: every benchmark of the repo in one run, one table, and bench/results/latest.json.
 * Each figure that can be is given as a ratio to a baseline measured in the same run on the same
 * machine (the machine's own Ed25519 verification rate on all cores, a plain BatchSpanProcessor, the
 * node:crypto path), because absolute figures say more about the machine than about the code.
 *
 *   node bench/run.mjs                 all suites, full size (minutes; the 10M-leaf proof store is built once and cached)
 *   node bench/run.mjs --smoke         every suite at toy size: checks the harness, not the speed (CI runs this)
 *   node bench/run.mjs --only=ingest,proofs
 *   node bench/run.mjs --print            the table of bench/results/latest.json, without running anything
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const SUITES = ['primitives', 'sdk', 'ingest', 'storage', 'proofs', 'bundle', 'postgres'];
const USAGE = `usage: node bench/run.mjs [--smoke] [--only=SUITE,...] [--out=FILE] | --print
suites: ${SUITES.join(', ')}
Without --only or --smoke it runs every suite at full size (minutes) and rewrites bench/results/latest.json.`;
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
// A mistyped flag must not start a run of several minutes that rewrites the published figures.
const unknown = argv.filter((argument) => !['--smoke', '--print'].includes(argument) && !argument.startsWith('--only=') && !argument.startsWith('--out='));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown argument ${unknown.map((argument) => JSON.stringify(argument)).join(', ')}\n${USAGE}\n`);
  process.exit(2);
}
const smoke = argv.includes('--smoke');
const only = argv.find((argument) => argument.startsWith('--only='))?.slice('--only='.length).split(',');
const unknownSuites = (only ?? []).filter((name) => !SUITES.includes(name));
if (unknownSuites.length > 0) {
  process.stderr.write(`bench: no suite ${unknownSuites.map((name) => JSON.stringify(name)).join(', ')}\n${USAGE}\n`);
  process.exit(2);
}
// latest.json is a full run only, so the README's table never mixes runs; --only and --smoke write elsewhere.
const output = argv.find((argument) => argument.startsWith('--out='))?.slice('--out='.length) ?? join(here, 'results', smoke ? 'smoke.json' : only ? 'partial.json' : 'latest.json');

if (argv.includes('--print')) {
  printTable(JSON.parse(readFileSync(join(here, 'results', 'latest.json'), 'utf8')));
  process.exit(0);
}

const results = {
  date: new Date().toISOString(),
  smoke,
  machine: { cpus: availableParallelism(), model: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` },
  suites: {},
};

for (const name of SUITES) {
  if (only && !only.includes(name)) continue;
  const { run } = await import(`./suites/${name}.mjs`);
  process.stderr.write(`bench: ${name}${smoke ? ' (smoke)' : ''}...\n`);
  const started = performance.now();
  results.suites[name] = { ...(await run({ smoke })), seconds: Math.round((performance.now() - started) / 100) / 10 };
}

printTable(results);
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, `${JSON.stringify(results, null, 2)}\n`);
process.stderr.write(`bench: wrote ${output}\n`);

function printTable({ machine, suites, date, smoke: smokeRun }) {
  const lines = [`Facto benchmarks on ${machine.cpus} cores (${machine.model}), Node ${machine.node}, ${date.slice(0, 10)}${smokeRun ? ', SMOKE SIZES: not figures' : ''}`, ''];
  const rows = Object.entries(suites).flatMap(([suite, { title, rows }]) => [{ suite: `${suite}: ${title}` }, ...rows]);
  const width = Math.max(...rows.filter((row) => row.name).map((row) => row.name.length));
  for (const row of rows) {
    if (!row.name) {
      lines.push('', row.suite);
      continue;
    }
    const value = typeof row.value === 'number' ? formatNumber(row.value) : String(row.value);
    lines.push(`  ${row.name.padEnd(width)}  ${value.padStart(12)} ${(row.unit ?? '').padEnd(10)} ${row.note ?? ''}`.trimEnd());
  }
  console.log(lines.join('\n'));
}

function formatNumber(value) {
  if (Number.isInteger(value) || Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}
