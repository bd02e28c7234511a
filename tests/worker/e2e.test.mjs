// End to end over plain HTTP: the built Worker in workerd (`wrangler dev`), a Nudge stand-in on
// loopback. Segment's SDKs are in sdks.test.mjs, hostile senders and Nudges in
// adversarial.test.mjs. Build first: bash scripts/build-worker.sh.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { startStandIn } from './nudge-stand-in.mjs';
import { NUDGE_KEY, WRITE_KEY, MAPPINGS, RETRY, basic, freePort, startWorker, stopWorker, logLines, track } from './harness.mjs';

let nudge;
let worker;
const responses = [];

async function send(pathname, { body, key = WRITE_KEY, headers = {}, method = 'POST', raw } = {}) {
  const init = { method, headers: { 'content-type': 'application/json', ...headers } };
  if (key) init.headers.authorization = basic(key);
  if (body !== undefined || raw !== undefined) init.body = raw ?? JSON.stringify(body);
  const res = await fetch(`${worker.url}${pathname}`, init);
  const text = await res.text();
  responses.push(text);
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

const nudgeCalls = () => nudge.requests.filter((r) => !r.path.startsWith('/__control'));

before(async () => {
  nudge = await startStandIn({ port: await freePort(), quiet: true });
  worker = await startWorker({
    NUDGE_ENDPOINT: nudge.url,
    NUDGE_API_KEY: NUDGE_KEY,
    WRITE_KEYS: `other-key,${WRITE_KEY}`,
    ALLOWED_ORIGINS: 'https://app.example',
    MAPPINGS: JSON.stringify(MAPPINGS),
    ...RETRY,
  });
  console.log(`wrangler dev: first answer ${worker.startupMs} ms after start`);
});

after(async () => {
  await stopWorker(worker);
  await nudge?.close();
});

beforeEach(() => nudge.reset());

test('health: ok to anyone, the number of mappings only with a write key', async () => {
  const open = await send('/health', { method: 'GET', key: null });
  assert.equal(open.status, 200);
  assert.deepEqual(open.body, { ok: true });
  const told = await send('/health', { method: 'GET' });
  assert.deepEqual(told.body, { ok: true, mappings: 3 });
});

test('plain HTTP: one event per route, type from the path, write key in the body', async () => {
  const res = await send('/v1/identify', { body: { userId: 'u 2', traits: { email: 'e@x.io' } } });
  assert.equal(res.status, 200);
  assert.equal(res.body.results[0].status, 'sent');
  const viaBody = await send('/v1/track', { key: null, body: { ...track({ userId: 'u3' }), writeKey: WRITE_KEY } });
  assert.equal(viaBody.status, 200);
  const calls = nudgeCalls();
  assert.deepEqual(calls.map((c) => [c.method, c.path, c.body]), [
    ['PUT', '/identify', '{"ext_id":"u_2","email":"e@x.io","props":{}}'],
    ['POST', '/events/batch', '[{"name":"order_completed","ext_id":"u3","occurred_at":"2025-05-14T07:30:00.000Z","props":{"total":12}}]'],
  ]);
});

test('a batch mixing valid and invalid events: valid ones are sent, the sender gets 400 and every result', async () => {
  const res = await send('/v1/batch', {
    body: { batch: [track({ userId: 'a' }), track({ userId: undefined }), track({ userId: 'b', timestamp: 'not a date' }), track({ userId: 'c' }), { type: 'screen', userId: 'x' }] },
  });
  assert.equal(res.status, 400);
  assert.deepEqual(res.body.results.map((r) => r.status), ['sent', 'invalid', 'invalid', 'sent', 'unmatched']);
  assert.deepEqual(res.body.results[1].errors.map((e) => e.field), ['ext_id']);
  assert.deepEqual(res.body.results[2].errors.map((e) => e.field), ['occurred_at']);
  assert.deepEqual(res.body.counts, { events: 5, sent: 2, queued: 0, duplicate: 0, invalid: 2, failed: 0, unmatched: 1, skipped: 0 });
  const calls = nudgeCalls();
  assert.equal(calls.length, 1, 'valid events share one batch');
  assert.deepEqual(JSON.parse(calls[0].body).map((e) => e.ext_id), ['a', 'c']);
});

test('retries that succeed: 500, 500, then 200', async () => {
  nudge.setMode({ mode: 'fail', times: 2 });
  const res = await send('/v1/track', { body: track() });
  assert.equal(res.status, 200);
  const calls = nudgeCalls();
  assert.equal(calls.length, 3);
  assert.ok(calls.every((c) => c.body === calls[0].body), 'the same body every time');
});

test('429 with Retry-After is honoured', async () => {
  nudge.setMode({ mode: 'rate', times: 1, retryAfter: '1' });
  const t0 = Date.now();
  const res = await send('/v1/track', { body: track() });
  assert.equal(res.status, 200);
  const calls = nudgeCalls();
  assert.equal(calls.length, 2);
  assert.ok(calls[1].at - calls[0].at >= 950, `waited ${calls[1].at - calls[0].at} ms`);
  assert.ok(Date.now() - t0 < 3500);
});

test('429 with Retry-After as an HTTP date is honoured', async () => {
  // Whole seconds: the date is 1 to 2 s ahead when Nudge answers.
  nudge.setMode({ mode: 'rate', times: 1, retryAfter: new Date(Date.now() + 2000).toUTCString() });
  const res = await send('/v1/track', { body: track() });
  assert.equal(res.status, 200);
  const calls = nudgeCalls();
  assert.equal(calls.length, 2);
  assert.ok(calls[1].at - calls[0].at >= 900, `waited ${calls[1].at - calls[0].at} ms`);
});

test('retries that run out: the sender gets 503 and every event is reported, none lost', async () => {
  nudge.setMode({ mode: 'fail' });
  const res = await send('/v1/batch', { body: { batch: [track({ userId: 'a' }), track({ userId: 'b' }), track({ userId: 'c' }), { type: 'identify', userId: 'd' }] } });
  assert.equal(res.status, 503);
  assert.equal(res.body.success, false);
  assert.deepEqual(res.body.results.map((r) => r.status), ['failed', 'failed', 'failed', 'failed']);
  assert.equal(res.body.results[0].errors[0].code, 'unavailable');
  assert.deepEqual(res.body.counts, { events: 4, sent: 0, queued: 0, duplicate: 0, invalid: 0, failed: 4, unmatched: 0, skipped: 0 });
  // Three planned requests (two track batches of at most 2, one identify), four attempts each.
  assert.equal(nudgeCalls().length, 12);
});

test('Nudge answering 401 (bad API key) is final: 500 to the sender, nothing retried', async () => {
  nudge.setMode({ mode: 'unauthorized' });
  const res = await send('/v1/track', { body: track() });
  assert.equal(res.status, 500);
  assert.equal(res.body.results[0].status, 'failed');
  assert.equal(res.body.results[0].errors[0].code, 'rejected');
  assert.equal(nudgeCalls().length, 1);
});

test('Nudge answering 400 is final for those events: 400 to the sender', async () => {
  nudge.setMode({ mode: 'reject' });
  const res = await send('/v1/track', { body: track() });
  assert.equal(res.status, 400);
  assert.equal(res.body.results[0].status, 'failed');
  assert.equal(nudgeCalls().length, 1);
});

test('a Nudge that hangs: the attempt times out, the sender gets 503, and no copy is sent while Nudge may still take it', async () => {
  nudge.setMode({ mode: 'hang' });
  const t0 = Date.now();
  const event = track({ messageId: 'hangs-1' });
  const res = await send('/v1/track', { body: event });
  const took = Date.now() - t0;
  assert.equal(res.status, 503);
  assert.match(res.body.results[0].errors[0].message, /no answer within 700 ms/);
  assert.ok(took < 6000, `took ${took} ms`);
  assert.equal(nudgeCalls().length, 1, 'a timeout is not retried within the request: Nudge may be taking it');
  // The sender's retry within the hold is put off, not sent again.
  const again = await send('/v1/track', { body: event });
  assert.equal(again.status, 503);
  assert.match(again.body.results[0].errors[0].message, /another request is delivering this messageId/);
  assert.equal(nudgeCalls().length, 1);
});

test('bad or missing write key: 401 and nothing forwarded', async () => {
  assert.equal((await send('/v1/track', { body: track(), key: 'wrong-key' })).status, 401);
  assert.equal((await send('/v1/track', { body: track(), key: null })).status, 401);
  assert.equal((await send('/v1/batch', { body: { batch: [track()], writeKey: 'nope' }, key: null })).status, 401);
  assert.equal(nudgeCalls().length, 0);
});

test('oversized events and bodies: 413', async () => {
  const big = await send('/v1/track', { body: track({ properties: { blob: 'x'.repeat(33 * 1024) } }) });
  assert.equal(big.status, 413);
  assert.match(big.body.message, /32 KB/);
  const many = Array.from({ length: 40 }, (_, i) => track({ userId: `u${i}`, properties: { blob: 'y'.repeat(14 * 1024) } }));
  const huge = await send('/v1/batch', { body: { batch: many } });
  assert.equal(huge.status, 413);
  assert.match(huge.body.message, /500 KB/);
  assert.equal(nudgeCalls().length, 0);
});

test('malformed JSON is 400, a wrong content type 415', async () => {
  const bad = await send('/v1/track', { raw: '{"type": "track",' });
  assert.equal(bad.status, 400);
  assert.match(bad.body.message, /not valid JSON/);
  const xml = await send('/v1/track', { raw: '<event/>', headers: { 'content-type': 'application/xml' } });
  assert.equal(xml.status, 415);
  assert.equal(nudgeCalls().length, 0);
});

test('/v1/validate plans without sending and hides the API key', async () => {
  const res = await send('/v1/validate', { body: { batch: [track(), track({ event: undefined })] } });
  assert.equal(res.status, 200);
  assert.equal(res.body.valid, false);
  assert.equal(res.body.plan.requests[0].headers.apikey, '[redacted]');
  assert.equal(res.body.plan.requests[0].url, `${nudge.url}/events/batch`);
  assert.deepEqual(res.body.plan.results.map((r) => r.status), ['sent', 'invalid']);
  assert.equal(nudgeCalls().length, 0);
});

test('CORS: preflight and headers for allowed origins only', async () => {
  const pre = await fetch(`${worker.url}/v1/track`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), 'https://app.example');
  assert.deepEqual(pre.headers.get('access-control-allow-headers').split(', ').sort(), ['authorization', 'content-encoding', 'content-type', 'x-retry-count']);
  const res = await send('/v1/track', { body: track(), headers: { origin: 'https://app.example' } });
  assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example');
  const other = await send('/v1/track', { body: track(), headers: { origin: 'https://evil.example' } });
  assert.equal(other.headers.get('access-control-allow-origin'), null);
});

