// Queue mode end to end: the built Worker in workerd (`wrangler dev` runs the deliveries queue,
// the dead-letter queue and the KV store locally), a Nudge stand-in on loopback, delays
// shortened only through the Worker's variables. Every event carries a number
// (`properties.n` / `traits.n`, which reaches Nudge as `props.n`), so that what Nudge accepted
// can be counted: lost = sent − delivered, duplicates = numbers delivered more than once.
// Build first: bash scripts/build-worker.sh.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Analytics } from '@segment/analytics-node';
import { startStandIn } from './nudge-stand-in.mjs';
import { basic, freePort, logLines, sleep, startWorker, stopWorker, waitFor } from './harness.mjs';

const NUDGE_KEY = 'queue-nudge-key-7d1e';
const WRITE_KEY = 'wk-queue-52ab';
const ADMIN_KEY = 'admin-key-90c3';
const BATCH_SIZE = 100;
const MAPPINGS = [
  { name: 'Identify User', subscription: 'type = "identify"', action: 'identifyUser' },
  { name: 'Track Event', subscription: 'type = "track"', action: 'trackEvent', enable_batching: true, batch_size: BATCH_SIZE },
];

let nudge;
let worker;
const persistTo = mkdtempSync(path.join(os.tmpdir(), 'nudge-edge-queue-'));
const vars = () => ({
  NUDGE_ENDPOINT: nudge.url,
  NUDGE_API_KEY: NUDGE_KEY,
  WRITE_KEYS: WRITE_KEY,
  ADMIN_KEY,
  MAPPINGS: JSON.stringify(MAPPINGS),
  QUEUE_RETRY_BASE_DELAY_S: '1',
  QUEUE_RETRY_MAX_DELAY_S: '2',
  NUDGE_TIMEOUT_MS: '2000',
});
const startQueueWorker = () => startWorker(vars(), { persistTo });

let counter = 0;
const track = () => ({ type: 'track', userId: 'User 1', event: 'Order Completed', timestamp: '2025-05-14T07:30:00Z', properties: { n: ++counter } });
const identify = () => ({ type: 'identify', userId: 'User 2', traits: { n: ++counter } });
const numberOf = (e) => (e.type === 'track' ? e.properties.n : e.traits.n);

