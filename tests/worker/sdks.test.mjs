// Segment's own SDKs and RudderStack's, unmodified, sending to the Worker: analytics.js
// (@segment/analytics-next, bundled by esbuild) in headless Chromium with both delivery
// strategies, loaded with only `cdnURL` pointing at the Worker (which serves its settings),
// @segment/analytics-node, @rudderstack/rudder-sdk-node at its defaults, and
// segment-analytics-python and rudder-sdk-python from PyPI (in .venv/, installed by
// scripts/test.sh) with and without gzip. Each checks that what reaches the Nudge stand-in is
// exactly what the mappings define, byte for byte, and that no event is lost.
//
// Every field is deterministic except `occurred_at`: the Worker corrects the client's
// timestamp for clock skew as Segment does (receivedAt − (sentAt − timestamp)), which moves it
// by the request's transit time. Each `occurred_at` is checked to lie in the window the
// correction allows and then compared like the rest.
//
// The table printed at the end is docs/compatibility.md's matrix (SDK × path × result).
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { Analytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { startStandIn } from './nudge-stand-in.mjs';
import { root, NUDGE_KEY, WRITE_KEY, MAPPINGS, RETRY, freePort, startWorker, stopWorker, logLines } from './harness.mjs';

let nudge;
let worker;
let pages;
let pageUrl;
let browser;
const matrix = [];

const nudgeCalls = () => nudge.requests.filter((r) => !r.path.startsWith('/__control'));

/** Waits until Nudge has had `n` calls (or 15 s pass). */
async function nudgeGets(n) {
  for (let i = 0; i < 300 && nudgeCalls().length < n; i++) await new Promise((r) => setTimeout(r, 50));
  return nudgeCalls();
}

/**
 * Nudge's calls as [method, path, body], bodies as received except that each `occurred_at`,
 * once checked to lie within [from, to] (epoch ms), reads `<occurred_at>`.
 */
function received(calls, from, to) {
  return calls.map((c) => [
    c.method,
    c.path,
    c.body.replace(/"occurred_at":"([^"]+)"/g, (_, iso) => {
      const at = Date.parse(iso);
      assert.ok(at >= from - 10 && at <= to + 10, `occurred_at ${iso} is outside ${new Date(from).toISOString()} … ${new Date(to).toISOString()}`);
      return '"occurred_at":"<occurred_at>"';
    }),
  ]);
}

/** The Worker's log lines for requests made from now on: [route, status], for the matrix. */
function watchWorker() {
  const start = logLines(worker).length;
  return async (n) => {
    for (let i = 0; i < 100 && logLines(worker).length - start < n; i++) await new Promise((r) => setTimeout(r, 50));
    return logLines(worker).slice(start).map((l) => ({ route: l.route, status: l.status, retry: l.retry_count }));
  };
}

function record(sdk, seen) {
  for (const { route, status } of seen) {
    const row = matrix.find((m) => m.sdk === sdk && m.route === route);
    if (row) row.statuses.add(status);
    else matrix.push({ sdk, route, statuses: new Set([status]) });
  }
}

const AT = '2025-05-14T07:30:00.000Z';
const at = Date.parse(AT);

