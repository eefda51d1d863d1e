// Preloaded into the facto process the benchmark runs: its own CPU time and peak memory, on stderr at exit.
process.on('exit', () => {
  const usage = process.resourceUsage();
  process.stderr.write(`\nfacto-bench-usage ${JSON.stringify({ cpuMicros: usage.userCPUTime + usage.systemCPUTime, maxRssKilobytes: usage.maxRSS })}\n`);
});
