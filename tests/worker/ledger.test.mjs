// The ledger end to end in workerd (SQLite-backed Durable Objects under wrangler dev):
// messageId de-duplication in both modes, against the copies real senders make, and the
// Delivery Overview's exact counts for a scripted mix of traffic. Every event carries a number
// (`properties.n`, which reaches Nudge as `props.n`) so that what Nudge took can be counted.
// Build first: bash scripts/build-worker.sh.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Analytics } from '@segment/analytics-node';
import { startStandIn } from './nudge-stand-in.mjs';
import { QUEUE_RETRY, basic, freePort, logLines, sleep, startWorker, stopWorker, waitFor } from './harness.mjs';

const NUDGE_KEY = 'ledger-nudge-key-5be2';
const WRITE_KEY = 'wk-ledger-40c7';
const ADMIN_KEY = 'admin-ledger-11fa';
const MAPPINGS = [
  { name: 'Identify User', subscription: 'type = "identify"', action: 'identifyUser' },
  { name: 'Track Event', subscription: 'type = "track"', action: 'trackEvent', enable_batching: true, batch_size: 100 },
];

let nudge;
let queueWorker;
const persistTo = mkdtempSync(path.join(os.tmpdir(), 'nudge-edge-ledger-'));
const vars = () => ({ NUDGE_ENDPOINT: nudge.url, NUDGE_API_KEY: NUDGE_KEY, WRITE_KEYS: WRITE_KEY, ADMIN_KEY, MAPPINGS: JSON.stringify(MAPPINGS), ...QUEUE_RETRY });

let counter = 0;
const run = Date.now().toString(36);
const track = (over = {}) => ({ type: 'track', userId: 'User 1', event: 'Order Completed', timestamp: '2025-05-14T07:30:00Z', properties: { n: ++counter }, ...over });