before(async () => {
  nudge = await startStandIn({ port: await freePort(), quiet: true });
  // The page analytics.js runs in, and the SDK bundled for it.
  const bundle = await build({
    stdin: { contents: "import { AnalyticsBrowser } from '@segment/analytics-next'; window.AnalyticsBrowser = AnalyticsBrowser;", resolveDir: root },
    bundle: true,
    format: 'iife',
    write: false,
    logLevel: 'silent',
  });
  const files = {
    '/': ['text/html', '<!doctype html><title>analytics.js → nudge-edge</title><script src="/analytics.js"></script>'],
    '/analytics.js': ['text/javascript', bundle.outputFiles[0].contents],
  };
  const pagePort = await freePort();
  pages = createServer((req, res) => {
    const [type, body] = files[req.url] ?? [];
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': type }).end(body);
  });
  await new Promise((resolve) => pages.listen(pagePort, '127.0.0.1', resolve));
  pageUrl = `http://127.0.0.1:${pagePort}`;
  worker = await startWorker({
    NUDGE_ENDPOINT: nudge.url,
    NUDGE_API_KEY: NUDGE_KEY,
    WRITE_KEYS: WRITE_KEY,
    MAPPINGS: JSON.stringify(MAPPINGS),
    ALLOWED_ORIGINS: pageUrl,
    ...RETRY,
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  pages?.close();
  await stopWorker(worker);
  await nudge?.close();
  console.log('compatibility matrix: SDK | path | Worker answer');
  for (const m of matrix) console.log(`  ${m.sdk} | ${m.route} | ${[...m.statuses].join(', ')}`);
});

beforeEach(() => nudge.reset());

test("@segment/analytics-node: /v1/batch, Basic auth, byte for byte", async () => {
  const seen = watchWorker();
  const analytics = new Analytics({ writeKey: WRITE_KEY, host: worker.url, flushAt: 10, flushInterval: 60000, maxRetries: 0 });
  const done = [];
  analytics.on('http_response', (e) => done.push(e.status));
  const t0 = Date.now();
  analytics.identify({ userId: 'Ada Lovelace', traits: { name: 'Ada Lovelace', email: 'ada@example.com', plan: 'pro' } });
  analytics.track({ userId: 'Ada Lovelace', event: 'Order Completed', properties: { total: 99.5 }, timestamp: new Date('2025-05-14T07:30:00+05:30') });
  analytics.track({ userId: 'Ada Lovelace', event: 'Signed Up', timestamp: '2025-05-14T07:30:00-08:00' });
  analytics.page({ userId: 'Ada Lovelace', name: 'Home', timestamp: '2025-05-14' });
  analytics.track({ anonymousId: 'anon-1', event: 'No User' });
  await analytics.closeAndFlush({ timeout: 20000 });
  const skew = Date.now() - t0;

  const calls = nudgeCalls();
  assert.equal(calls.length, 3, JSON.stringify(calls.map((c) => c.body)));
  const [identify] = calls.filter((c) => c.path === '/identify');
  assert.deepEqual([identify.headers.apikey, identify.headers.p, identify.headers['content-type']], [NUDGE_KEY, '17', 'application/json']);
  // Each timestamp moves by the same transit time: check it, then compare everything.
  const shift = Date.parse(JSON.parse(calls.find((c) => c.body.includes('viewed_home')).body)[0].occurred_at) - Date.parse('2025-05-14T00:00:00Z');
  assert.ok(shift >= -10 && shift <= skew + 10, `corrected by ${shift} ms`);
  const iso = (s) => new Date(Date.parse(s) + shift).toISOString();
  assert.deepEqual(calls.map((c) => [c.method, c.path, c.body]).sort(), [
    ['PUT', '/identify', '{"ext_id":"ada_lovelace","name":"Ada Lovelace","email":"ada@example.com","props":{"plan":"pro"}}'],
    ['POST', '/events/batch', `[{"name":"order_completed","ext_id":"ada_lovelace","occurred_at":"${iso('2025-05-14T02:00:00.000Z')}","props":{"total":99.5}},{"name":"signed_up","ext_id":"ada_lovelace","occurred_at":"${iso('2025-05-14T15:30:00.000Z')}","props":{}}]`],
    ['POST', '/events/batch', `[{"name":"viewed_home","ext_id":"ada_lovelace","occurred_at":"${iso('2025-05-14T00:00:00.000Z')}"}]`],
  ].sort());
  assert.deepEqual(done, [400], 'one batch; the event without userId makes it a 400');
  record('analytics-node 3.1.0', await seen(1));
});

/** Whether ISO date `iso` lies within `slackMs` of [from, to] (epoch ms). */
const near = (iso, from, to, slackMs) => Date.parse(iso) >= from - slackMs && Date.parse(iso) <= to + slackMs;

test('@rudderstack/rudder-sdk-node 3.1.1 at its defaults: gzip labelled as a form, 10 s flush, dated by originalTimestamp', async () => {
  const seen = watchWorker();
  const client = new RudderAnalytics(WRITE_KEY, { dataPlaneUrl: worker.url, logLevel: 'error' });
  // What it puts on the wire, watched on its own axios instance.
  const wire = [];
  const watch = (config, status) => wire.push({ status, type: config.headers['Content-Type'], encoding: config.headers['Content-Encoding'] });
  client.axiosInstance.interceptors.response.use(
    (res) => (watch(res.config, res.status), res),
    (err) => (watch(err.config, err.response?.status), Promise.reject(err)),
  );
  const hours2 = 2 * 3600_000;
  const t0 = Date.now();
  client.identify({ userId: 'Ada Lovelace', traits: { name: 'Ada Lovelace', email: 'ada@example.com', plan: 'pro' } });
  client.track({ userId: 'Ada Lovelace', event: 'Order Completed', properties: { total: 99.5 } });
  client.track({ userId: 'Ada Lovelace', event: 'Signed Up', originalTimestamp: new Date(t0 - hours2) });
  client.page({ userId: 'Ada Lovelace', name: 'Home' });
  const t1 = Date.now();
  // The first event is sent at once; the others wait for the 10 s flush timer.
  const calls = await nudgeGets(3);
  assert.ok(Date.now() - t0 >= 9000, 'held for the flush timer');
  for (let i = 0; i < 100 && wire.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(wire, Array(2).fill({ status: 200, type: 'application/x-www-form-urlencoded', encoding: 'gzip' }));
  // The client's own times, not the arrival time 10 s later: each within a second.
  const times = {};
  const bodies = calls.map((c) => [c.method, c.path, c.body.replace(/"name":"(\w+)","ext_id":"ada_lovelace","occurred_at":"([^"]+)"/g, (_, name, iso) => {
    times[name] = iso;
    return `"name":"${name}","ext_id":"ada_lovelace","occurred_at":"<occurred_at>"`;
  })]);
  assert.ok(near(times.order_completed, t0, t1, 1000) && near(times.viewed_home, t0, t1, 1000), JSON.stringify(times));
  assert.ok(near(times.signed_up, t0 - hours2, t1 - hours2, 1000), `2 hours back: ${times.signed_up}`);
  assert.deepEqual(bodies.sort(), [
    ['PUT', '/identify', '{"ext_id":"ada_lovelace","name":"Ada Lovelace","email":"ada@example.com","props":{"plan":"pro"}}'],
    ['POST', '/events/batch', '[{"name":"order_completed","ext_id":"ada_lovelace","occurred_at":"<occurred_at>","props":{"total":99.5}},{"name":"signed_up","ext_id":"ada_lovelace","occurred_at":"<occurred_at>"}]'],
    ['POST', '/events/batch', '[{"name":"viewed_home","ext_id":"ada_lovelace","occurred_at":"<occurred_at>"}]'],
  ].sort());
  record('@rudderstack/rudder-sdk-node 3.1.1 (defaults: gzip)', await seen(2));
});

