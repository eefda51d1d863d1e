/**
 * The real `facto collector` as the benchmarks run it: its own process on a free port, and what /proc
 * says about its CPU time and memory.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = new URL('../', import.meta.url).pathname;

/**
 * Starts `facto collector` on a free port with its log key (and, unless `db` names another store, its
 * SQLite file) in `directory`; resolves with its URL and process once it says it listens.
 */
export function startCollector(directory, extraArgs = [], { db = join(directory, 'facto.db') } = {}) {
  const child = spawn(process.execPath, [join(root, 'packages/cli/bin/facto.mjs'), 'collector', '--port', '0', '--db', db, '--log-key', join(directory, 'log.pem'), '--checkpoint-interval', '3600', '--log-level', 'error', ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`facto collector exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /listening on (\S+)/.exec(line);
      if (match) resolve({ url: match[1], child });
    });
  });
}

/** CPU seconds (user + system, all threads) and peak resident memory of a process, from /proc. */
export function processUsage(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100, peakMiB: peak ? Number(peak[1]) / 1024 : Number.NaN };
  } catch {
    return { cpuSeconds: Number.NaN, peakMiB: Number.NaN };
  }
}

/** Stops the collector with SIGTERM (it drains and closes its store) and waits for it to exit. */
export async function stopCollector(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
