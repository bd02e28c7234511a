// What `nudge-edge/plugin` costs: the time its hook takes per event in Node and in headless
// Chromium (benches/plugin-cases.mjs), and the bytes it adds to a page's bundle beyond the
// package's wasm (esbuild, minified, the glue included since a page without the plugin has none
// of it).
//
//   node benches/plugin-bench.mjs        (after bash js/scripts/build.sh; `npm install` at the root)
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchChromium } from '../js/test/chromium.mjs';
import { measure } from './plugin-cases.mjs';
import { nudgeValidation } from '../js/plugin/node.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A minified browser bundle of `contents` (resolved from js/, as `nudge-edge` would be). */
async function bundle(contents, extra = {}) {
  const out = await build({
    stdin: { contents, resolveDir: path.join(root, 'js'), sourcefile: 'entry.mjs' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
    ...extra,
  });
  return out.outputFiles;
}

const size = (files) => {
  const js = Buffer.concat(files.filter((f) => !f.path.endsWith('.wasm')).map((f) => Buffer.from(f.contents)));
  return { raw: js.length, gzip: gzipSync(js, { level: 9 }).length };
};

const withPlugin = size(await bundle("import { nudgeValidation } from './plugin/web.mjs'; globalThis.plugin = nudgeValidation;"));
const glueOnly = size(await bundle("import init, { createPlanner } from './web.mjs'; globalThis.x = [init, createPlanner];"));
console.log('bytes added to a bundle beyond the wasm (esbuild --minify):');
console.log(`  the plugin with the package's glue: ${withPlugin.raw} raw, ${withPlugin.gzip} gzipped`);
console.log(`  of which the plugin's own code:     ${withPlugin.raw - glueOnly.raw} raw, ${withPlugin.gzip - glueOnly.gzip} gzipped`);

const report = (where, rows) => {
  console.log(`per event, the plugin's hook (${where}; median of 7 runs of 5,000 events):`);
  for (const r of rows) console.log(`  ${r.mode.padEnd(8)} ${r.event.padEnd(24)} ${r.us} µs`);
};

report(`Node ${process.version}`, await measure(nudgeValidation, {}));

// Chromium: the same cases, the plugin's browser entry, the wasm fetched from a local server.
const files = await bundle(
  "import { nudgeValidation } from './plugin/web.mjs'; import wasm from './pkg/web/nudge_edge_bg.wasm'; import { measure } from '../benches/plugin-cases.mjs';\n" +
    'window.bench = () => measure(nudgeValidation, { wasm });',
  { outdir: '/', loader: { '.wasm': 'file' } },
);
const served = Object.fromEntries(files.map((f) => [`/${path.basename(f.path)}`, f.contents]));
const entry = path.basename(files.find((f) => f.path.endsWith('.js')).path);
served['/'] = `<!doctype html><script type="module" src="/${entry}"></script>`;
const server = createServer((req, res) => {
  const body = served[req.url];
  if (!body) return res.writeHead(404).end();
  const type = req.url.endsWith('.wasm') ? 'application/wasm' : req.url.endsWith('.js') ? 'text/javascript' : 'text/html';
  res.writeHead(200, { 'content-type': type }).end(body);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => typeof window.bench === 'function');
  report(`Chromium ${browser.version()}`, await page.evaluate(() => window.bench()));
} finally {
  await browser.close();
  server.close();
}
