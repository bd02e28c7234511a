// The operator's page (`GET /admin`, assets/admin/) in headless Chromium against the built
// Worker in workerd, queue mode, with a Nudge stand-in: the funnel shows /admin/overview's
// counts, hostile events (names and properties holding <script>, "><img onerror> and
// javascript: URLs) run nothing, a phone-width screen does not scroll sideways, the Event Tester
// shows the Nudge request of a pasted event (and Nudge's answer when sent for real), and a dead
// letter is replayed from the page. Screenshots go to test-output/ (git-ignored): look at them.
// Build first: bash scripts/build-worker.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchChromium } from '../../js/test/chromium.mjs';
import { startStandIn } from './nudge-stand-in.mjs';
import { QUEUE_RETRY, basic, freePort, root, startWorker, stopWorker, waitFor } from './harness.mjs';

const NUDGE_KEY = 'page-nudge-key-5b2c';
const WRITE_KEY = 'wk-page-19d4';
const ADMIN_KEY = 'admin+key/page=77e1';
// Each payload calls alert() (a dialog) or sets window.__pwned if it ever runs.
const SCRIPT = '<script>window.__pwned = 1; alert("script")</script>';
const IMG = '"><img src=x onerror="window.__pwned = 2; alert(\'img\')">';
const JS_URL = 'javascript:window.__pwned=3;alert("url")';
const HOSTILE = [SCRIPT, IMG, JS_URL];
const MAPPINGS = [
  { name: 'Identify User', subscription: 'type = "identify"', action: 'identifyUser' },
  { name: 'Track Event', subscription: 'type = "track"', action: 'trackEvent', enable_batching: true, batch_size: 10 },
  // Operators name mappings; the page shows names as text all the same.
  { name: IMG, subscription: 'type = "screen"', action: 'trackEvent' },
];
const shots = path.join(root, 'test-output');

let nudge;
let worker;
let browser;
const persistTo = mkdtempSync(path.join(os.tmpdir(), 'nudge-edge-page-'));

