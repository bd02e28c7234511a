// nudge-edge's npm package next to Segment's own pipeline for this destination, on the same
// events in the same Node process, with batching on (100 events per request body).
//
//   node benches/node-bench.mjs            (after bash js/scripts/build.sh; `npm install` at the root)
//
// Segment's pipeline: @segment/destination-subscriptions (parseFql once, validate per event),
// @segment/actions-core transform → removeEmptyValues → validateSchema with the Nudge fields
// as Segment's destination defines them, then the destination's own changes (spaces to _, lower case), payloads gathered
// 100 to a request body.
//
// Three comparisons, each the same work on both sides:
//   objects: Segment's pipeline on parsed events, bodies as objects  vs  planner.plan(events)
//   text:    JSON.parse + the pipeline + JSON.stringify of each body  vs  planner.planText(text)
//   floor:   V8's JSON.parse of the text                              vs  planner.planText(text)
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import os from 'node:os';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const core = require('@segment/actions-core');
const { removeEmptyValues } = require(path.join(path.dirname(require.resolve('@segment/actions-core')), 'remove-empty-values.js'));
const { parseFql, validate } = require('@segment/destination-subscriptions');
const nudge = require(path.join(root, 'js'));

const BATCH = 100;

// The Nudge trackEvent fields (name, ext_id, occurred_at, props), as Segment defines action fields.
const trackFields = {
  name: { label: 'Event Name', type: 'string', required: true, default: { '@path': '$.event' } },
  ext_id: { label: 'User ID', type: 'string', required: true, default: { '@path': '$.userId' } },
  occurred_at: { label: 'Event Timestamp', type: 'datetime', required: true, default: { '@path': '$.timestamp' } },
  props: { label: 'Properties', type: 'object', required: false, default: { '@path': '$.properties' } },
};
const mapping = Object.fromEntries(Object.entries(trackFields).map(([k, f]) => [k, f.default]));
const schema = core.fieldsToJsonSchema(trackFields);
const subscription = parseFql('type = "track"');
const sanitize = (v) => v.replace(/ /g, '_').toLowerCase();

/** Segment's pipeline on parsed events: the request bodies, as arrays of payload objects. */
function segmentBodies(events) {
  const bodies = [];
  let body = [];
  for (const event of events) {
    if (!validate(subscription, event)) continue;
    // Batched payloads keep top-level "" (Segment prunes them only for single events).
    const payload = removeEmptyValues(core.transform(mapping, event), schema, false);
    if (!core.validateSchema(payload, schema, { schemaKey: 'nudge:trackEvent', throwIfInvalid: false })) continue;
    payload.ext_id = sanitize(payload.ext_id);
    payload.name = sanitize(payload.name);
    body.push(payload);
    if (body.length === BATCH) {
      bodies.push(body);
      body = [];
    }
  }
  if (body.length) bodies.push(body);
  return bodies;
}

const segmentFromText = (text) => segmentBodies(JSON.parse(text)).map((b) => JSON.stringify(b));

const config = {
  settings: { apikey: 'bench-key' },
  mappings: [{ name: 'Track Event', subscription: 'type = "track"', action: 'trackEvent', mapping, enable_batching: true, batch_size: BATCH }],
};
const planner = nudge.createPlanner(config);

/** A typical analytics.js track event (about 880 bytes as JSON). */
const trackEvent = (i) => ({
  anonymousId: `4b8a5a7e-1d7c-4b5e-9c1f-${String(100000000000 + i)}`,
  context: {
    library: { name: 'analytics.js', version: 'next-1.72.0' },
    locale: 'en-US',
    page: { path: '/checkout', referrer: 'https://www.google.com/', search: '?utm_source=google', title: 'Checkout – Example Store', url: 'https://example.com/checkout?utm_source=google' },
    userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
    timezone: 'Europe/Paris',
  },
  event: 'Order Completed',
  integrations: {},
  messageId: `ajs-next-1715671800000-${i}`,
  originalTimestamp: '2025-05-14T07:30:00.000Z',
  properties: { order_id: `o-${i}`, total: 99.5, revenue: 90, currency: 'EUR', products: [{ product_id: 'p-1', sku: 'A-1', price: 45, quantity: 2 }] },
  receivedAt: '2025-05-14T07:30:00.412Z',
  sentAt: '2025-05-14T07:30:00.101Z',
  timestamp: '2025-05-14T07:30:00.000Z',
  type: 'track',
  userId: `User ${i}`,
});

