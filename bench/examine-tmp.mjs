import { realisticWorkload } from './realistic-spans.mjs';
const { examineBody } = await import(new URL('../collector/dist/ingest/examine.js', import.meta.url));
const { requests } = realisticWorkload({ agents: 2, chainsPerAgent: 2, spansPerChain: 500, spansPerRequest: 100 });
console.log('requests', requests.length, 'bytes', requests[0].length);
const mode = process.argv[2] ?? 'full';
const { structuredClone: sc } = globalThis;
const { serialize, deserialize } = await import('node:v8');
for (let r = 0; r < 3; r++) for (const b of requests.slice(0, 10)) examineBody(b, 'protobuf');
const t0 = process.cpuUsage(); let spans = 0; let ser = 0, des = 0;
for (let r = 0; r < 2; r++) for (const b of requests) {
  const res = examineBody(b, 'protobuf'); spans += res.spans.length;
  if (mode === 'clone') { const a = process.cpuUsage(); const s = serialize(res); const m = process.cpuUsage(); deserialize(s); const e = process.cpuUsage(); ser += m.user - a.user; des += e.user - m.user; }
}
const u = process.cpuUsage(t0);
console.log('µs/span total', ((u.user + u.system) / spans).toFixed(1), 'ser', (ser / spans).toFixed(1), 'des', (des / spans).toFixed(1));
