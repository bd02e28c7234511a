// End to end: the built Worker in workerd (`wrangler dev`), a Nudge stand-in on loopback, and
// senders: Segment's own Node SDK and plain HTTP. Build first: bash scripts/build-worker.sh.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import net from 'node:net';
import { Analytics } from '@segment/analytics-node';
import { startStandIn } from './nudge-stand-in.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NUDGE_KEY = 'test-nudge-key-3f9a';
const WRITE_KEY = 'wk-test-81c2';
const basic = (key) => 'Basic ' + Buffer.from(`${key}:`).toString('base64');
const MAPPINGS = [
  { name: 'Identify User', subscription: 'type = "identify"', action: 'identifyUser' },
  {
    name: 'Track Event',
    subscription: 'type = "track"',
    action: 'trackEvent',
    enable_batching: true,
    batch_size: 2,
    mapping: {
      name: { '@path': '$.event' },
      ext_id: { '@path': '$.userId' },
      occurred_at: { '@path': '$.timestamp' },
      props: { '@path': '$.properties' },
    },
  },
  {
    name: 'Page Views',
    subscription: 'type = "page"',
    action: 'trackEvent',
    mapping: {
      name: { '@template': 'Viewed {{name}}' },
      ext_id: { '@path': '$.userId' },
      occurred_at: { '@path': '$.timestamp' },
    },
  },
];
const RETRY = { DELIVERY: 'direct', RETRY_MAX_ATTEMPTS: '4', RETRY_BASE_DELAY_MS: '50', RETRY_MAX_DELAY_MS: '200', RETRY_BUDGET_MS: '4000', NUDGE_TIMEOUT_MS: '700' };