async function send(url, pathname, body, key = WRITE_KEY) {
  const started = performance.now();
  const res = await fetch(`${url}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(key) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), ms: performance.now() - started };
}

async function admin(method, pathname, { key = ADMIN_KEY, body } = {}) {
  const headers = key ? { authorization: `Bearer ${key}` } : {};
  const res = await fetch(`${worker.url}${pathname}`, { method, headers, body: body && JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** The Nudge requests the stand-in received carrying any of `numbers`, each with the numbers it carried. */
function nudgeRequests(numbers) {
  const wanted = new Set(numbers);
  return nudge.requests
    .filter((r) => !r.path.startsWith('/__control'))
    .map((r) => {
      const body = JSON.parse(r.body);
      const carried = (Array.isArray(body) ? body : [body]).map((p) => p.props?.n);
      return { ...r, carried: carried.filter((n) => wanted.has(n)) };
    })
    .filter((r) => r.carried.length > 0);
}

/** Whether a listed dead letter carries the event numbered `n`. */
const carries = (dead, n) => (dead.message?.deliver?.payloads ?? []).some((p) => p.props?.n === n);

/** What Nudge accepted of `numbers`: lost and duplicated numbers. */
function tally(numbers) {
  const accepted = new Map();
  for (const r of nudgeRequests(numbers).filter((r) => r.answeredWith === 'ok')) {
    for (const n of r.carried) accepted.set(n, (accepted.get(n) ?? 0) + 1);
  }
  const lost = numbers.filter((n) => !accepted.has(n));
  const duplicates = [...accepted.values()].filter((c) => c > 1).length;
  return { lost, duplicates };
}

const allDelivered = (numbers, timeoutMs) =>
  waitFor(() => tally(numbers).lost.length === 0, { timeoutMs, what: `${numbers.length} events to reach Nudge`, everyMs: 500 });

const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))];

before(async () => {
  nudge = await startStandIn({ port: await freePort(), quiet: true });
  worker = await startQueueWorker();
});

after(async () => {
  await stopWorker(worker);
  await nudge?.close();
  rmSync(persistTo, { recursive: true, force: true });
});

beforeEach(() => nudge.reset());

test('Nudge down for 8 s, then back: answers stay fast, every accepted event is delivered', async () => {
  // Warm the isolate up first: the figure is about Nudge being down, not about a cold start.
  const warm = Array.from({ length: 10 }, track);
  for (const event of warm) await send(worker.url, '/v1/track', event);
  await allDelivered(warm.map(numberOf), 30_000);
  nudge.reset();

  nudge.setMode({ mode: 'fail', forMs: 8000 });
  const downUntil = Date.now() + 8000;
  // The mix: 20 batches (10 track + 5 identify each) and 100 single track requests,
  // from 8 senders at once.
  const bodies = [];
  for (let b = 0; b < 20; b++) {
    bodies.push(['/v1/batch', { batch: [...Array.from({ length: 10 }, track), ...Array.from({ length: 5 }, identify)] }]);
  }
  for (let i = 0; i < 100; i++) bodies.push(['/v1/track', track()]);
  const numbers = bodies.flatMap(([, body]) => (body.batch ?? [body]).map(numberOf));
  const answers = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < bodies.length) {
        const [pathname, body] = bodies[next++];
        answers.push(await send(worker.url, pathname, body));
      }
    }),
  );
  assert.ok(Date.now() < downUntil, 'every request was answered while Nudge was down');
  assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
  assert.ok(answers.every((a) => a.body.counts.failed === 0));
  const times = answers.map((a) => a.ms);
  const [p50, max] = [percentile(times, 50), Math.max(...times)];
  // Direct mode would hold each answer for its whole retry budget (8 s by default); the bound
  // leaves room for a busy machine.
  assert.ok(p50 < 500 && max < 2000, `answers while Nudge is down: p50 ${p50.toFixed(0)} ms, max ${max.toFixed(0)} ms`);

  await allDelivered(numbers, 120_000);
  const { lost, duplicates } = tally(numbers);
  const requests = nudgeRequests(numbers);
  const refused = requests.filter((r) => r.answeredWith !== 'ok').length;
  console.log(
    `outage: ${answers.length} requests (${numbers.length} events) answered 200, p50 ${p50.toFixed(0)} ms, p90 ${percentile(times, 90).toFixed(0)} ms, max ${max.toFixed(0)} ms; ` +
      `lost ${lost.length}, duplicates ${duplicates}; ${requests.length} Nudge requests (${refused} answered 500 during the outage, ` +
      `${requests.length - refused} accepted); all delivered ${((Date.now() - downUntil) / 1000).toFixed(1)} s after Nudge came back`,
  );
  assert.equal(lost.length, 0);
});

test("Segment's Node SDK in queue mode: answered at once, each event delivered once, the batch's track events in one Nudge request", async () => {
  const analytics = new Analytics({ writeKey: WRITE_KEY, host: worker.url, flushAt: 20, flushInterval: 60000, maxRetries: 0 });
  const statuses = [];
  analytics.on('http_response', (e) => statuses.push(e.status));
  const tracks = Array.from({ length: 15 }, track);
  const identifies = Array.from({ length: 5 }, identify);
  for (const { userId, event, properties, timestamp } of tracks) analytics.track({ userId, event, properties, timestamp });
  for (const { userId, traits } of identifies) analytics.identify({ userId, traits });
  const started = performance.now();
  await analytics.closeAndFlush({ timeout: 20000 });
  const ms = performance.now() - started;
  assert.deepEqual(statuses, [200], 'one /v1/batch request, answered 200');
  const numbers = [...tracks, ...identifies].map(numberOf);
  await allDelivered(numbers, 30_000);
  assert.equal(tally(numbers).duplicates, 0);
  const requests = nudgeRequests(numbers);
  const batches = requests.filter((r) => r.path === '/events/batch');
  const payloads = batches.flatMap((r) => JSON.parse(r.body));
  // occurred_at moves by the request's transit time (Segment's clock-skew correction from sentAt).
  const at = Date.parse('2025-05-14T07:30:00Z');
  const onTime = (iso) => Date.parse(iso) >= at - 10 && Date.parse(iso) <= at + ms + 10;
  assert.deepEqual(
    payloads.map(({ name, ext_id, occurred_at, props }) => [name, ext_id, onTime(occurred_at), props.n]).sort((a, b) => a[3] - b[3]),
    tracks.map((e) => ['order_completed', 'user_1', true, numberOf(e)]),
  );
  assert.ok(batches.length <= 2, `${batches.length} trackEvent requests for one batch`);
  const identified = requests.filter((r) => r.path === '/identify').map((r) => JSON.parse(r.body));
  assert.deepEqual(identified.map((b) => [b.ext_id, b.props.n]).sort((a, b) => a[1] - b[1]), identifies.map((e) => ['user_2', numberOf(e)]));
  console.log(`analytics-node in queue mode: answered in ${ms.toFixed(0)} ms; ${requests.length} Nudge requests for 15 track and 5 identify events`);
});

test('429 with Retry-After: the next attempt waits at least that long', async () => {
  const event = identify();
  nudge.setMode({ mode: 'rate', times: 1, retryAfter: '8', match: `"n":${numberOf(event)}}` });
  assert.equal((await send(worker.url, '/v1/identify', event)).status, 200);
  await allDelivered([numberOf(event)], 60_000);
  const [first, second] = nudgeRequests([numberOf(event)]);
  assert.equal(first.answeredWith, 'rate');
  assert.equal(second.answeredWith, 'ok');
  const gap = second.at - first.at;
  console.log(`429 with Retry-After: 8: next attempt ${(gap / 1000).toFixed(1)} s later (back-off alone: 1 s)`);
  assert.ok(gap >= 7900, `retried after ${gap} ms`);
});

test('a final 400 lands in the dead letters with its reason, survives a restart, and is delivered after a replay', async () => {
  const event = identify();
  const n = numberOf(event);
  nudge.setMode({ mode: 'reject', times: 1, match: `"n":${n}}` });
  assert.equal((await send(worker.url, '/v1/identify', event)).status, 200);
  const find = async () => (await admin('GET', '/admin/dead-letters')).body.dead_letters?.find((d) => carries(d, n));
  const dead = await waitFor(find, { timeoutMs: 40_000, what: 'the dead letter', everyMs: 500 });
  assert.equal(dead.status, 400);
  assert.equal(dead.attempts, 1);
  assert.match(dead.reason, /^Nudge refused the request \(400\): .*stand-in: validation failed/);
  assert.match(dead.at, /^\d{4}-\d\d-\d\dT/);
  assert.equal(nudgeRequests([n]).length, 1, 'a final answer is not retried');
  assert.ok(!JSON.stringify(dead).includes(NUDGE_KEY), 'no API key in a dead letter');

  assert.equal((await admin('GET', '/admin/dead-letters', { key: null })).status, 401);
  assert.equal((await admin('GET', '/admin/dead-letters', { key: 'admin-key-90c' })).status, 401);
  assert.equal((await admin('POST', '/admin/replay', { key: 'wrong' })).status, 401);
  // Not for browsers: no preflight, no CORS headers (wrangler.toml allows every origin).
  const origin = { origin: 'https://elsewhere.example' };
  assert.equal((await fetch(`${worker.url}/admin/replay`, { method: 'OPTIONS', headers: origin })).status, 405);
  const listed = await fetch(`${worker.url}/admin/dead-letters`, { headers: { ...origin, authorization: `Bearer ${ADMIN_KEY}` } });
  assert.equal(listed.status, 200);
  assert.equal(listed.headers.get('access-control-allow-origin'), null);
  await listed.arrayBuffer();

  // The store survives a restart (KV under --persist-to).
  await stopWorker(worker);
  worker = await startQueueWorker();
  assert.ok(await find(), 'the dead letter is still listed after a restart');

  const replay = await admin('POST', '/admin/replay', { body: { ids: [dead.id] } });
  assert.equal(replay.status, 200);
  assert.deepEqual(replay.body.replayed, [dead.id]);
  await allDelivered([n], 30_000);
  assert.equal(await find(), undefined, 'a replayed dead letter leaves the store');
});

test('1,000 single-event requests become about ceil(1000 / batch_size) Nudge requests', async () => {
  const events = Array.from({ length: 1000 }, track);
  const numbers = events.map(numberOf);
  let next = 0;
  const statuses = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < events.length) {
        const event = events[next++];
        statuses.push((await send(worker.url, '/v1/track', event)).status);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  assert.ok(statuses.every((s) => s === 200));
  await allDelivered(numbers, 60_000);
  const requests = nudgeRequests(numbers).length;
  const { duplicates } = tally(numbers);
  const bound = Math.ceil(1000 / BATCH_SIZE);
  console.log(`1,000 single-event requests: ${(1000 / seconds).toFixed(0)} events/s accepted (16 connections); ${requests} Nudge requests (bound ${bound} + a few); duplicates ${duplicates}`);
  assert.ok(requests <= bound + 3, `${requests} Nudge requests`);
});

test('the subrequest budget (50) is never exceeded in one invocation, at most 6 requests in flight', async () => {
  // The previous test's last invocation logs after Nudge saw its request: let it finish.
  await sleep(1000);
  nudge.reset();
  nudge.setMode({ mode: 'ok', delayMs: 25 });
  const since = logLines(worker, 'nudge-edge queue batch').length;
  const events = Array.from({ length: 150 }, identify);
  const numbers = events.map(numberOf);
  for (const batch of [events.slice(0, 75), events.slice(75)]) {
    assert.equal((await send(worker.url, '/v1/batch', { batch })).status, 200);
  }
  await allDelivered(numbers, 60_000);
  await sleep(500);
  const batches = logLines(worker, 'nudge-edge queue batch').slice(since).filter((l) => l.queue === 'nudge-edge-deliveries');
  // Nudge's requests and the ledger's calls share the budget.
  const subrequests = batches.map((b) => b.subrequests);
  const spent = batches.map((b) => b.subrequests + b.ledger_calls);
  const carried = batches.reduce((sum, b) => sum + b.carried_on, 0);
  console.log(
    `budget: ${batches.length} invocations made ${subrequests.join(', ')} Nudge requests (most ${Math.max(...subrequests)}), ` +
      `${carried} messages carried the rest on; at most ${nudge.stats().maxInFlight} in flight`,
  );
  assert.ok(Math.max(...spent) <= 50, `subrequests per invocation: ${spent}`);
  const received = nudge.requests.filter((r) => !r.path.startsWith('/__control')).length;
  assert.equal(subrequests.reduce((a, b) => a + b, 0), received, 'the log counts every Nudge request');
  assert.ok(carried > 0, 'a message of 75 identify payloads needs more than 50 requests: the rest is carried on');
  assert.ok(nudge.stats().maxInFlight <= 6, `${nudge.stats().maxInFlight} in flight`);
  assert.equal(tally(numbers).duplicates, 0);
});

test('direct mode keeps to the same budget: requests over it are answered 503, retries stop when it is spent', async () => {
  // 7 subrequests: one ledger shard takes 2 (claims, settlements), 5 are left for Nudge.
  const direct = await startWorker({ ...vars(), DELIVERY: 'direct', SUBREQUEST_BUDGET: '7', LEDGER_SHARDS: '1', RETRY_BASE_DELAY_MS: '20', RETRY_MAX_DELAY_MS: '50' });
  try {
    const over = await send(direct.url, '/v1/batch', { batch: Array.from({ length: 8 }, identify) });
    assert.equal(over.status, 503);
    assert.deepEqual(over.body.results.map((r) => r.status), [...Array(5).fill('sent'), ...Array(3).fill('failed')]);
    assert.match(over.body.results[7].errors[0].message, /over the 5 subrequests this request had for Nudge/);
    assert.equal(nudge.requests.length, 5);

    nudge.reset();
    nudge.setMode({ mode: 'fail' });
    const failing = await send(direct.url, '/v1/batch', { batch: Array.from({ length: 3 }, identify) });
    assert.equal(failing.status, 503);
    assert.equal(nudge.requests.length, 5, 'three first attempts and two retries: 5 subrequests, not 3 × 4');
  } finally {
    await stopWorker(direct);
  }
});

test('one refused event sinks no other: 60 good and 1 poison single-event requests give 60 delivered and 1 dead letter', async () => {
  await sleep(1000);
  nudge.reset();
  // Nudge refuses (400) any request carrying the poison event, as a strict validator would.
  nudge.setMode({ mode: 'reject', match: '"name":"poison"' });
  const good = Array.from({ length: 60 }, track);
  const poison = { ...track(), event: 'Poison' };
  const events = [...good.slice(0, 30), poison, ...good.slice(30)];
  const answers = await Promise.all(events.map((e) => send(worker.url, '/v1/track', e)));
  assert.ok(answers.every((a) => a.status === 200 && a.body.results[0].status === 'queued' && a.body.counts.queued === 1));
  const numbers = good.map(numberOf);
  await allDelivered(numbers, 60_000);
  const n = numberOf(poison);
  const dead = await waitFor(async () => (await admin('GET', '/admin/dead-letters?limit=100')).body.dead_letters?.find((d) => carries(d, n)), {
    timeoutMs: 30_000,
    what: 'the poison dead letter',
    everyMs: 500,
  });
  await sleep(1000);
  const all = (await admin('GET', '/admin/dead-letters?limit=100')).body.dead_letters;
  const ours = all.filter((d) => [n, ...numbers].some((m) => carries(d, m)));
  assert.equal(ours.length, 1, 'one dead letter, the poison event alone');
  assert.equal(dead.message.deliver.payloads.length, 1);
  assert.match(dead.reason, /^Nudge refused the request \(400\): .*stand-in: validation failed/);
  const { lost, duplicates } = tally(numbers);
  const requests = nudgeRequests([...numbers, n]).length;
  const batches = Math.ceil(61 / BATCH_SIZE);
  console.log(`poison (queue mode): ${numbers.length - lost.length} of 60 good events delivered, duplicates ${duplicates}; 1 dead letter; ${requests} Nudge requests (${requests - batches} beyond the ${batches} without the poison)`);
  assert.equal(duplicates, 0);
  // One consumer batch isolates it in at most 2·log2(61) ≈ 12 more; a second batch boundary adds one request.
  assert.ok(requests <= batches + 1 + 15, `${requests} Nudge requests`);

  // Replaying it with ids that name no dead letter: those are answered invalid, the rest goes on.
  const replay = await admin('POST', '/admin/replay', { body: { ids: ['..', '.', '', 'x'.repeat(600), dead.id, '000000000000001-gone'] } });
  assert.equal(replay.status, 400, 'invalid ids are the caller\'s to fix, not a reason to retry');
  assert.deepEqual(replay.body.replayed, [dead.id]);
  assert.deepEqual(replay.body.missing, ['000000000000001-gone']);
  assert.equal(replay.body.invalid.length, 4);
});

test('direct mode: a refused event fails alone, its 60 batch-mates are delivered in the same request', async () => {
  const direct = await startWorker({ ...vars(), DELIVERY: 'direct' });
  try {
    nudge.reset();
    nudge.setMode({ mode: 'reject', match: '"name":"poison"' });
    const good = Array.from({ length: 60 }, track);
    const poison = { ...track(), event: 'Poison' };
    const res = await send(direct.url, '/v1/batch', { batch: [...good.slice(0, 17), poison, ...good.slice(17)] });
    assert.equal(res.status, 400);
    const statuses = res.body.results.map((r) => r.status);
    assert.deepEqual(statuses, [...Array(17).fill('sent'), 'failed', ...Array(43).fill('sent')]);
    assert.match(res.body.results[17].errors[0].message, /^Nudge refused the request \(400\)/);
    const { lost, duplicates } = tally(good.map(numberOf));
    const requests = nudgeRequests([...good.map(numberOf), numberOf(poison)]).length;
    console.log(`poison (direct mode): ${60 - lost.length} of 60 delivered within the request, ${requests} Nudge requests, answered in ${res.ms.toFixed(0)} ms`);
    assert.equal(lost.length, 0);
    assert.equal(duplicates, 0);
    assert.ok(requests <= 16, `${requests} Nudge requests`);
  } finally {
    await stopWorker(direct);
  }
});

test("queue operations: Segment's Node SDK sending 100-event batches costs at most 0.1 queue messages per event", async () => {
  await sleep(1000);
  nudge.reset();
  const since = logLines(worker, 'nudge-edge request').length;
  const analytics = new Analytics({ writeKey: WRITE_KEY, host: worker.url, flushAt: 100, flushInterval: 60000, maxRetries: 0 });
  const events = Array.from({ length: 300 }, (_, i) => (i % 10 === 0 ? identify() : track()));
  for (const e of events) {
    if (e.type === 'track') analytics.track({ userId: e.userId, event: e.event, properties: e.properties, timestamp: e.timestamp });
    else analytics.identify({ userId: e.userId, traits: e.traits });
  }
  await analytics.closeAndFlush({ timeout: 20000 });
  await allDelivered(events.map(numberOf), 60_000);
  await sleep(500);
  const lines = logLines(worker, 'nudge-edge request').slice(since).filter((l) => l.route === '/v1/batch');
  const messages = lines.reduce((sum, l) => sum + l.messages, 0);
  const perEvent = messages / events.length;
  console.log(`queue operations: ${lines.length} SDK batches of 100 events → ${messages} queue messages (${perEvent.toFixed(3)} per event, about ${(3 * perEvent).toFixed(2)} operations per event)`);
  assert.equal(lines.length, 3);
  assert.ok(perEvent <= 0.1, `${perEvent} messages per event`);
  assert.equal(tally(events.map(numberOf)).duplicates, 0);
});

test('an event nested 10,000 levels deep is taken, dead-lettered, listed and replayed as it was', async () => {
  // Written by hand: JSON.stringify cannot nest this deep, while the Worker reads any depth.
  const deep = `${'['.repeat(10_000)}1${']'.repeat(10_000)}`;
  const event = track();
  const n = numberOf(event);
  const text = JSON.stringify({ ...event, properties: { n, deep: 0 } }).replace('"deep":0', `"deep":${deep}`);
  nudge.setMode({ mode: 'reject', times: 1, match: `"n":${n},"deep"` });
  const res = await fetch(`${worker.url}/v1/track`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic(WRITE_KEY) }, body: text });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).results[0].status, 'queued');
  const find = async () =>
    (await admin('GET', '/admin/dead-letters?limit=100')).body.dead_letters?.find((d) => d.message_is_text && d.message.includes(`"n":${n},"deep"`));
  const dead = await waitFor(find, { timeoutMs: 40_000, what: 'the deep dead letter', everyMs: 500 });
  const replay = await admin('POST', '/admin/replay', { body: { ids: [dead.id] } });
  assert.equal(replay.status, 200);
  assert.deepEqual(replay.body.replayed, [dead.id]);
  const delivered = await waitFor(() => nudge.requests.find((r) => r.answeredWith === 'ok' && r.body.includes(`"n":${n},"deep"`)), {
    timeoutMs: 30_000,
    what: 'the deep event at Nudge',
    everyMs: 500,
  });
  assert.ok(delivered.body.includes(`"deep":${deep}`), 'delivered as it was sent');
});

test('no key in any log line', async () => {
  for (const key of [NUDGE_KEY, WRITE_KEY, ADMIN_KEY]) assert.ok(!worker.output().includes(key), 'a key leaked into the log');
});