test('unknown routes and methods', async () => {
  assert.equal((await send('/v2/track', { body: track() })).status, 404);
  assert.equal((await send('/track', { body: track() })).status, 404);
  assert.equal((await send('/v1/track', { method: 'GET', key: null })).status, 405);
  assert.equal((await send('/v1/b', { method: 'GET', key: null })).status, 405);
});

test("analytics.js's own telemetry (/v1/m) is taken and dropped", async () => {
  const res = await send('/v1/m', { key: null, raw: '{"series":[]}', headers: { 'content-type': 'text/plain' } });
  assert.equal(res.status, 204);
  assert.equal(nudgeCalls().length, 0);
});

test('every SDK path: one-letter single events and /v1/b batches, text/plain, X-Retry-Count', async () => {
  const plain = { 'content-type': 'text/plain', 'x-retry-count': '1' };
  for (const [path, event] of [
    ['/v1/t', { userId: 'u t', event: 'Via T', timestamp: '2025-05-14T07:30:00Z' }],
    ['/v1/i', { userId: 'u i', traits: { email: 'i@x.io' } }],
    ['/v1/p', { userId: 'u p', name: 'Home', timestamp: '2025-05-14T07:30:00Z' }],
    ['/v1/s', { userId: 'u s', name: 'Home' }],
    ['/v1/g', { userId: 'u g', groupId: 'g1' }],
    ['/v1/a', { userId: 'u a', previousId: 'anon' }],
  ]) {
    const res = await send(path, { body: event, headers: plain });
    assert.equal(res.status, 200, path);
  }
  const batch = await send('/v1/b', { body: { batch: [track({ userId: 'b1' }), track({ userId: 'b2' })], writeKey: WRITE_KEY }, key: null, headers: plain });
  assert.equal(batch.status, 200);
  assert.deepEqual(nudgeCalls().map((c) => [c.method, c.path, c.body]), [
    ['POST', '/events/batch', '[{"name":"via_t","ext_id":"u_t","occurred_at":"2025-05-14T07:30:00.000Z"}]'],
    ['PUT', '/identify', '{"ext_id":"u_i","email":"i@x.io","props":{}}'],
    ['POST', '/events/batch', '[{"name":"viewed_home","ext_id":"u_p","occurred_at":"2025-05-14T07:30:00.000Z"}]'],
    ['POST', '/events/batch', '[{"name":"order_completed","ext_id":"b1","occurred_at":"2025-05-14T07:30:00.000Z","props":{"total":12}},{"name":"order_completed","ext_id":"b2","occurred_at":"2025-05-14T07:30:00.000Z","props":{"total":12}}]'],
  ]);
});