async function send(url, pathname, body) {
  const res = await fetch(`${url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic(WRITE_KEY) }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

async function overview(url, query = 'range=1h') {
  const res = await fetch(`${url}/admin/overview?${query}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  assert.equal(res.status, 200);
  return res.json();
}

/** How many times Nudge took each of `numbers`: requests answered ok that carried it. */
function taken(numbers) {
  const times = new Map(numbers.map((n) => [n, 0]));
  for (const r of nudge.requests.filter((r) => r.answeredWith === 'ok' && !r.path.startsWith('/__control'))) {
    const body = JSON.parse(r.body);
    for (const p of Array.isArray(body) ? body : [body]) if (times.has(p.props?.n)) times.set(p.props.n, times.get(p.props.n) + 1);
  }
  return [...times.values()];
}

before(async () => {
  nudge = await startStandIn({ port: await freePort(), quiet: true });
  queueWorker = await startWorker(vars(), { persistTo });
});

after(async () => {
  await stopWorker(queueWorker);
  await nudge?.close();
  rmSync(persistTo, { recursive: true, force: true });
});

beforeEach(() => nudge.reset());

test('queue mode: one messageId sent 3 times, as an SDK retries, reaches Nudge once', async () => {
  const event = track({ messageId: `retried-${run}` });
  for (let i = 0; i < 3; i++) assert.equal((await send(queueWorker.url, '/v1/track', event)).status, 200);
  // A copy sent later, once the first is delivered, is dropped too.
  await waitFor(() => taken([event.properties.n])[0] === 1, { timeoutMs: 30_000, what: 'the event at Nudge', everyMs: 250 });
  assert.equal((await send(queueWorker.url, '/v1/track', event)).status, 200);
  await sleep(7000);
  const [times] = taken([event.properties.n]);
  console.log(`de-duplication (queue mode): 4 sends of one messageId → ${times} delivery`);
  assert.equal(times, 1);
});

test('direct mode: analytics-node timing out at 2 s while Nudge takes 8 s: each event at Nudge at most twice, none lost', async () => {
  const own = mkdtempSync(path.join(os.tmpdir(), 'nudge-edge-direct-'));
  const direct = await startWorker({ ...vars(), DELIVERY: 'direct' }, { persistTo: own });
  try {
    nudge.setMode({ mode: 'ok', delayMs: 8000, forMs: 10_000 });
    const analytics = new Analytics({ writeKey: WRITE_KEY, host: direct.url, flushAt: 10, flushInterval: 60_000, httpRequestTimeout: 2000 });
    const events = Array.from({ length: 10 }, () => track());
    for (const e of events) analytics.track({ userId: e.userId, event: e.event, properties: e.properties, timestamp: e.timestamp });
    await analytics.closeAndFlush({ timeout: 60_000 });
    const numbers = events.map((e) => e.properties.n);
    await waitFor(() => taken(numbers).every((t) => t >= 1), { timeoutMs: 60_000, what: 'every event at Nudge', everyMs: 500 });
    await sleep(3000);
    const times = taken(numbers);
    console.log(`de-duplication (direct mode, slow Nudge): Nudge took each event ${[...new Set(times)].join(' or ')} time(s); ${nudge.requests.length} Nudge requests`);
    assert.ok(times.every((t) => t >= 1), 'no event lost');
    assert.ok(times.every((t) => t <= 2), `at most twice: ${times}`);
  } finally {
    await stopWorker(direct);
    rmSync(own, { recursive: true, force: true });
  }
});

test('queue mode: a Nudge that accepts after the Worker stops waiting: each event at most twice, none lost', async () => {
  nudge.setMode({ mode: 'ok', delayMs: 3000, forMs: 4000 });
  const events = Array.from({ length: 20 }, () => track());
  for (const e of events) assert.equal((await send(queueWorker.url, '/v1/track', e)).status, 200);
  const numbers = events.map((e) => e.properties.n);
  await waitFor(() => taken(numbers).every((t) => t >= 1), { timeoutMs: 60_000, what: 'every event at Nudge', everyMs: 500 });
  // A timed-out payload waits 20 s (Nudge may be taking it still), then is sent again.
  await sleep(26_000);
  const times = taken(numbers);
  console.log(`de-duplication (queue mode, Nudge answering after the 2 s deadline): Nudge took each event ${[...new Set(times)].join(' or ')} time(s)`);
  assert.ok(times.every((t) => t >= 1 && t <= 2), `${times}`);
});

test('the Delivery Overview counts a scripted mix exactly', async () => {
  // A Worker of its own, so that only this mix is counted.
  const fresh = mkdtempSync(path.join(os.tmpdir(), 'nudge-edge-overview-'));
  const worker = await startWorker(vars(), { persistTo: fresh });
  try {
    nudge.setMode({ mode: 'reject', match: '"tag":"refused-by-nudge"' });
    const mix = [
      ...Array.from({ length: 5 }, (_, i) => track({ messageId: `distinct-${run}-${i}` })),
      ...Array.from({ length: 3 }, () => ({ type: 'identify', anonymousId: 'a', traits: { n: ++counter } })),
      ...Array.from({ length: 2 }, () => ({ type: 'page', userId: 'u', name: 'Home' })),
      ...Array.from({ length: 3 }, () => track({ messageId: `repeated-${run}` })),
      track({ event: 'Refused', messageId: `refused-${run}`, properties: { n: ++counter, tag: 'refused-by-nudge' } }),
    ];
    for (const e of mix) assert.ok((await send(worker.url, `/v1/${e.type}`, e)).status < 500);
    const big = await send(worker.url, '/v1/track', track({ properties: { blob: 'x'.repeat(40_000) } }));
    assert.equal(big.status, 413);
    const expected = {
      received: 15,
      failed_on_ingest: 1,
      filtered_at_destination: 2,
      failed_delivery: 4,
      successful_delivery: 6,
      pending_retry: 0,
      duplicates_dropped: 2,
    };
    let last;
    await waitFor(
      async () => {
        last = await overview(worker.url);
        return JSON.stringify(last.steps) === JSON.stringify(expected);
      },
      { timeoutMs: 60_000, what: `the overview to reach ${JSON.stringify(expected)}`, everyMs: 1000 },
    ).catch((e) => {
      throw new Error(`${e.message}; last: ${JSON.stringify(last?.steps)}`);
    });
    console.log(`overview of the scripted mix: ${JSON.stringify(last.steps)}`);
    const reasons = Object.fromEntries(last.discards.map((d) => [`${d.step}: ${d.reason}`, d.count]));
    assert.equal(reasons['failed_delivery: invalid: ext_id required'], 3);
    assert.equal(reasons['failed_delivery: refused by Nudge'], 1);
    assert.equal(reasons['filtered_at_destination: no enabled mapping matched'], 2);
    assert.equal(reasons['failed_on_ingest: event_too_large'], 1);
    assert.ok(last.discards.every((d) => d.samples.length <= 10));
    assert.ok(!JSON.stringify(last).includes(WRITE_KEY) && !JSON.stringify(last).includes(NUDGE_KEY), 'no key in the overview');
    const tracks = last.breakdown.find((b) => b.type === 'track' && b.event === 'Order Completed');
    assert.equal(tracks.count, 8);
    const perMapping = await overview(worker.url, 'range=10m&mapping=Track%20Event');
    assert.equal(perMapping.steps.successful_delivery, 6);
    assert.equal(perMapping.steps.failed_delivery, 1, 'the identify mapping\'s failures are not the track mapping\'s');
    assert.equal(perMapping.steps.received, 15);
    const series = last.series.reduce((sum, p) => sum + p.successful_delivery, 0);
    assert.equal(series, 6, 'the series adds up to the step');
  } finally {
    await stopWorker(worker);
    rmSync(fresh, { recursive: true, force: true });
  }
});

test('capacity: rows the ledger writes per event, measured in both modes for single events and 100-event batches', async () => {
  const fresh = mkdtempSync(path.join(os.tmpdir(), 'nudge-edge-rows-'));
  const queue = await startWorker(vars(), { persistTo: fresh });
  const directDir = mkdtempSync(path.join(os.tmpdir(), 'nudge-edge-rows-direct-'));
  const direct = await startWorker({ ...vars(), DELIVERY: 'direct' }, { persistTo: directDir });
  const rows = (worker) =>
    logLines(worker)
      .filter((l) => l.msg === 'nudge-edge request' || l.msg === 'nudge-edge queue batch')
      .reduce((sum, l) => sum + (l.ledger_rows_written ?? 0), 0);
  const measure = async (worker, label, bodies, events, settled) => {
    const before = rows(worker);
    for (const [pathname, body] of bodies) assert.equal((await send(worker.url, pathname, body)).status, 200);
    await settled();
    await sleep(1500);
    const perEvent = (rows(worker) - before) / events;
    console.log(`ledger rows written per event (${label}): ${perEvent.toFixed(2)}`);
    return perEvent;
  };
  try {
    const singles = () => Array.from({ length: 50 }, () => ['/v1/track', track({ messageId: `rows-${run}-${++counter}` })]);
    const batch = () => [['/v1/batch', { batch: Array.from({ length: 100 }, () => track({ messageId: `rows-${run}-${++counter}` })) }]];
    const delivered = (bodies) => () => {
      const numbers = bodies.flatMap(([, b]) => (b.batch ?? [b]).map((e) => e.properties.n));
      return waitFor(() => taken(numbers).every((t) => t === 1), { timeoutMs: 60_000, what: 'the events at Nudge', everyMs: 500 });
    };
    const figures = {};
    for (const [label, worker, make, events] of [
      ['queue mode, single events', queue, singles, 50],
      ['queue mode, 100-event batch', queue, batch, 100],
      ['direct mode, single events', direct, singles, 50],
      ['direct mode, 100-event batch', direct, batch, 100],
    ]) {
      const bodies = make();
      figures[label] = await measure(worker, label, bodies, events, delivered(bodies));
    }
    // A claim and a settlement write two rows each (the row and its expiry index); a request's
    // counts add a row or two, which a batch shares among its events.
    for (const [label, perEvent] of Object.entries(figures)) {
      assert.ok(perEvent >= 4 && perEvent <= (label.includes('batch') ? 4.5 : 7), `${label}: ${perEvent}`);
    }
  } finally {
    await stopWorker(queue);
    await stopWorker(direct);
    rmSync(fresh, { recursive: true, force: true });
    rmSync(directDir, { recursive: true, force: true });
  }
});
