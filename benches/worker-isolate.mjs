// The Worker's own time per request: the built Worker (build/index.js and its wasm, what
// `wrangler deploy` uploads) run in V8 with nothing around it, its `fetch` handler called with
// the engine's own Request objects and timed with performance.now(). No runtime, proxy or
// network is in between, and nothing is waited for: `/v1/validate` reads, plans and answers;
// queue mode (the default) enqueues into a stand-in queue binding that takes messages at once,
// as a local queue does. So the time is the isolate's CPU time: what Cloudflare's CPU limit
// counts. The V8 is Chromium's (headless, via playwright-core): the Worker's wasm uses
// exception references, which this Node.js's V8 does not run and workerd's does.
// Typical analytics.js track events of about 900 bytes (benches/worker-events.mjs).
//   node benches/worker-isolate.mjs [ROUNDS]      (build first: bash scripts/build-worker.sh)
// ONLY=text runs the cases whose name holds `text`; PROFILE=file.cpuprofile records V8's CPU
// profile of the run there and prints the functions with the most time of their own (for wasm
// function names, profile a build without the final wasm-opt: worker-build keeps them).
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { batch, event, fullBatchSize } from './worker-events.mjs';

const built = new URL('../build/', import.meta.url);
if (!existsSync(new URL('index.js', built))) throw new Error('build the Worker first: bash scripts/build-worker.sh');
const rounds = Number(process.argv[2]) || 200;
const bodies = {
  one: JSON.stringify(event(0)),
  hundred: batch(100),
  full: batch(fullBatchSize),
  kb: `${fullBatchSize} events, ${(batch(fullBatchSize).length / 1024).toFixed(0)} KB`,
};

// workerd hands a Worker `cloudflare:workers` and its wasm as a compiled module; the page does
// the same with an import map and a compiled module in place of the wasm import.
const stub = 'export class WorkerEntrypoint { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }';
const workerJs = readFileSync(new URL('index.js', built), 'utf8').replace(
  /import (\w+) ?from ?"\.\/index_bg\.wasm";/,
  'const $1 = await WebAssembly.compileStreaming(fetch("/index_bg.wasm"));',
);
const page = `<!doctype html><script type="importmap">{"imports": {"cloudflare:workers": "/stub.js"}}</script>
<script type="module">globalThis.addEventListener ??= () => {}; globalThis.Worker_ = (await import('/worker.js')).default; globalThis.ready = true;</script>`;
const files = {
  '/': ['text/html', page],
  '/stub.js': ['text/javascript', stub],
  '/worker.js': ['text/javascript', workerJs],
  '/index_bg.wasm': ['application/wasm', readFileSync(new URL('index_bg.wasm', built))],
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox'],
});
try {
  const tab = await browser.newPage();
  await tab.route('http://bench.local/**', (route) => {
    const [type, body] = files[new URL(route.request().url()).pathname] ?? [];
    return body === undefined ? route.fulfill({ status: 404 }) : route.fulfill({ contentType: type, body });
  });
  await tab.goto('http://bench.local/');
  await tab.waitForFunction(() => globalThis.ready === true);
  const profiler = process.env.PROFILE ? await tab.context().newCDPSession(tab) : null;
  if (profiler) {
    await profiler.send('Profiler.enable');
    await profiler.send('Profiler.setSamplingInterval', { interval: 100 });
    await profiler.send('Profiler.start');
  }
  const result = await tab.evaluate(async ({ rounds, bodies, only }) => {
    const WRITE_KEY = 'isolate-bench-key';
    const env = {
      DELIVERY: 'direct',
      NUDGE_API_KEY: 'bench-nudge-key',
      NUDGE_ENDPOINT: 'http://127.0.0.1:9',
      WRITE_KEYS: WRITE_KEY,
      MAPPINGS: JSON.stringify([{ action: 'identifyUser' }, { action: 'trackEvent', enable_batching: true, batch_size: 100 }]),
    };
    const ctx = { waitUntil() {}, passThroughOnException() {} };
    const direct = new globalThis.Worker_(ctx, env);
    // A queue binding as workerd gives it (workers-rs checks the class name); it takes each
    // batch of messages at once.
    class WorkerQueue {
      async send() {}
      async sendBatch() {}
    }
    const queued = new globalThis.Worker_(ctx, { ...env, DELIVERY: 'queue', DELIVERIES: new WorkerQueue() });
    const cases = [
      ['GET /health', direct, 'GET', '/health', null],
      ['queue mode: POST /v1/track, 1 event', queued, 'POST', '/v1/track', bodies.one],
      ['queue mode: POST /v1/batch, 100 events', queued, 'POST', '/v1/batch', bodies.hundred],
      [`queue mode: POST /v1/batch, ${bodies.kb}`, queued, 'POST', '/v1/batch', bodies.full],
      ['POST /v1/validate, 1 event (the plan in the answer)', direct, 'POST', '/v1/validate', bodies.one],
      ['POST /v1/validate, 100 events', direct, 'POST', '/v1/validate', bodies.hundred],
      [`POST /v1/validate, ${bodies.kb}`, direct, 'POST', '/v1/validate', bodies.full],
    ];
    const once = async (worker, method, path, body) => {
      const request = new Request(`http://localhost${path}`, {
        method,
        headers: body === null ? {} : { 'content-type': 'application/json', authorization: 'Basic ' + btoa(`${WRITE_KEY}:`) },
        body,
      });
      const started = performance.now();
      const response = await worker.fetch(request);
      await response.arrayBuffer();
      const ms = performance.now() - started;
      if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
      return ms;
    };
    const log = console.log;
    console.log = () => {}; // the Worker's log line per request
    const rows = [];
    for (const [name, worker, method, path, body] of cases) {
      if (only && !name.includes(only)) continue;
      for (let i = 0; i < 20; i++) await once(worker, method, path, body); // warm up (JIT, planner)
      const times = [];
      for (let i = 0; i < rounds; i++) times.push(await once(worker, method, path, body));
      times.sort((a, b) => a - b);
      rows.push([name, times[Math.floor(times.length / 2)], times[Math.floor(times.length * 0.9)]]);
    }
    console.log = log;
    return { rows, userAgent: navigator.userAgent };
  }, { rounds, bodies, only: process.env.ONLY ?? '' });
  if (profiler) {
    const { profile } = await profiler.send('Profiler.stop');
    writeFileSync(process.env.PROFILE, JSON.stringify(profile));
    // Self time per function, from the samples.
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map();
    profile.samples.forEach((id, i) => {
      const frame = byId.get(id).callFrame;
      const name = frame.functionName || `(${frame.url.split('/').pop() || 'program'})`;
      self.set(name, (self.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
    });
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    console.log(`CPU profile in ${process.env.PROFILE}; most time of their own:`);
    for (const [name, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
      console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${name.slice(0, 120)}`);
    }
  }
  console.log(`The Worker's fetch handler in ${result.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? 'Chromium'}'s V8, ${rounds} requests per case`);
  console.log('| request | median | p90 |');
  console.log('|---|---:|---:|');
  for (const [name, median, p90] of result.rows) console.log(`| ${name} | ${median.toFixed(2)} ms | ${p90.toFixed(2)} ms |`);
} finally {
  await browser.close();
}
