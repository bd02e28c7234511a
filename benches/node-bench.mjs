// nudge-edge's npm package next to Segment's own pipeline for this destination, on the same
// events in the same process: JSON text in, Nudge request bodies (JSON text) out.
//
//   node benches/node-bench.mjs            (after bash js/scripts/build.sh; `npm install` at the root)
//
// (a) Segment: @segment/destination-subscriptions (parseFql + validate), @segment/actions-core
//     transform → removeEmptyValues → validateSchema with the Nudge fields of SPEC §3, then the
//     destination's own changes (spaces to _, lower case) and JSON.stringify of each body.
// (b) nudge-edge: plan() on the parsed events, JSON.stringify of each request body.
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

// The Nudge trackEvent fields of SPEC §3, as Segment defines action fields.
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

function segmentPipeline(text) {
  const bodies = [];
  for (const event of JSON.parse(text)) {
    if (!validate(subscription, event)) continue;
    const payload = removeEmptyValues(core.transform(mapping, event), schema, true);
    if (!core.validateSchema(payload, schema, { schemaKey: 'nudge:trackEvent', throwIfInvalid: false })) continue;
    payload.ext_id = sanitize(payload.ext_id);
    payload.name = sanitize(payload.name);
    bodies.push(JSON.stringify([payload]));
  }
  return bodies;
}

const config = { settings: { apikey: 'bench-key' }, mappings: [{ name: 'Track Event', subscription: 'type = "track"', action: 'trackEvent', mapping }] };

function nudgeEdge(text) {
  return nudge.plan(JSON.parse(text), config).requests.map((r) => JSON.stringify(r.body));
}

const trackEvent = (i) => ({
  type: 'track',
  messageId: `m-${i}`,
  userId: `User ${i}`,
  anonymousId: 'anon-1',
  event: 'Order Completed',
  timestamp: '2025-05-14T07:30:00.000Z',
  properties: { order_id: `o-${i}`, total: 99.5, currency: 'EUR', products: [{ sku: 'A-1', qty: 2 }, { sku: 'B-2', qty: 1 }] },
  context: { library: { name: 'analytics.js', version: '2.11.1' }, timezone: 'Europe/Paris', page: { url: 'https://example.com/checkout' } },
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
for (const n of [1, 100]) {
  const text = JSON.stringify(Array.from({ length: n }, (_, i) => trackEvent(i)));
  const a = segmentPipeline(text).map((b) => JSON.parse(b)[0]);
  const b = nudgeEdge(text).map((x) => JSON.parse(x)[0]);
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`the two pipelines disagree for ${n} events`);
}

console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; node ${process.version}`);
console.log('| events per call | Segment pipeline (events/s) | nudge-edge npm (events/s) | ratio | nudge-edge ms per call |');
console.log('|---:|---:|---:|---:|---:|');
for (const n of [1, 100, 1000]) {
  const text = JSON.stringify(Array.from({ length: n }, (_, i) => trackEvent(i)));
  const seg = time(segmentPipeline, text);
  const edge = time(nudgeEdge, text);
  const rate = (msPerCall) => Math.round((n / msPerCall) * 1000);
  console.log(`| ${n} | ${rate(seg).toLocaleString('en')} | ${rate(edge).toLocaleString('en')} | ${(seg / edge).toFixed(1)}× | ${edge.toFixed(3)} |`);
}

// Cold start: a fresh process loading the package (read, compile and instantiate the wasm).
const samples = [];
for (let i = 0; i < 7; i++) {
  const out = execFileSync(process.execPath, ['-e', `const t=performance.now(); require(${JSON.stringify(path.join(root, 'js'))}); console.log(performance.now()-t)`]);
  samples.push(Number(out.toString().trim()));
}
samples.sort((x, y) => x - y);
console.log(`cold start (require of the package in a fresh process, median of 7): ${samples[3].toFixed(1)} ms`);