/**
 * Loads analytics.js in a fresh page with only `cdnURL` pointing at the Worker (the settings
 * it serves point analytics.js at it); `clockOffsetMs` skews the page's clock.
 */
async function analyticsJs({ deliveryStrategy, clockOffsetMs = 0 }) {
  const context = await browser.newContext({ timezoneId: 'Europe/Berlin' });
  const elsewhere = [];
  await context.route('**/*', (route) => {
    const { hostname } = new URL(route.request().url());
    if (hostname === '127.0.0.1') return route.continue();
    elsewhere.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  if (clockOffsetMs) await page.clock.install({ time: Date.now() + clockOffsetMs });
  await page.goto(`${pageUrl}/`);
  await page.evaluate(
    async ({ writeKey, cdnURL, deliveryStrategy }) => {
      const options = deliveryStrategy ? { integrations: { 'Segment.io': { deliveryStrategy } } } : {};
      const [analytics] = await window.AnalyticsBrowser.load({ writeKey, cdnURL }, options);
      window.analytics = analytics;
    },
    { writeKey: WRITE_KEY, cdnURL: worker.url, deliveryStrategy },
  );
  return { context, page, errors, elsewhere };
}

/** The same seven calls each analytics.js test makes; `timestamp` given unless null. */
const sevenCalls = async (page, timestamp) =>
  page.evaluate(async (timestamp) => {
    const o = timestamp ? { timestamp: new Date(timestamp) } : {};
    const a = window.analytics;
    await a.identify('Ada Lovelace', { name: 'Ada Lovelace', email: 'ada@example.com', plan: 'pro' }, o);
    await a.track('Order Completed', { total: 99.5 }, o);
    await a.track('Signed Up', {}, o);
    await a.page('Home', {}, o);
    await a.screen('Settings', {}, o);
    await a.group('navy', {}, o);
    await a.alias('Ada Lovelace', 'anon-1', o);
  }, timestamp);

const IDENTIFY = '{"ext_id":"ada_lovelace","name":"Ada Lovelace","email":"ada@example.com","tz":"Europe/Berlin","props":{"plan":"pro"}}';

test('analytics.js, one request per event: /v1/i, /v1/t, /v1/p, /v1/s, /v1/g, /v1/a (text/plain, Basic auth and writeKey in the body)', async () => {
  const seen = watchWorker();
  const { context, page, errors, elsewhere } = await analyticsJs({});
  const t0 = Date.now();
  await sevenCalls(page, AT);
  const t1 = Date.now();
  const calls = await nudgeGets(4);
  assert.deepEqual(received(calls, at, at + (t1 - t0)), [
    ['PUT', '/identify', IDENTIFY],
    ['POST', '/events/batch', '[{"name":"order_completed","ext_id":"ada_lovelace","occurred_at":"<occurred_at>","props":{"total":99.5}}]'],
    ['POST', '/events/batch', '[{"name":"signed_up","ext_id":"ada_lovelace","occurred_at":"<occurred_at>","props":{}}]'],
    ['POST', '/events/batch', '[{"name":"viewed_home","ext_id":"ada_lovelace","occurred_at":"<occurred_at>"}]'],
  ]);
  const requests = await seen(8);
  assert.deepEqual(requests.map((r) => [r.route, r.status]), [['/v1/projects/{writeKey}/settings', 200], ['/v1/i', 200], ['/v1/t', 200], ['/v1/t', 200], ['/v1/p', 200], ['/v1/s', 200], ['/v1/g', 200], ['/v1/a', 200]]);
  assert.deepEqual([errors, elsewhere], [[], []], 'no page error, nothing fetched from anywhere but the Worker and the page');
  record('analytics.js 1.84.3 (default)', requests);
  await context.close();
});

test("analytics.js, batching: /v1/b with the page's clock an hour fast, corrected as Segment does", async () => {
  const seen = watchWorker();
  const hour = 3600_000;
  const { context, page, errors, elsewhere } = await analyticsJs({ deliveryStrategy: { strategy: 'batching', config: { size: 7, timeout: 5000 } }, clockOffsetMs: hour });
  const t0 = Date.now();
  await sevenCalls(page, null);
  const calls = await nudgeGets(3);
  const t1 = Date.now();
  // Created and sent by a clock an hour fast, received now: occurred_at is the real time.
  assert.deepEqual(received(calls, t0, t1).sort(), [
    ['PUT', '/identify', IDENTIFY],
    ['POST', '/events/batch', '[{"name":"order_completed","ext_id":"ada_lovelace","occurred_at":"<occurred_at>","props":{"total":99.5}},{"name":"signed_up","ext_id":"ada_lovelace","occurred_at":"<occurred_at>","props":{}}]'],
    ['POST', '/events/batch', '[{"name":"viewed_home","ext_id":"ada_lovelace","occurred_at":"<occurred_at>"}]'],
  ].sort());
  const requests = await seen(2);
  assert.deepEqual(requests.map((r) => [r.route, r.status]), [['/v1/projects/{writeKey}/settings', 200], ['/v1/b', 200]]);
  assert.deepEqual([errors, elsewhere], [[], []]);
  record('analytics.js 1.84.3 (batching)', requests);
  await context.close();
});

test('analytics.js retries a 503 with X-Retry-Count (allowed by the preflight) and the event arrives once', async () => {
  const seen = watchWorker();
  const { context, page } = await analyticsJs({});
  // Nudge fails every attempt the Worker makes for the first request (4), so the Worker answers 503.
  nudge.setMode({ mode: 'fail', times: 4 });
  await page.evaluate(async (timestamp) => {
    await window.analytics.user().id('Ada Lovelace');
    await window.analytics.track('Retried', {}, { timestamp: new Date(timestamp) });
  }, AT);
  const calls = await nudgeGets(5);
  assert.deepEqual(calls.map((c) => c.answeredWith), ['fail', 'fail', 'fail', 'fail', 'ok']);
  assert.match(calls[4].body, /"name":"retried"/);
  const requests = (await seen(3)).slice(1);
  assert.deepEqual(requests.map((r) => [r.route, r.status, r.retry]), [['/v1/t', 503, undefined], ['/v1/t', 200, 1]]);
  record('analytics.js 1.84.3 (default)', requests);
  await context.close();
});

test('settings: an accepted key gets a cacheable document for any origin; any other, the 404 of a path no route has', async () => {
  const seen = watchWorker();
  const headers = { origin: 'https://elsewhere.example' };
  const ok = await fetch(`${worker.url}/v1/projects/${WRITE_KEY}/settings`, { headers });
  assert.equal(ok.status, 200);
  assert.deepEqual([ok.headers.get('access-control-allow-origin'), ok.headers.get('cache-control'), ok.headers.get('content-type')], ['*', 'public, max-age=300', 'application/json']);
  const segment = (await ok.json()).integrations['Segment.io'];
  assert.deepEqual([segment.apiKey, segment.apiHost, segment.protocol], [WRITE_KEY, `${new URL(worker.url).host}/v1`, 'http']);
  const head = await fetch(`${worker.url}/v1/projects/${WRITE_KEY}/settings`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  const answers = [];
  for (const path of ['/v1/projects/wk-unknown/settings', '/v1/projects/wk-test-81c/settings', '/v1/nothing-here/x/settings']) {
    const res = await fetch(`${worker.url}${path}`, { headers });
    answers.push([res.status, [...res.headers.keys()].filter((h) => h !== 'date' && h !== 'content-length').sort(), (await res.json()).code]);
  }
  assert.deepEqual(answers, Array(3).fill(answers[0]), 'the same 404 whatever the key');
  assert.deepEqual([answers[0][0], answers[0][2]], [404, 'not_found']);
  assert.ok(!answers[0][1].includes('access-control-allow-origin') && !answers[0][1].includes('cache-control'));
  const lines = await seen(5);
  assert.ok(!JSON.stringify(logLines(worker)).includes(WRITE_KEY), 'no log line names the key');
  assert.equal(lines.filter((l) => l.route === '/v1/projects/{writeKey}/settings').length, 4, JSON.stringify(lines));
});

const python = path.join(root, '.venv/bin/python');
const PYTHON_SDKS = [
  // segment-analytics-python puts an identify's traits at the top, as Segment's spec does.
  { sdk: 'segment', name: 'segment-analytics-python 2.4.0', identify: '{"ext_id":"grace_hopper","name":"Grace Hopper","email":"grace@example.com","props":{"plan":"pro"}}' },
  // rudder-sdk-python puts them only in context.traits: the preset reads none of them (the
  // docs/compatibility.md shows the mapping that does).
  { sdk: 'rudder', name: 'rudder-sdk-python 2.1.9', identify: '{"ext_id":"grace_hopper","props":{}}' },
];

for (const { sdk, name, identify } of PYTHON_SDKS) {
  for (const encoding of ['plain', 'gzip']) {
    test(`${name}${encoding === 'gzip' ? ', gzip=True' : ''}: /v1/batch, byte for byte`, { skip: !existsSync(python) && 'no .venv: run scripts/test.sh' }, async () => {
      const seen = watchWorker();
      const t0 = Date.now();
      // Not spawnSync: the Nudge stand-in answers from this process's event loop.
      const child = spawn(python, [path.join(root, 'tests/worker/sdk_python.py'), worker.url, WRITE_KEY, encoding, sdk], { timeout: 60000 });
      const run = { stdout: '', stderr: '' };
      child.stdout.on('data', (d) => (run.stdout += d));
      child.stderr.on('data', (d) => (run.stderr += d));
      run.status = await new Promise((resolve) => child.on('close', resolve));
      const t1 = Date.now();
      assert.equal(run.status, 0, run.stderr);
      const report = JSON.parse(run.stdout.trim().split('\n').at(-1));
      assert.deepEqual(report.errors, []);
      assert.deepEqual(report.sent, [{ path: '/v1/batch', status: 200, content_encoding: encoding === 'gzip' ? 'gzip' : null, content_type: 'application/json', authorization: 'Basic', x_retry_count: null }]);
      const calls = await nudgeGets(3);
      assert.deepEqual(received(calls, at, at + (t1 - t0)).sort(), [
        ['PUT', '/identify', identify],
        ['POST', '/events/batch', '[{"name":"order_completed","ext_id":"grace_hopper","occurred_at":"<occurred_at>","props":{"total":42}},{"name":"signed_up","ext_id":"grace_hopper","occurred_at":"<occurred_at>","props":{}}]'],
        ['POST', '/events/batch', '[{"name":"viewed_home","ext_id":"grace_hopper","occurred_at":"<occurred_at>"}]'],
      ].sort());
      record(`${name} (${encoding === 'gzip' ? 'gzip=True' : 'plain'})`, await seen(1));
    });
  }
}
