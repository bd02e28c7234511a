// The demo page in a real browser (Debian's Chromium, driven by playwright-core): typing an
// invalid event shows its error, a valid one shows the request preview.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };
let server;
let browser;
let base;

before(async () => {
  server = createServer(async (req, res) => {
    const file = path.join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!file.startsWith(root)) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('the demo page shows errors and the request preview as you type', async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${base}/demo/index.html`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });

  await page.fill('#event', JSON.stringify({ type: 'track', event: 'Order Completed', timestamp: 'not a date' }));
  await page.waitForFunction(() => document.querySelector('#status').textContent === 'invalid');
  const errors = await page.locator('#errors li').allTextContents();
  assert.ok(errors.some((e) => e.includes('User ID (ext_id) is required')), errors.join('\n'));
  assert.ok(errors.some((e) => e.includes('Event Timestamp (occurred_at) must be a valid date-like string')), errors.join('\n'));
  assert.equal(await page.textContent('#preview'), '(nothing would be sent)');

  await page.fill('#event', JSON.stringify({ type: 'track', userId: 'User 42', event: 'Order Completed', timestamp: '2025-05-14T07:30:00+05:30' }));
  await page.waitForFunction(() => document.querySelector('#status').textContent === 'valid');
  const preview = JSON.parse(await page.textContent('#preview'));
  assert.equal(preview[0].url, 'https://main-api.nudgenow.com/api/integration/segment/events/batch');
  assert.equal(preview[0].headers.apikey, '[redacted]');
  assert.deepEqual(preview[0].body, [{ name: 'order_completed', ext_id: 'user_42', occurred_at: '2025-05-14T02:00:00.000Z' }]);
  assert.equal(await page.locator('#errors li').count(), 0);

  await page.fill('#event', '{"type": "track",');
  await page.waitForFunction(() => document.querySelector('#errors li')?.textContent.includes('not valid JSON'));

  await page.fill('#event', JSON.stringify([{ type: 'identify', userId: 'Ada L', traits: { email: 'ada@example.com', plan: 'pro' } }, { type: 'identify' }]));
  await page.waitForFunction(() => document.querySelector('#status').textContent === 'invalid');
  assert.match(await page.textContent('#preview'), /"ext_id": "ada_l"/);
  assert.match((await page.locator('#errors li').allTextContents()).join('\n'), /event 1 \(Identify User\): User ID \(ext_id\) is required/);

  const outDir = path.join(root, 'test-output');
  await mkdir(outDir, { recursive: true });
  const shot = path.join(outDir, 'demo.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`screenshot of the demo page: ${shot}`);
  assert.deepEqual(pageErrors, []);
});