async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Starts `wrangler dev` on a free port with the given variables; resolves once it answers. */
async function startWorker(vars) {
  const [port, inspector] = [await freePort(), await freePort()];
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector), '--show-interactive-dev-session=false'];
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  const started = Date.now();
  const child = spawn(path.join(root, 'node_modules/.bin/wrangler'), args, {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${output}`);
    try {
      await fetch(`${url}/health`);
      return { url, child, startupMs: Date.now() - started, output: () => output };
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  child.kill();
  throw new Error(`wrangler dev did not answer within 60 s:\n${output}`);
}

async function stop(worker) {
  if (!worker || worker.child.exitCode !== null) return;
  const exited = new Promise((resolve) => worker.child.once('exit', resolve));
  worker.child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
}

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

const track = (over = {}) => ({ type: 'track', userId: 'User 1', event: 'Order Completed', timestamp: '2025-05-14T07:30:00Z', properties: { total: 12 }, ...over });
const nudgeCalls = () => nudge.requests.filter((r) => !r.path.startsWith('/__control'));

before(async () => {
  nudge = await startStandIn({ quiet: true });
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
  await stop(worker);
  await nudge?.close();
});

beforeEach(() => nudge.reset());

test('health', async () => {
  const res = await send('/health', { method: 'GET', key: null });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { ok: true, mappings: 3 });
});

test("Segment's Node SDK delivers through the Worker, byte for byte", async () => {
  const analytics = new Analytics({ writeKey: WRITE_KEY, host: worker.url, flushAt: 10, flushInterval: 60000, maxRetries: 0 });
  const done = [];
  analytics.on('http_response', (e) => done.push(e.status));
  analytics.identify({ userId: 'Ada Lovelace', traits: { name: 'Ada Lovelace', email: 'ada@example.com', plan: 'pro' } });
  analytics.track({ userId: 'Ada Lovelace', event: 'Order Completed', properties: { total: 99.5 }, timestamp: new Date('2025-05-14T07:30:00+05:30') });
  analytics.track({ userId: 'Ada Lovelace', event: 'Signed Up', timestamp: '2025-05-14T07:30:00-08:00' });
  analytics.page({ userId: 'Ada Lovelace', name: 'Home', timestamp: '2025-05-14' });
  analytics.track({ anonymousId: 'anon-1', event: 'No User' });
  await analytics.closeAndFlush({ timeout: 20000 });

  const calls = nudgeCalls();
  const byPath = (p) => calls.filter((c) => c.path === p);
  assert.equal(calls.length, 3, JSON.stringify(calls.map((c) => c.body)));
  const [identify] = byPath('/identify');
  assert.equal(identify.method, 'PUT');
  assert.equal(identify.body, '{"ext_id":"ada_lovelace","name":"Ada Lovelace","email":"ada@example.com","props":{"plan":"pro"}}');
  assert.equal(identify.headers.apikey, NUDGE_KEY);
  assert.equal(identify.headers.p, '17');
  assert.equal(identify.headers['content-type'], 'application/json');
  const batches = byPath('/events/batch').map((c) => c.body);
  assert.ok(batches.every((b, i) => byPath('/events/batch')[i].method === 'POST'));
  assert.deepEqual(batches.sort(), [
    '[{"name":"order_completed","ext_id":"ada_lovelace","occurred_at":"2025-05-14T02:00:00.000Z","props":{"total":99.5}},{"name":"signed_up","ext_id":"ada_lovelace","occurred_at":"2025-05-14T15:30:00.000Z","props":{}}]',
    '[{"name":"viewed_home","ext_id":"ada_lovelace","occurred_at":"2025-05-14T00:00:00.000Z"}]',
  ].sort());
  assert.deepEqual(done, [400], 'one batch; the event without userId makes it a 400');
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
  assert.deepEqual(res.body.counts, { events: 5, sent: 2, invalid: 2, failed: 0, unmatched: 1, skipped: 0 });
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
  assert.deepEqual(res.body.counts, { events: 4, sent: 0, invalid: 0, failed: 4, unmatched: 0, skipped: 0 });
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

test('a Nudge that hangs: attempts time out, the sender gets 503 within the budget', async () => {
  nudge.setMode({ mode: 'hang' });
  const t0 = Date.now();
  const res = await send('/v1/track', { body: track() });
  const took = Date.now() - t0;
  assert.equal(res.status, 503);
  assert.match(res.body.results[0].errors[0].message, /no answer within 700 ms/);
  assert.ok(took < 6000, `took ${took} ms`);
  assert.ok(nudgeCalls().length >= 2);
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
  assert.match(pre.headers.get('access-control-allow-headers'), /authorization/);
  const res = await send('/v1/track', { body: track(), headers: { origin: 'https://app.example' } });
  assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example');
  const other = await send('/v1/track', { body: track(), headers: { origin: 'https://evil.example' } });
  assert.equal(other.headers.get('access-control-allow-origin'), null);
});

test('unknown routes and methods', async () => {
  assert.equal((await send('/v2/track', { body: track() })).status, 404);
  assert.equal((await send('/v1/track', { method: 'GET', key: null })).status, 405);
});

test('a bad MAPPINGS makes every request answer 500 with the problems, key redacted', async () => {
  const broken = await startWorker({
    NUDGE_ENDPOINT: nudge.url,
    NUDGE_API_KEY: NUDGE_KEY,
    WRITE_KEYS: WRITE_KEY,
    MAPPINGS: JSON.stringify([{ action: 'sendEmail' }, { action: 'trackEvent', subscription: 'type = ' }]),
  });
  try {
    for (const [route, method] of [['/v1/track', 'POST'], ['/health', 'GET'], ['/v1/validate', 'POST']]) {
      const res = await fetch(`${broken.url}${route}`, {
        method,
        headers: { authorization: basic(WRITE_KEY), 'content-type': 'application/json' },
        body: method === 'POST' ? JSON.stringify(track()) : undefined,
      });
      const body = await res.json();
      responses.push(JSON.stringify(body));
      assert.equal(res.status, 500, route);
      assert.deepEqual(body.errors.map((e) => e.path), ['/mappings/0/action', '/mappings/1/subscription']);
    }
    assert.equal(nudgeCalls().length, 0);
  } finally {
    await stop(broken);
    assert.ok(!broken.output().includes(NUDGE_KEY) && !broken.output().includes(WRITE_KEY));
  }
});

test('one structured log line per request, and no key in any response or log', async () => {
  const logLines = () => worker.output().split('\n').filter((l) => l.startsWith('{"')).map((l) => JSON.parse(l));
  const before = logLines().length;
  await send('/v1/track', { body: track() });
  for (let i = 0; i < 40 && logLines().length === before; i++) await new Promise((r) => setTimeout(r, 50));
  const last = logLines().at(-1);
  assert.equal(last.msg, 'nudge-edge request');
  assert.equal(last.route, '/v1/track');
  assert.equal(last.status, 200);
  assert.equal(typeof last.duration_ms, 'number');
  assert.deepEqual(last.counts, { events: 1, sent: 1, invalid: 0, failed: 0, unmatched: 0, skipped: 0 });
  for (const text of [...responses, worker.output()]) {
    assert.ok(!text.includes(NUDGE_KEY), 'the Nudge API key leaked');
    assert.ok(!text.includes(WRITE_KEY), 'a write key leaked');
  }
});
