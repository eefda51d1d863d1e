/**
 * The real `facto collector` as the benchmarks run it: its own process on a free port, and what /proc
 * says about its CPU time and memory.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = new URL('../', import.meta.url).pathname;

/**
 * Starts `facto collector` on a free port with its log key (and, unless `db` names another store, its
 * SQLite file) in `directory`; resolves with its URL and process once it says it listens.
 */
export function startCollector(directory, extraArgs = [], { db = join(directory, 'facto.db') } = {}) {
  // FACTO_BENCH_PROFILE=DIR: the collector writes V8 CPU profiles there (its main thread and each
  // worker's, when it exits), to say from a profile what bounds a figure.
  const profile = process.env.FACTO_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.FACTO_BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, join(root, 'packages/cli/bin/facto.mjs'), 'collector', '--port', '0', '--db', db, '--log-key', join(directory, 'log.pem'), '--checkpoint-interval', '3600', '--log-level', 'error', ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
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

/** CPU seconds (user + system) of each thread of a process, by thread id, from /proc/PID/task. */
export function threadUsage(pid) {
  const threads = new Map();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
        threads.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / 100);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  } catch {
    // No /proc here: the caller reports no breakdown.
  }
  return threads;
}

/**
 * Where a collector's CPU went between two threadUsage() snapshots: its main thread (HTTP, the
 * sequencer lane, SQLite), its examination workers (taken as the `workers` busiest
 * other threads: nothing else in the process comes near them under load) and the rest (V8's GC and
 * compiler threads, libuv's pool).
 */
export function cpuByRole(pid, before, after, workers) {
  const delta = [...after].map(([tid, seconds]) => [tid, seconds - (before.get(tid) ?? 0)]);
  const main = delta.find(([tid]) => tid === pid)?.[1] ?? 0;
  const others = delta.filter(([tid]) => tid !== pid).map(([, seconds]) => seconds).sort((left, right) => right - left);
  const examination = others.slice(0, workers).reduce((sum, seconds) => sum + seconds, 0);
  const rest = others.slice(workers).reduce((sum, seconds) => sum + seconds, 0);
  return { main, examination, rest };
}

/** Stops the collector with SIGTERM (it drains and closes its store) and waits for it to exit. */
export async function stopCollector(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
