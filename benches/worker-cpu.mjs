// CPU time per Worker request, measured on workerd itself: the built Worker under `wrangler
// dev` (direct mode, a quiet Nudge stand-in), requests sent one at a time, and the CPU time the
// workerd process spent (user + system, from /proc) divided by the requests. That counts the
// runtime's own HTTP handling too, so it is an upper bound of what Cloudflare bills as the
// Worker's CPU time (isolate time only); `GET /health` (no body, nothing planned) shows that
// fixed part. Cases: typical analytics.js track events of about 900 bytes.
//   node benches/worker-cpu.mjs [REQUESTS_PER_CASE]      (build first: bash scripts/build-worker.sh)
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { startStandIn } from '../tests/worker/nudge-stand-in.mjs';
import { basic, logLines, startWorker, stopWorker } from '../tests/worker/harness.mjs';
import { batch, event, fullBatchSize } from './worker-events.mjs';

const rounds = Number(process.argv[2]) || 1000;
const WRITE_KEY = 'cpu-bench-key';
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

const full = fullBatchSize;

/** The workerd processes under a wrangler process (its whole process group). */
function workerdPids(wranglerPid) {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '-g', String(wranglerPid)]).toString();
  return out.split('\n').map((l) => l.trim().split(/\s+/)).filter(([, comm]) => comm === 'workerd').map(([pid]) => pid);
}

function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
  }
  return ticks / ticksPerSecond;
}

const nudge = await startStandIn({ quiet: true });
const worker = await startWorker({
  DELIVERY: 'direct',
  NUDGE_ENDPOINT: nudge.url,
  NUDGE_API_KEY: 'bench-nudge-key',
  WRITE_KEYS: WRITE_KEY,
  MAPPINGS: JSON.stringify([{ action: 'identifyUser' }, { action: 'trackEvent', enable_batching: true, batch_size: 100 }]),
});
const pids = workerdPids(worker.child.pid);
if (pids.length === 0) throw new Error('no workerd process found under wrangler');

const cases = [
  ['GET /health (fixed cost: no body, nothing planned)', '/health', null],
  ['POST /v1/track, 1 event (one Nudge request)', '/v1/track', JSON.stringify(event(0))],
  ['POST /v1/batch, 100 events (one Nudge request)', '/v1/batch', batch(100)],
  [`POST /v1/batch, ${full} events (${(batch(full).length / 1024).toFixed(0)} KB, ${Math.ceil(full / 100)} Nudge requests)`, '/v1/batch', batch(full)],
  ['POST /v1/validate, 100 events (planned, not sent)', '/v1/validate', batch(100)],
  [`POST /v1/validate, ${full} events (${(batch(full).length / 1024).toFixed(0)} KB, planned, not sent)`, '/v1/validate', batch(full)],
];
console.log(`workerd CPU per request, ${rounds} requests per case, one at a time (${pids.length} workerd process${pids.length > 1 ? 'es' : ''})`);
console.log('| case | workerd CPU per request | in the handler (its log line) | wall per request |');
console.log('|---|---:|---:|---:|');
try {
  for (const [name, path, body] of cases) {
    const send = () =>
      fetch(`${worker.url}${path}`, body === null ? {} : {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basic(WRITE_KEY) },
        body,
      }).then(async (res) => {
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      });
    for (let i = 0; i < 20; i++) await send(); // warm the isolate and the planner up
    const logged = logLines(worker, 'nudge-edge request').length;
    const [cpu0, wall0] = [cpuSeconds(pids), performance.now()];
    for (let i = 0; i < rounds; i++) await send();
    const [cpu, wall] = [cpuSeconds(pids) - cpu0, performance.now() - wall0];
    // The Worker logs `duration_ms` (Date.now() from entering the handler to the answer);
    // workerd advances the clock only across I/O, so this is the handler's time between
    // awaiting the body and answering, to the millisecond.
    await new Promise((r) => setTimeout(r, 500));
    const lines = logLines(worker, 'nudge-edge request').slice(logged).filter((l) => l.route === path);
    const handler = lines.reduce((sum, l) => sum + l.duration_ms, 0) / Math.max(lines.length, 1);
    console.log(`| ${name} | ${((cpu * 1000) / rounds).toFixed(2)} ms | ${handler.toFixed(2)} ms | ${(wall / rounds).toFixed(2)} ms |`);
  }
} finally {
  await stopWorker(worker);
  await nudge.close();
}
