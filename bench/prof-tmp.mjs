import { examineBody } from '../collector/dist/ingest/examine.js';
import { realisticWorkload } from './realistic-spans.mjs';
const { requests, spans } = realisticWorkload({ agents: 2, chainsPerAgent: 2, spansPerChain: 200, spansPerRequest: 100 });
const t0 = performance.now(); let n = 0;
while (performance.now() - t0 < Number(process.env.SECS ?? 8000)) { for (const b of requests) examineBody(b, 'protobuf', { prepareBodies: true }); n += spans; }
console.log('us/span', ((performance.now() - t0) * 1000 / n).toFixed(1));