async function send(pathname, body) {
  const res = await fetch(`${worker.url}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(WRITE_KEY) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function admin(method, pathname, body) {
  const res = await fetch(`${worker.url}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
    body: body && JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const overview = async () => {
  const answer = await admin('GET', '/admin/overview?range=1h');
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body;
};

/** The dead letters carrying `marker` in their message. */
const deadWith = async (marker) => (await admin('GET', '/admin/dead-letters?limit=100')).body.dead_letters.filter((d) => JSON.stringify(d.message).includes(marker));

/**
 * A page at `width` with everything that would show an attack recorded: dialogs, console
 * errors, uncaught errors, CSP violations and requests other than the Worker's own routes.
 */
async function openPage(width, height = 900) {
  const page = await browser.newPage({ viewport: { width, height } });
  const seen = { dialogs: [], errors: [], requests: [] };
  page.on('dialog', (d) => {
    seen.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  page.on('console', (m) => m.type() === 'error' && seen.errors.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => seen.errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => seen.requests.push(r.url()));
  // Injected by the browser driver, not by the page: the CSP does not apply to it.
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(`${worker.url}/admin#key=${encodeURIComponent(ADMIN_KEY)}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
  return { page, seen };
}

/** Asserts that nothing ran, nothing was blocked and nothing was built from the hostile text. */
async function assertNothingRan({ page, seen }) {
  const dom = await page.evaluate(() => ({
    pwned: window.__pwned ?? null,
    violations: window.__violations,
    scripts: [...document.scripts].map((s) => s.getAttribute('src')),
    images: document.images.length,
    links: document.querySelectorAll('a, area, iframe, object, embed, form[action], base').length,
    handlers: [...document.querySelectorAll('*')].flatMap((e) => [...e.attributes].map((a) => a.name)).filter((n) => n.startsWith('on')),
    text: document.body.innerText,
  }));
  assert.equal(dom.pwned, null, 'a payload ran');
  assert.deepEqual(seen.dialogs, [], 'a payload opened a dialog');
  assert.deepEqual(dom.violations, [], 'the CSP had to block something');
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(dom.scripts, ['/admin/assets/admin.js']);
  assert.equal(dom.images, 0, 'an <img> was built from event text');
  assert.equal(dom.links, 0, 'a link or frame was built from event text');
  assert.deepEqual(dom.handlers, [], 'an inline event handler was built from event text');
  const own = new Set(['/admin', '/admin/assets/admin.css', '/admin/assets/admin.js', '/admin/overview', '/admin/dead-letters', '/admin/replay', '/admin/test']);
  for (const url of seen.requests) {
    const u = new URL(url);
    assert.equal(u.origin, worker.url, url);
    assert.ok(own.has(u.pathname), `the page asked for ${url}`);
  }
  return dom;
}

/** Opens every sample, every dead letter's message and every <details>. */
async function expandAll(page) {
  // Each click takes its button out of the selector: click the first closed one until none is left.
  const closed = page.locator('#discards button[aria-expanded="false"]');
  for (let left = await closed.count(); left > 0; left--) await closed.first().click();
  await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
}

const pageSteps = (page) =>
  page.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-step]')].map((e) => [e.dataset.step, e.textContent])));

const STEP_NAMES = ['received', 'failed_on_ingest', 'filtered_at_destination', 'failed_delivery', 'successful_delivery', 'pending_retry', 'duplicates_dropped'];

before(async () => {
  mkdirSync(shots, { recursive: true });
  nudge = await startStandIn({ port: await freePort(), quiet: true });
  const vars = { NUDGE_ENDPOINT: nudge.url, NUDGE_API_KEY: NUDGE_KEY, WRITE_KEYS: WRITE_KEY, ADMIN_KEY, MAPPINGS: JSON.stringify(MAPPINGS) };
  worker = await startWorker({ ...vars, ...QUEUE_RETRY }, { persistTo });
  browser = await launchChromium();

  // The hostile mix: delivered tracks whose names and properties are attacks, an identify
  // without a user (invalid: a failed delivery with samples), unmatched pages and groups
  // (filtered, with samples), a repeated messageId, an event over 32 KB, and a track Nudge
  // refuses (a dead letter holding the attacks).
  nudge.setMode({ mode: 'reject', match: 'refuseme' });
  const events = [
    ...HOSTILE.map((h, i) => ({ type: 'track', userId: `user-${i}`, event: h, messageId: `page-track-${i}`, properties: { html: IMG, link: JS_URL, script: SCRIPT } })),
    { type: 'track', userId: 'user-9', event: 'Order Completed', messageId: 'page-dup', properties: { total: 1 } },
    { type: 'track', userId: 'user-9', event: 'Order Completed', messageId: 'page-dup', properties: { total: 1 } },
    ...HOSTILE.map((h) => ({ type: 'identify', anonymousId: 'anon-1', traits: { name: h, website: JS_URL } })),
    ...HOSTILE.map((h) => ({ type: 'page', name: h, userId: 'user-1', properties: { url: JS_URL } })),
    { type: 'group', groupId: SCRIPT, traits: { name: IMG } },
    // Not batched with the tracks: Nudge refuses this one alone.
    { type: 'identify', userId: 'refuseme', messageId: 'page-refused', traits: { name: IMG, website: JS_URL, html: SCRIPT } },
  ];
  for (const event of events) {
    const answer = await send(`/v1/${event.type}`, event);
    assert.ok(answer.status < 500, JSON.stringify(answer));
  }
  const big = await send('/v1/track', { type: 'track', userId: 'user-1', event: SCRIPT, properties: { blob: 'x'.repeat(40_000) } });
  assert.equal(big.status, 413);

  await waitFor(async () => (await deadWith('refuseme')).length === 1, { timeoutMs: 60_000, what: 'the refused track among the dead letters', everyMs: 500 });
  nudge.setMode({ mode: 'ok' });
  // Settled: nothing pending, and the same counts twice in a row.
  let last = null;
  await waitFor(
    async () => {
      const steps = JSON.stringify((await overview()).steps);
      const settled = steps === last && JSON.parse(steps).pending_retry === 0;
      last = steps;
      return settled;
    },
    { timeoutMs: 60_000, what: 'the overview to settle', everyMs: 1500 },
  );
});

after(async () => {
  await browser?.close();
  await stopWorker(worker);
  await nudge?.close();
  rmSync(persistTo, { recursive: true, force: true });
});

test('the page and its files are served without the key, with a strict CSP and no-store', async () => {
  for (const [pathname, type] of [
    ['/admin', 'text/html'],
    ['/admin/', 'text/html'],
    ['/admin/assets/admin.js', 'text/javascript'],
    ['/admin/assets/admin.css', 'text/css'],
  ]) {
    const res = await fetch(`${worker.url}${pathname}`);
    assert.equal(res.status, 200, pathname);
    assert.ok(res.headers.get('content-type').startsWith(type), pathname);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    const body = await res.text();
    assert.ok(!body.includes(ADMIN_KEY) && !body.includes(NUDGE_KEY));
  }
  assert.equal((await fetch(`${worker.url}/admin/assets/nope.js`)).status, 404);
  assert.equal((await fetch(`${worker.url}/admin/overview`)).status, 401, 'the data needs the key');
});

test('the funnel shows /admin/overview\'s counts, the key leaves the address bar, hostile events run nothing', async () => {
  const opened = await openPage(1280);
  const { page } = opened;
  assert.equal(new URL(page.url()).hash, '', 'the key is removed from the address bar');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('nudge-edge-admin-key')), ADMIN_KEY);

  const api = await overview();
  const shown = await pageSteps(page);
  assert.deepEqual(Object.keys(shown).sort(), [...STEP_NAMES].sort());
  assert.deepEqual(shown, Object.fromEntries(STEP_NAMES.map((s) => [s, String(api.steps[s])])), 'the page shows the API\'s counts');
  assert.ok(api.steps.received > 0 && api.steps.successful_delivery > 0 && api.steps.failed_delivery > 0, JSON.stringify(api.steps));

  // Percentages, then counts again.
  await page.click('#figures button[data-figures="percent"]');
  assert.equal(await page.locator('[data-step-percent="received"]').innerText(), '100 %');
  await page.click('#figures button[data-figures="count"]');
  assert.equal(await page.locator('[data-step="received"]').innerText(), String(api.steps.received));

  // Every range and a mapping load without error.
  for (const range of ['10m', '24h', '7d', '14d', '1h']) {
    await page.click(`#ranges button[data-range="${range}"]`);
    await page.waitForFunction((r) => document.querySelector(`#ranges button[data-range="${r}"]`).getAttribute('aria-pressed') === 'true', range);
  }
  await page.selectOption('#mapping', 'Track Event');
  await page.waitForFunction(() => document.querySelector('#window').textContent.includes('mapping Track Event'));
  const perMapping = (await admin('GET', '/admin/overview?range=1h&mapping=Track%20Event')).body;
  assert.deepEqual(await pageSteps(page), Object.fromEntries(STEP_NAMES.map((s) => [s, String(perMapping.steps[s])])));
  // The mix's exact counts, all mappings: 3 hostile tracks and 2 copies of one messageId
  // (one delivered, one dropped), 3 identifies without a user and 1 refused by Nudge, 3 pages
  // and a group no mapping takes, and the event over 32 KB.
  const all = (await admin('GET', '/admin/overview?range=1h')).body.steps;
  assert.deepEqual(all, {
    received: 14,
    failed_on_ingest: 1,
    filtered_at_destination: 4,
    failed_delivery: 4,
    successful_delivery: 4,
    pending_retry: 0,
    duplicates_dropped: 1,
  });
  await page.selectOption('#mapping', '');
  await page.waitForFunction(() => document.querySelector('#window').textContent.includes('all mappings'));
  assert.equal(await page.locator('#overview-error').textContent(), '');

  // The attacks are shown, as text, in the breakdown, the discards and the dead letters.
  await expandAll(page);
  const dom = await assertNothingRan(opened);
  for (const h of HOSTILE) assert.ok(dom.text.includes(h), `${h} is shown as text`);
  assert.ok(await page.locator('#breakdown td', { hasText: SCRIPT }).count() > 0, 'the breakdown names the hostile event');
  // Samples are shown as JSON: the attack's quotes appear escaped, still as text.
  const asJson = JSON.stringify(IMG).slice(1, -1);
  assert.ok(await page.locator('#discards pre', { hasText: asJson }).count() > 0, 'the discards show hostile samples');
  assert.ok(await page.locator('#mapping option', { hasText: IMG }).count() === 1, 'a hostile mapping name is an option\'s text');
  await page.screenshot({ path: path.join(shots, 'admin-desktop.png'), fullPage: true });
  await page.close();
});

test('at phone width (360 px) nothing scrolls sideways', async () => {
  const opened = await openPage(360, 740);
  const { page } = opened;
  await expandAll(page);
  await page.fill('#tester-event', JSON.stringify({ type: 'track', userId: 'user-1', event: SCRIPT, properties: { long: 'y'.repeat(300), link: JS_URL } }));
  await page.click('#tester-run');
  await page.waitForSelector('#tester-verdict');
  const widths = await page.evaluate(() => ({
    page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
    body: [document.body.scrollWidth, document.body.clientWidth],
    wider: [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.closest('.table-wrap'))
      .map((e) => e.tagName + (e.id ? `#${e.id}` : '') + (e.className && typeof e.className === 'string' ? `.${e.className}` : ''))
      .slice(0, 10),
  }));
  assert.ok(widths.page[0] <= widths.page[1], `the page scrolls sideways: ${JSON.stringify(widths)}`);
  assert.ok(widths.body[0] <= widths.body[1], `the body scrolls sideways: ${JSON.stringify(widths)}`);
  assert.deepEqual(widths.wider, []);
  await assertNothingRan(opened);
  await page.screenshot({ path: path.join(shots, 'admin-phone.png'), fullPage: true });
  await page.close();
});

test('the Event Tester shows the Nudge request of a pasted event, and Nudge\'s answer when sent for real', async () => {
  const opened = await openPage(1280);
  const { page } = opened;
  const event = { type: 'track', userId: 'User 42', event: 'Order Completed', timestamp: '2025-05-14T07:30:00+05:30', messageId: 'page-tester-1' };
  await page.fill('#tester-event', JSON.stringify(event));
  await page.selectOption('#tester-mapping', 'Track Event');
  const before = nudge.requests.length;
  await page.click('#tester-run');
  await page.waitForSelector('#tester-verdict');
  assert.equal(await page.textContent('#tester-verdict'), 'valid');
  const body = JSON.parse(await page.textContent('#tester-output .request-body'));
  assert.deepEqual(body, [{ name: 'order_completed', ext_id: 'user_42', occurred_at: '2025-05-14T02:00:00.000Z' }]);
  assert.ok((await page.textContent('#tester-output .url')).startsWith(nudge.url));
  assert.equal(await page.locator('#tester-output .nudge').count(), 0, 'not sent');
  assert.equal(nudge.requests.length, before, 'nothing reached Nudge without "send"');

  // Per-field errors of an invalid event.
  await page.fill('#tester-event', JSON.stringify({ type: 'track', event: 'Order Completed', timestamp: 'not a date' }));
  await page.click('#tester-run');
  await page.waitForFunction(() => document.querySelector('#tester-verdict')?.textContent === 'invalid');
  const errors = (await page.locator('#tester-output .errors li').allTextContents()).join('\n');
  assert.match(errors, /ext_id/);
  assert.match(errors, /occurred_at/);

  // Sent for real: Nudge's status and answer, no key.
  await page.fill('#tester-event', JSON.stringify(event));
  await page.check('#tester-send');
  await page.click('#tester-run');
  await page.waitForSelector('#tester-output .nudge-status');
  assert.equal(await page.textContent('#tester-output .nudge-status'), 'Nudge answered 200');
  const reached = nudge.requests.slice(before).filter((r) => r.body.includes('user_42'));
  assert.equal(reached.length, 1, 'sent once to Nudge');
  assert.equal(reached[0].headers.apikey, NUDGE_KEY);
  // textContent: the headers sit in a closed <details>, which innerText leaves out.
  const text = await page.evaluate(() => document.body.textContent);
  assert.ok(!text.includes(NUDGE_KEY), 'the API key is not shown');
  assert.match(text, /\[redacted\]/);

  // A recent sample from the discards, picked into the tester.
  await page.selectOption('#tester-sample', '0');
  assert.ok((await page.inputValue('#tester-event')).length > 2);
  await assertNothingRan(opened);
  await page.close();
});

test('one dead letter is replayed from the page and reaches Nudge', async () => {
  const [dead] = await deadWith('refuseme');
  assert.ok(dead, 'the refused track is a dead letter');
  const opened = await openPage(1280);
  const { page } = opened;
  const item = page.locator(`#dead-letters li[data-dead-letter="${dead.id}"]`);
  assert.equal(await item.count(), 1);
  assert.match(await item.textContent(), /Nudge refused the request \(400\)/);
  const before = nudge.requests.length;
  await item.locator('button[data-replay]').click();
  await page.waitForFunction(() => /^Replayed 1\b/.test(document.querySelector('#replay-result').textContent));
  await waitFor(async () => (await item.count()) === 0, { timeoutMs: 10_000, what: 'the replayed dead letter to leave the list' });
  await waitFor(() => nudge.requests.slice(before).some((r) => r.body.includes('refuseme') && r.answeredWith === 'ok'), {
    timeoutMs: 30_000,
    what: 'the replayed track at Nudge',
    everyMs: 500,
  });
  assert.deepEqual(await deadWith('refuseme'), []);
  await assertNothingRan(opened);
  await page.close();
});