test('gzip bodies are decoded, with the write key inside them', async () => {
  const body = gzipSync(JSON.stringify({ batch: [track({ userId: 'gz' })], writeKey: WRITE_KEY }));
  const res = await send('/v1/batch', { key: null, raw: body, headers: { 'content-encoding': 'gzip' } });
  assert.equal(res.status, 200);
  assert.deepEqual(nudgeCalls().map((c) => JSON.parse(c.body)[0].ext_id), ['gz']);
});

test("sentAt corrects the device's clock as Segment does; no timestamp means the time received", async () => {
  // A device clock 1 hour fast: the event happened 10 s before it was sent.
  const hour = 3600_000;
  const t0 = Date.now();
  const sentAt = new Date(t0 + hour);
  const res = await send('/v1/track', { body: track({ userId: 'skew', timestamp: new Date(sentAt - 10_000).toISOString(), sentAt: sentAt.toISOString() }) });
  const none = await send('/v1/track', { body: track({ userId: 'now', timestamp: undefined }) });
  const t1 = Date.now();
  assert.equal(res.status, 200);
  assert.equal(none.status, 200);
  const [skewed, now] = nudgeCalls().map((c) => Date.parse(JSON.parse(c.body)[0].occurred_at));
  assert.ok(skewed >= t0 - 10_000 && skewed <= t1 - 10_000 + 5, `${new Date(skewed).toISOString()} is 10 s before it arrived`);
  assert.ok(now >= t0 && now <= t1 + 5, `${new Date(now).toISOString()} is when it arrived`);
});

test('one structured log line per request, and no key in any response or log', async () => {
  await send('/v1/track', { body: track(), headers: { 'x-retry-count': '7' } });
  // Found by its retry count: another test's line may arrive late.
  const ours = () => logLines(worker).find((l) => l.retry_count === 7);
  for (let i = 0; i < 100 && !ours(); i++) await new Promise((r) => setTimeout(r, 50));
  const last = ours();
  assert.equal(last.msg, 'nudge-edge request');
  assert.equal(last.route, '/v1/track');
  assert.equal(last.status, 200);
  assert.equal(typeof last.duration_ms, 'number');
  assert.deepEqual(last.counts, { events: 1, sent: 1, queued: 0, duplicate: 0, invalid: 0, failed: 0, unmatched: 0, skipped: 0 });
  for (const text of [...responses, worker.output()]) {
    assert.ok(!text.includes(NUDGE_KEY), 'the Nudge API key leaked');
    assert.ok(!text.includes(WRITE_KEY), 'a write key leaked');
  }
});
