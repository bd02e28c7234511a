// `nudge-edge/plugin` in Segment's own SDKs, unmodified (the root dev tooling's
// @segment/analytics-node, and @segment/analytics-next bundled by esbuild into a page in headless
// Chromium), the plugin taken from the packed tarball. Both SDKs send to a stand-in for
// Segment's tracking API on 127.0.0.1 that records what it gets.
import { test, before, after, beforeEach, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { Analytics } from '@segment/analytics-node';
import { installPacked, pkgDir, rootModules } from './packed.mjs';
import { launchChromium } from './chromium.mjs';

const config = { settings: { apikey: 'test-key' } };
const WRITE_KEY = 'write-key';
const AT = '2025-05-14T07:30:00.000Z';
const IDENTIFY_PROBLEM = { code: 'required', field: 'ext_id', mapping: 'Identify User', message: 'User ID (ext_id) is required' };

let packed;
let plugin; // the packed package's `nudge-edge/plugin`, as Node resolves it
let server;
let base;
/** What the stand-in for Segment's API received: `{ path, body }`. */
let received = [];
/** The page's wasm is answered when this resolves (a test holds it to track before it is ready). */
let wasmGate = Promise.resolve();
const pageFiles = {};

/** Waits until `ok()` is true (or fails after 15 s). */
async function until(ok, what) {
  for (let i = 0; i < 300; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

before(async () => {
  packed = await installPacked();
  await packed.write({ 'plugin.mjs': "export * from 'nudge-edge/plugin';\n" });
  plugin = await import(pathToFileURL(path.join(packed.app, 'plugin.mjs')));

  // The page: analytics.js and the plugin, bundled as an application would (browser conditions,
  // the wasm copied next to the bundle by esbuild's file loader).
  const bundle = await build({
    absWorkingDir: packed.app,
    stdin: {
      contents: `import { AnalyticsBrowser } from '@segment/analytics-next';
import { nudgeValidation } from 'nudge-edge/plugin';
import wasm from 'nudge-edge/nudge_edge_bg.wasm';
window.start = async ({ writeKey, apiHost, options }) => {
  const [analytics] = await AnalyticsBrowser.load(
    { writeKey, cdnSettings: { integrations: { 'Segment.io': { apiKey: writeKey } } } },
    { integrations: { 'Segment.io': { apiHost, protocol: 'http' } } },
  );
  window.analytics = analytics;
  window.problems = [];
  if (options) {
    window.plugin = nudgeValidation({ ...options, wasm, onProblem: options.onProblem && ((p) => window.problems.push(p)) });
    await analytics.register(window.plugin);
  }
};`,
      resolveDir: packed.app,
    },
    nodePaths: [rootModules],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    outdir: path.join(packed.app, 'dist'),
    loader: { '.wasm': 'file' },
    write: false,
    logLevel: 'silent',
  });
  for (const file of bundle.outputFiles) pageFiles[`/${path.basename(file.path)}`] = file.contents;
  pageFiles['/'] = '<!doctype html><meta charset="utf-8"><script type="module" src="/stdin.js"></script>';

  server = createServer(async (req, res) => {
    if (req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      received.push({ path: req.url, body: JSON.parse(body) });
      return res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    }
    const file = pageFiles[req.url];
    if (!file) return res.writeHead(404).end();
    if (req.url.endsWith('.wasm')) await wasmGate;
    const type = { '.js': 'text/javascript', '.wasm': 'application/wasm' }[path.extname(req.url)] ?? 'text/html';
    res.writeHead(200, { 'content-type': type }).end(file);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(async () => {
  server?.close();
  await packed?.remove();
});

beforeEach(() => {
  received = [];
  wasmGate = Promise.resolve();
});

test('the plugin is a Segment before plugin with the package version', async () => {
  const p = plugin.nudgeValidation({ config });
  const { version } = JSON.parse(await readFile(path.join(pkgDir, 'package.json'), 'utf8'));
  assert.deepEqual([p.name, p.type, p.version], ['nudge-edge validation', 'before', version]);
  for (const type of ['track', 'identify', 'page', 'screen', 'group', 'alias']) assert.equal(typeof p[type], 'function', type);
  assert.equal(plugin.ANNOTATION_KEY, 'nudgeEdge');
  assert.throws(() => plugin.nudgeValidation({ config, mode: 'blok' }), /mode must be one of warn, block, annotate/);
});

describe('@segment/analytics-node', () => {
  /** An analytics-node client sending to the stand-in, with `plugin` registered when given. */
  async function client(p) {
    // A short flushInterval: a dropped event still counts as pending in the SDK's batch when
    // closeAndFlush starts, so the batch goes out at the next interval (docs/plugin.md).
    const analytics = new Analytics({ writeKey: WRITE_KEY, host: base, flushAt: 20, flushInterval: 100, maxRetries: 0 });
    const errors = [];
    analytics.on('error', (e) => errors.push(e));
    if (p) await analytics.register(p);
    return { analytics, errors };
  }

  /** The batch items received, in order. */
  const items = () => received.flatMap((r) => r.body.batch);

  const validTrack = { userId: 'Ada Lovelace', event: 'Order Completed', properties: { total: 99.5 }, messageId: 'm-1', timestamp: AT };

  test('a valid track is delivered exactly as without the plugin, in warn and block modes', async () => {
    const sent = {};
    for (const mode of [undefined, 'warn', 'block']) {
      received = [];
      const problems = [];
      const { analytics } = await client(mode && plugin.nudgeValidation({ config, mode, onProblem: (p) => problems.push(p) }));
      analytics.track(validTrack);
      await analytics.closeAndFlush();
      assert.deepEqual(problems, [], mode);
      sent[mode ?? 'none'] = items();
    }
    assert.equal(sent.none.length, 1);
    assert.deepEqual(sent.warn, sent.none);
    assert.deepEqual(sent.block, sent.none);
  });

  test('warn: an identify without userId is sent, and warned of once, naming the event, mapping, field and message', async (t) => {
    const warn = t.mock.method(console, 'warn', () => {});
    const p = plugin.nudgeValidation({ config });
    const { analytics } = await client(p);
    assert.equal(p.isLoaded(), true, 'ready when register resolves');
    analytics.identify({ anonymousId: 'anon-1', traits: { email: 'ada@example.com' } });
    analytics.identify({ anonymousId: 'anon-2', traits: { email: 'grace@example.com' } });
    analytics.track(validTrack);
    await analytics.closeAndFlush();
    assert.deepEqual(items().map((e) => e.type), ['identify', 'identify', 'track']);
    assert.deepEqual(warn.mock.calls.map((c) => c.arguments), [
      ['nudge-edge/plugin: identify → mapping "Identify User": User ID (ext_id) is required (field ext_id, required)'],
    ]);
  });

  test('block: an identify without userId is not sent; unmatched and valid events are', async () => {
    const problems = [];
    const { analytics, errors } = await client(plugin.nudgeValidation({ config, mode: 'block', onProblem: (p) => problems.push(p) }));
    analytics.identify({ anonymousId: 'anon-1', traits: { email: 'ada@example.com' } });
    analytics.alias({ userId: 'Ada Lovelace', previousId: 'anon-1' });
    analytics.track(validTrack);
    await analytics.closeAndFlush();
    assert.deepEqual(items().map((e) => e.type), ['alias', 'track']);
    assert.deepEqual(problems.map(({ event, ...p }) => [event.type, event.anonymousId, p]), [['identify', 'anon-1', { ...IDENTIFY_PROBLEM, blocked: true }]]);
    assert.deepEqual(errors.map((e) => [e.code, e.reason.retry, e.reason.reason]), [
      ['delivery_failure', false, 'no Nudge mapping can deliver this event (nudge-edge/plugin, block mode)'],
    ]);
  });

  test("annotate: context.nudgeEdge holds each mapping's result and the request, without the API key", async () => {
    const problems = [];
    const { analytics } = await client(plugin.nudgeValidation({ config, mode: 'annotate', onProblem: (p) => problems.push(p) }));
    analytics.track(validTrack);
    analytics.identify({ anonymousId: 'anon-1' });
    await analytics.closeAndFlush();
    assert.deepEqual(problems.map(({ event, ...p }) => p), [{ ...IDENTIFY_PROBLEM, blocked: false }]);
    const [track, identify] = items();
    assert.deepEqual(track.context.nudgeEdge, {
      results: [{ mapping: 'Track Event', action: 'trackEvent', status: 'sent' }],
      requests: [{
        action: 'trackEvent',
        mapping: 'Track Event',
        method: 'POST',
        url: 'https://main-api.nudgenow.com/api/integration/segment/events/batch',
        body: [{ name: 'order_completed', ext_id: 'ada_lovelace', occurred_at: AT, props: { total: 99.5 } }],
      }],
    });
    assert.deepEqual(identify.context.nudgeEdge.results, [{ mapping: 'Identify User', action: 'identifyUser', status: 'invalid', errors: [{ field: 'ext_id', code: 'required', message: IDENTIFY_PROBLEM.message }] }]);
    assert.ok(!JSON.stringify(received).includes('test-key'), 'the API key stays out of the events');
  });

  test('failures of the plugin are reported once and every event goes through', async () => {
    const problems = [];
    const broken = plugin.nudgeValidation({ config: { settings: {} }, mode: 'block', onProblem: (p) => problems.push(p) });
    const { analytics } = await client(broken);
    assert.equal(broken.isLoaded(), false);
    analytics.identify({ anonymousId: 'anon-1' });
    analytics.identify({ anonymousId: 'anon-2' });
    await analytics.closeAndFlush();
    assert.equal(items().length, 2);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].code, 'plugin');
    assert.match(problems[0].message, /cannot check events.*apikey/);

    received = [];
    const throwing = plugin.nudgeValidation({ config, mode: 'warn', onProblem: () => { throw new Error('a failing callback'); } });
    const second = await client(throwing);
    second.analytics.identify({ anonymousId: 'anon-1' });
    await second.analytics.closeAndFlush();
    assert.deepEqual([items().length, second.errors], [1, []]);
  });
});

describe('analytics.js (@segment/analytics-next) in headless Chromium', () => {
  let browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  /**
   * A fresh page with analytics.js sending to the stand-in; `options` (config, mode, whether
   * to pass onProblem) registers the plugin. Its console warnings are collected.
   */
  async function page(options) {
    const context = await browser.newContext();
    const p = await context.newPage();
    const warnings = [];
    const errors = [];
    p.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
    p.on('pageerror', (e) => errors.push(e.message));
    await p.goto(`${base}/`);
    await p.waitForFunction(() => typeof window.start === 'function');
    await p.evaluate((args) => window.start(args), { writeKey: WRITE_KEY, apiHost: `${new URL(base).host}/v1`, options });
    return { page: p, warnings, errors, close: () => context.close() };
  }

  /** What a track sends, less what differs from page to page (ids, sending time). */
  const comparable = ({ path, body }) => ({ path, body: { ...body, messageId: '<id>', anonymousId: '<id>', sentAt: '<sentAt>' } });

  test('a valid track is delivered exactly as without the plugin, in warn and block modes', async () => {
    const sent = {};
    for (const mode of [undefined, 'warn', 'block']) {
      received = [];
      const { page: p, warnings, errors, close } = await page(mode && { config, mode });
      await p.evaluate(async (at) => {
        await window.analytics.user().id('Ada Lovelace');
        await window.analytics.track('Order Completed', { total: 99.5 }, { timestamp: new Date(at) });
      }, AT);
      await until(() => received.length === 1, 'the track');
      assert.deepEqual([warnings, errors], [[], []], mode);
      sent[mode ?? 'none'] = received.map(comparable);
      await close();
    }
    assert.equal(sent.none[0].path, '/v1/t');
    assert.deepEqual(sent.warn, sent.none);
    assert.deepEqual(sent.block, sent.none);
  });

  test('warn: an identify tracked before the wasm is ready is sent at once, then warned of naming ext_id', async () => {
    let release;
    wasmGate = new Promise((r) => (release = r));
    const { page: p, warnings, errors, close } = await page({ config, mode: 'warn' });
    await p.evaluate(() => window.analytics.identify({ email: 'ada@example.com' }));
    // Delivered while the wasm is still held by the server.
    await until(() => received.some((r) => r.path === '/v1/i'), 'the identify');
    assert.equal(await p.evaluate(() => window.plugin.isLoaded()), false);
    assert.deepEqual(warnings, []);
    release();
    await until(() => warnings.length === 1, 'the warning');
    assert.equal(warnings[0], 'nudge-edge/plugin: identify → mapping "Identify User": User ID (ext_id) is required (field ext_id, required)');
    assert.equal(await p.evaluate(() => window.plugin.isLoaded()), true);
    assert.deepEqual(errors, []);
    await close();
  });

  test('block: an identify without userId is not sent, also when tracked before the wasm is ready; a valid track is', async () => {
    let release;
    wasmGate = new Promise((r) => (release = r));
    const { page: p, errors, close } = await page({ config, mode: 'block', onProblem: true });
    const loadedWhenTracked = await p.evaluate(() => {
      window.early = window.analytics.identify({ email: 'ada@example.com' }).then((ctx) => ctx.failedDelivery()?.reason.reason);
      return window.plugin.isLoaded();
    });
    assert.equal(loadedWhenTracked, false);
    // Held, not sent, while the wasm is.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(received, []);
    release();
    assert.equal(await p.evaluate(() => window.early), 'no Nudge mapping can deliver this event (nudge-edge/plugin, block mode)');
    const [late, problems] = await p.evaluate(async (at) => {
      const late = await window.analytics.identify({ email: 'grace@example.com' });
      await window.analytics.user().id('Ada Lovelace');
      await window.analytics.track('Order Completed', { total: 99.5 }, { timestamp: new Date(at) });
      return [late.failedDelivery()?.reason.reason, window.problems.map(({ event, ...p }) => ({ ...p, type: event.type }))];
    }, AT);
    assert.equal(late, 'no Nudge mapping can deliver this event (nudge-edge/plugin, block mode)');
    assert.deepEqual(problems, [{ ...IDENTIFY_PROBLEM, blocked: true, type: 'identify' }]);
    await until(() => received.length === 1, 'the track');
    assert.deepEqual(received.map((r) => r.path), ['/v1/t']);
    assert.deepEqual(errors, []);
    await close();
  });
});