/** Runs `fn` repeatedly for about `ms` milliseconds (after a warm-up); returns ms per call. */
function time(fn, arg, ms = 1500) {
  const warmUntil = performance.now() + 300;
  while (performance.now() < warmUntil) fn(arg);
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    fn(arg);
    calls += 1;
    now = performance.now();
  }
  return (now - start) / calls;
}

// Same answers first: a benchmark of two things that disagree measures nothing.
for (const n of [1, 250]) {
  const events = Array.from({ length: n }, (_, i) => trackEvent(i));
  const text = JSON.stringify(events);
  const segment = segmentFromText(text);
  const fromText = JSON.parse(planner.planText(text)).requests.map((r) => JSON.stringify(r.body));
  const fromObjects = planner.plan(events).requests.map((r) => JSON.stringify(r.body));
  if (JSON.stringify(segment) !== JSON.stringify(fromText) || JSON.stringify(fromText) !== JSON.stringify(fromObjects)) {
    throw new Error(`Segment's pipeline and nudge-edge disagree for ${n} events`);
  }
}

const bytes = JSON.stringify(trackEvent(0)).length;
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; node ${process.version}; event ${bytes} bytes`);
console.log('| events | Segment, objects | `plan(objects)` | ratio | Segment, text | `planText` | ratio | `JSON.parse` | `planText` ÷ `JSON.parse` |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const ms = (x) => `${x < 1 ? x.toFixed(3) : x.toFixed(2)} ms`;
for (const n of [1, 100, 1000]) {
  const events = Array.from({ length: n }, (_, i) => trackEvent(i));
  const text = JSON.stringify(events);
  const segObjects = time(segmentBodies, events);
  const edgeObjects = time((e) => planner.plan(e), events);
  const segText = time(segmentFromText, text);
  const edgeText = time((t) => planner.planText(t), text);
  const parse = time((t) => JSON.parse(t), text);
  console.log(
    `| ${n} | ${ms(segObjects)} | ${ms(edgeObjects)} | ${(segObjects / edgeObjects).toFixed(1)}× | ${ms(segText)} | ${ms(edgeText)} | ${(segText / edgeText).toFixed(1)}× | ${ms(parse)} | ${(edgeText / parse).toFixed(2)}× |`,
  );
}

// A 500 KB batch (Segment's request limit): planText's time, against the Workers Free plan's 10 ms.
{
  const n = Math.floor((500 * 1024) / (bytes + 1));
  const text = JSON.stringify(Array.from({ length: n }, (_, i) => trackEvent(i)));
  console.log(`500 KB batch (${n} events, ${text.length} bytes): planText ${ms(time((t) => planner.planText(t), text))}, JSON.parse ${ms(time((t) => JSON.parse(t), text))}`);
}

// Cold start: a fresh process loading the package (read, compile and instantiate the wasm).
const samples = [];
for (let i = 0; i < 7; i++) {
  const out = execFileSync(process.execPath, ['-e', `const t=performance.now(); require(${JSON.stringify(path.join(root, 'js'))}); console.log(performance.now()-t)`]);
  samples.push(Number(out.toString().trim()));
}
samples.sort((x, y) => x - y);
console.log(`cold start (require of the package in a fresh process, median of 7): ${samples[3].toFixed(1)} ms`);
