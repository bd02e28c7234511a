// The npm package as users install it: `npm pack` on js/, the tarball installed into an empty
// project in a temporary folder, then used by `require`, by `import`, from TypeScript checked
// with `tsc --strict` (Node's and bundlers' module resolution), and from a page bundled by
// esbuild and opened in headless Chromium. Needs the built package (`bash js/scripts/build.sh`)
// and the root dev tooling (typescript, esbuild, playwright-core).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { build } from 'esbuild';
import { exec, installPacked, rootModules, runIn } from './packed.mjs';
import { launchChromium } from './chromium.mjs';

const tsc = path.join(rootModules, '.bin', 'tsc');
let packed;
let app;
let write;

const event = { type: 'track', userId: 'User 1', event: 'Signed Up', timestamp: '2025-05-14T07:30:00+05:30' };
const expectedBody = [{ name: 'signed_up', ext_id: 'user_1', occurred_at: '2025-05-14T02:00:00.000Z' }];

before(async () => {
  packed = await installPacked();
  ({ app, write } = packed);
  for (const needed of ['package.json', 'README.md', 'index.cjs', 'index.mjs', 'index.d.ts', 'web.mjs', 'web.d.ts', 'wasm-url.d.ts',
    'plugin/core.mjs', 'plugin/node.mjs', 'plugin/web.mjs', 'plugin/types.d.ts', 'plugin/node.d.ts', 'plugin/web.d.ts',
    'pkg/node/nudge_edge.js', 'pkg/node/nudge_edge_bg.wasm', 'pkg/web/nudge_edge.js', 'pkg/web/nudge_edge_bg.wasm']) {
    assert.ok(packed.files.includes(needed), `the tarball lacks ${needed}: ${packed.files.join(', ')}`);
  }
  assert.deepEqual(packed.files.filter((f) => /^(test|demo|scripts|test-output)\//.test(f)), [], 'only the package is packed');
});

after(async () => {
  await packed?.remove();
});

test('require: the functions are ready', async () => {
  await write({
    'use.cjs': `const { plan, validateEvent } = require('nudge-edge');
const config = { settings: { apikey: 'k' } };
const p = plan([${JSON.stringify(event)}], config);
console.log(JSON.stringify({ url: p.requests[0].url, body: p.requests[0].body, valid: validateEvent({ type: 'identify' }, config).valid }));`,
  });
  const out = JSON.parse(await runIn(app, process.execPath, ['use.cjs']));
  assert.equal(out.url, 'https://main-api.nudgenow.com/api/integration/segment/events/batch');
  assert.deepEqual(out.body, expectedBody);
  assert.equal(out.valid, false);
});

test('import: named and default exports', async () => {
  await write({
    'use.mjs': `import { plan, matchesSubscription } from 'nudge-edge';
import api from 'nudge-edge';
const p = plan(${JSON.stringify(event)}, { settings: { apikey: 'k' } });
console.log(JSON.stringify({ body: p.requests[0].body, same: api.plan === plan, match: matchesSubscription('type = "track"', { type: 'track' }) }));`,
  });
  const out = JSON.parse(await runIn(app, process.execPath, ['use.mjs']));
  assert.deepEqual(out, { body: expectedBody, same: true, match: true });
});

test('TypeScript: tsc --strict accepts correct use and rejects wrong use', async () => {
  // Segment's SDKs, for checking that `register` takes the plugin as their own types declare:
  // linked from the root dev tooling (their own dependencies resolve from there).
  await mkdir(path.join(app, 'node_modules/@segment'), { recursive: true });
  for (const sdk of ['analytics-node', 'analytics-next']) {
    await symlink(path.join(rootModules, '@segment', sdk), path.join(app, 'node_modules/@segment', sdk), 'dir');
  }
  await write({
    // Node, ES module. Each @ts-expect-error fails the check if the types were too loose.
    'ts/node.mts': `import { plan, validateEvent, validateConfig, transform, parseSubscription, matchesSubscription, createPlanner } from 'nudge-edge';
import type { Config, Plan, SegmentEvent, NudgeEdgeError, Planner } from 'nudge-edge';
import api from 'nudge-edge';
const config: Config = { settings: { apikey: 'k' } };
const events: SegmentEvent[] = [{ type: 'track', userId: 'u', event: 'E' }];
const p: Plan = plan(events, config);
const url: string = p.requests[0].url;
const valid: boolean = validateEvent(events[0], config).valid && validateConfig(config).valid;
const matched: boolean = matchesSubscription('type = "track"', events[0]);
const operator: 'and' | 'or' = parseSubscription('type = "track"').operator;
const mapped: unknown = transform({ id: { '@path': '$.userId' } }, { userId: 'u' });
const same: typeof plan = api.plan;
const where = (e: NudgeEdgeError): string => e.path ?? e.errors?.[0]?.path ?? String(e.position);
const planner: Planner = createPlanner(config);
const text: string = planner.planText(JSON.stringify(events));
const planned: Plan = planner.plan(events);
const checked: boolean = planner.validateEvent(events[0]).valid;
planner.free();
// @ts-expect-error: a config needs settings
plan(events, {});
// @ts-expect-error: planText takes JSON text
planner.planText(events);
// @ts-expect-error: a result is a record, not a string
const wrong: string = p.results[0];
// The plugin, registered in analytics-node.
import { nudgeValidation, ANNOTATION_KEY } from 'nudge-edge/plugin';
import type { ValidationProblem } from 'nudge-edge/plugin';
import { Analytics } from '@segment/analytics-node';
const problems: ValidationProblem[] = [];
await new Analytics({ writeKey: 'w' }).register(nudgeValidation({ config, mode: 'block', onProblem: (p) => problems.push(p) }));
const mapping: string | null = problems[0].mapping;
const key: 'nudgeEdge' = ANNOTATION_KEY;
// @ts-expect-error: no such mode
nudgeValidation({ config, mode: 'drop' });
// @ts-expect-error: in Node the wasm is the package's own
nudgeValidation({ config, wasm: 'nudge_edge_bg.wasm' });
// @ts-expect-error: a problem's code is one of the Worker's codes or 'plugin'
const code: 'oops' = problems[0].code;
export { url, valid, matched, operator, mapped, same, where, wrong, text, planned, checked, mapping, key, code };
`,
    // Node, CommonJS.
    'ts/node.cts': `import nudge = require('nudge-edge');
const p: nudge.Plan = nudge.plan({ type: 'identify', userId: 'u' }, { settings: { apikey: 'k' } });
// @ts-expect-error: a status is a word
const status: number = p.results[0].status;
export = { p, status };
`,
    // Browsers through a bundler.
    'ts/web.ts': `import init, { plan } from 'nudge-edge';
import wasmUrl from 'nudge-edge/nudge_edge_bg.wasm';
import type { Plan } from 'nudge-edge';
await init({ module_or_path: wasmUrl });
const p: Plan = plan({ type: 'track', userId: 'u', event: 'E' }, { settings: { apikey: 'k' } });
// @ts-expect-error: plan needs a config
plan({ type: 'track' });
// The plugin, registered in analytics.js, fetching the wasm from the bundler's URL.
import { nudgeValidation } from 'nudge-edge/plugin';
import { AnalyticsBrowser } from '@segment/analytics-next';
const analytics = AnalyticsBrowser.load({ writeKey: 'w' });
await analytics.register(nudgeValidation({ config: { settings: { apikey: 'k' } }, mode: 'annotate', wasm: wasmUrl }));
// @ts-expect-error: a config is required
nudgeValidation({ mode: 'warn' });
export { p };
`,
    'tsconfig.node.json': JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: [] },
      files: ['ts/node.mts', 'ts/node.cts'],
    }),
    'tsconfig.web.json': JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, module: 'esnext', moduleResolution: 'bundler', target: 'es2022', lib: ['es2022', 'dom'], types: [] },
      files: ['ts/web.ts'],
    }),
  });
  await runIn(app, tsc, ['-p', 'tsconfig.node.json']);
  await runIn(app, tsc, ['-p', 'tsconfig.web.json']);
  // The check can fail: a wrong type is reported.
  await write({ 'ts/bad.mts': `import { plan } from 'nudge-edge';\nconst n: number = plan([], { settings: { apikey: 'k' } });\nexport { n };\n` });
  await assert.rejects(
    exec(tsc, ['--ignoreConfig', '--strict', '--noEmit', '--module', 'nodenext', '--types', '', 'ts/bad.mts'], { cwd: app }),
    (e) => /TS2322/.test(e.stdout),
  );
});

test('a page bundled by esbuild runs in Chromium', async () => {
  await write({
    'page.mjs': `import init, { plan } from 'nudge-edge';
import wasmUrl from 'nudge-edge/nudge_edge_bg.wasm';
await init({ module_or_path: wasmUrl });
const p = plan(${JSON.stringify(event)}, { settings: { apikey: 'k' } });
document.body.dataset.result = JSON.stringify(p.requests[0].body);
`,
  });
  const dist = path.join(app, 'dist');
  await build({
    absWorkingDir: app,
    entryPoints: ['page.mjs'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    outdir: dist,
    loader: { '.wasm': 'file' },
    logLevel: 'silent',
  });
  await writeFile(path.join(dist, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="page.js"></script><body></body>');

  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
  const server = createServer(async (req, res) => {
    const file = path.join(dist, path.normalize(new URL(req.url, 'http://x').pathname));
    let body;
    try {
      body = await readFile(file);
    } catch {
      return res.writeHead(404).end();
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
    await page.waitForSelector('body[data-result]', { state: 'attached', timeout: 15000 });
    assert.deepEqual(JSON.parse(await page.getAttribute('body', 'data-result')), expectedBody);
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser.close();
    server.close();
  }
});
