// Hostile traffic at the Worker, and a misbehaving Nudge: each case must get a fast answer of
// bounded size, leak nothing, and leave the Worker serving and delivering. Each case's measured
// answer time and size are printed at the end. Build first: bash scripts/build-worker.sh.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { startStandIn } from './nudge-stand-in.mjs';
import { NUDGE_KEY, WRITE_KEY, MAPPINGS, RETRY, basic, freePort, startWorker, stopWorker, track } from './harness.mjs';

let nudge;
let worker;
const measured = [];
const texts = [];

/**
 * One request over a raw connection, so that bodies can be streamed without a length, cut off
 * or stalled. `chunks` are written one by one until the Worker answers; `stall` leaves the
 * body unfinished. Resolves to { status, text, bytes, ms }.
 */
function raw(target, pathname, { headers = {}, chunks = [], stall = false, method = 'POST' } = {}) {
  const url = new URL(pathname, target.url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      answered = true;
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => {
        const body = Buffer.concat(parts);
        req.destroy();
        resolve({ status: res.statusCode, headers: res.headers, text: body.toString('utf8'), bytes: body.length, ms: performance.now() - started });
      });
    });
    req.on('error', (e) => (answered ? undefined : reject(e)));
    (async () => {
      for (const chunk of chunks) {
        if (answered || req.destroyed) return;
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      if (!stall && !answered) req.end();
    })().catch(() => {});
  });
}

const json = (body, { key = WRITE_KEY, length = true, headers = {} } = {}) => {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return {
    headers: {
      'content-type': 'application/json',
      ...(key ? { authorization: basic(key) } : {}),
      ...(length ? { 'content-length': String(bytes.length) } : { 'transfer-encoding': 'chunked' }),
      ...headers,
    },
    chunks: Array.from({ length: Math.ceil(bytes.length / 65536) }, (_, i) => bytes.subarray(i * 65536, (i + 1) * 65536)),
  };
};

/** Records a case's answer; checks it was fast and small. */
function measure(name, res, { ms = 2000, bytes = 4096 } = {}) {
  measured.push({ case: name, status: res.status, ms: Math.round(res.ms), bytes: res.bytes });
  texts.push(res.text);
  assert.ok(res.ms < ms, `${name}: answered in ${Math.round(res.ms)} ms, over ${ms} ms`);
  assert.ok(res.bytes <= bytes, `${name}: answer of ${res.bytes} bytes, over ${bytes}`);
  return res.text ? JSON.parse(res.text) : null;
}

const nudgeCalls = () => nudge.requests.filter((r) => !r.path.startsWith('/__control'));
let alive = 0;

/** The Worker still answers and still delivers an event to Nudge. */
async function stillDelivers(target = worker) {
  const userId = `alive ${++alive}`;
  nudge.setMode({ mode: 'ok' });
  const body = JSON.stringify(track({ userId }));
  const res = await raw(target, '/v1/track', json(body));
  assert.equal(res.status, 200, res.text);
  const ext = userId.replace(' ', '_');
  assert.ok(nudgeCalls().some((c) => c.body.includes(`"ext_id":"${ext}"`)), `${ext} reached Nudge`);
}

before(async () => {
  nudge = await startStandIn({ port: await freePort(), quiet: true });
  worker = await startWorker({
    NUDGE_ENDPOINT: nudge.url,
    NUDGE_API_KEY: NUDGE_KEY,
    WRITE_KEYS: WRITE_KEY,
    MAPPINGS: JSON.stringify(MAPPINGS),
    ...RETRY,
  });
});

after(async () => {
  await stopWorker(worker);
  await nudge?.close();
  console.log('hostile case → status, answer time, answer size (preliminary, noisy machine)');
  for (const m of measured) console.log(`  ${m.case}: ${m.status}, ${m.ms} ms, ${m.bytes} bytes`);
});

beforeEach(() => nudge.reset());

const big = Buffer.alloc(3 << 20, ' ');

test('3 MB bodies, declared or streamed without a length, with or without a key: 413 at once', async () => {
  for (const [name, key, length] of [
    ['3 MB, Content-Length, key', WRITE_KEY, true],
    ['3 MB, Content-Length, no key', null, true],
    ['3 MB, chunked, key', WRITE_KEY, false],
    ['3 MB, chunked, no key', null, false],
  ]) {
    const res = await raw(worker, '/v1/batch', json(big, { key, length }));
    const body = measure(name, res, { ms: 2000, bytes: 300 });
    assert.equal(res.status, 413, name);
    assert.equal(body.code, 'request_too_large');
  }
  await stillDelivers();
});

test('the amplification body (400 KB context, 30,000 empty events): refused without copying, with or without a key', async () => {
  const body = JSON.stringify({ batch: Array(30000).fill({}), context: { blob: 'x'.repeat(400 << 10) } });
  assert.ok(body.length < 500 << 10);
  const open = await raw(worker, '/v1/batch', json(body, { key: null }));
  measure('amplification, no key', open, { ms: 2000, bytes: 300 });
  assert.equal(open.status, 401);
  const keyed = await raw(worker, '/v1/batch', json(body));
  measure('amplification, key', keyed, { ms: 2000, bytes: 300 });
  assert.equal(keyed.status, 413);
  // Fewer events, each within 32 KB once merged, but 4 MB past the total.
  const wide = JSON.stringify({ batch: Array(200).fill({ type: 'track' }), context: { blob: 'x'.repeat(30 << 10) } });
  const total = await raw(worker, '/v1/batch', json(wide));
  assert.equal(JSON.parse(total.text).code, 'batch_too_large');
  measure('amplification within 32 KB per event, 6 MB merged', total, { ms: 2000, bytes: 400 });
  await stillDelivers();
});

test('a batch of 240,000 tiny items: 413 at once; 10,000 events: answered with a bounded list', async () => {
  const tiny = `{"batch":[${Array(240000).fill('1').join(',')}]}`;
  assert.ok(tiny.length < 500 << 10);
  const res = await raw(worker, '/v1/batch', json(tiny));
  const body = measure('240,000 tiny items', res, { ms: 2000, bytes: 300 });
  assert.equal(body.code, 'too_many_events');
  // 10,000 events (the most a request may carry), a tenth of them invalid.
  const events = Array.from({ length: 10000 }, (_, i) => (i % 10 === 0 ? { type: 'page', userId: `p${i}`, name: 'x', timestamp: 'never' } : { type: 'screen' }));
  const many = await raw(worker, '/v1/batch', json({ batch: events }));
  const answer = measure('10,000 events (1,000 invalid)', many, { ms: 5000, bytes: 64 << 10 });
  assert.equal(many.status, 400);
  assert.deepEqual(answer.counts, { events: 10000, sent: 0, queued: 0, duplicate: 0, invalid: 1000, failed: 0, unmatched: 9000, skipped: 0 });
  assert.equal(answer.results.length, 100);
  assert.ok(answer.results.every((r) => r.status === 'invalid'));
  assert.equal(answer.omitted, 9900);
  assert.equal(nudgeCalls().length, 0);
  await stillDelivers();
});

test('gzip: a normal body is decoded, a bomb gets 413 at once, a broken stream 400 (401 without a key)', async () => {
  const ok = await raw(worker, '/v1/batch', json(gzipSync(JSON.stringify({ batch: [track({ userId: 'zipped' })], writeKey: WRITE_KEY })), { key: null, headers: { 'content-encoding': 'gzip' } }));
  measure('gzip body, key in the body', ok, { ms: 2000, bytes: 1024 });
  assert.equal(ok.status, 200);
  const bomb = gzipSync(Buffer.alloc(200 << 20, ' '), { level: 9 });
  assert.ok(bomb.length < 500 << 10, `${bomb.length} bytes`);
  for (const key of [WRITE_KEY, null]) {
    const res = await raw(worker, '/v1/batch', json(bomb, { key, headers: { 'content-encoding': 'gzip' } }));
    const body = measure(`gzip bomb (${bomb.length} bytes → 200 MB), ${key ? 'key' : 'no key'}`, res, { ms: 2000, bytes: 300 });
    assert.equal(res.status, 413);
    assert.match(body.message, /decodes to more than/);
  }
  const broken = gzipSync('{"batch": []}').subarray(0, 12);
  const keyed = await raw(worker, '/v1/batch', json(broken, { headers: { 'content-encoding': 'gzip' } }));
  measure('broken gzip, key', keyed, { bytes: 300 });
  assert.equal(keyed.status, 400);
  const open = await raw(worker, '/v1/batch', json(broken, { key: null, headers: { 'content-encoding': 'gzip' } }));
  measure('broken gzip, no key', open, { bytes: 300 });
  assert.equal(open.status, 401);
  const br = await raw(worker, '/v1/batch', json('{}', { headers: { 'content-encoding': 'br' } }));
  measure('content-encoding br', br, { bytes: 300 });
  assert.equal(br.status, 415);
  await stillDelivers();
});

test('a sender that stalls mid-body gets 408 when the read deadline passes', async () => {
  const res = await raw(worker, '/v1/batch', { headers: { 'content-type': 'application/json', authorization: basic(WRITE_KEY), 'transfer-encoding': 'chunked' }, chunks: ['{"batch": ['], stall: true });
  measure('body stalled after 11 bytes', res, { ms: 13000, bytes: 300 });
  assert.equal(res.status, 408);
  await stillDelivers();
});

test('a Nudge that redirects: not followed, the event is reported failed (500), never sent', async () => {
  nudge.setMode({ mode: 'redirect' });
  const res = await raw(worker, '/v1/track', json(track()));
  const body = measure('Nudge answers 302', res, { ms: 2000, bytes: 2048 });
  assert.equal(res.status, 500);
  assert.equal(body.results[0].status, 'failed');
  assert.match(body.results[0].errors[0].message, /redirects are not followed/);
  assert.deepEqual(nudgeCalls().map((c) => [c.method, c.path]), [['POST', '/events/batch']], 'the redirect target got nothing');
  await stillDelivers();
});

test('a Nudge whose body stalls: one deadline covers the whole attempt', async () => {
  nudge.setMode({ mode: 'stall', status: 500 });
  const failing = await raw(worker, '/v1/track', json(track()));
  const body = measure('Nudge 500, body stalls', failing, { ms: 5000, bytes: 2048 });
  assert.equal(failing.status, 503);
  assert.match(body.results[0].errors[0].message, /stand-in: the rest never comes/);
  assert.ok(nudgeCalls().length >= 2, 'retried');
  nudge.reset();
  nudge.setMode({ mode: 'stall', status: 200 });
  const taken = await raw(worker, '/v1/track', json(track()));
  measure('Nudge 200, body stalls', taken, { ms: 1000, bytes: 2048 });
  assert.equal(taken.status, 200, 'a 2xx is taken without waiting for its body');
  await stillDelivers();
});

test('a Nudge that echoes the API key: no part of it reaches the sender or the log', async () => {
  nudge.setMode({ mode: 'echo' });
  const res = await raw(worker, '/v1/track', json(track()));
  const body = measure('Nudge echoes the key', res, { ms: 2000, bytes: 2048 });
  assert.equal(res.status, 400);
  assert.match(body.results[0].errors[0].message, /apikey=\[reda/, 'the key was taken out before the excerpt was cut');
  await new Promise((r) => setTimeout(r, 200));
  for (const text of [res.text, worker.output()]) {
    for (let n = 5; n <= NUDGE_KEY.length; n++) assert.ok(!text.includes(NUDGE_KEY.slice(0, n)), `the key's first ${n} characters leaked`);
  }
  await stillDelivers();
});

/** Starts a Worker with a hostile MAPPINGS, probes it with and without a key, stops it. */
async function probeBrokenConfig(name, mappings, expectedPaths) {
  const broken = await startWorker({ NUDGE_ENDPOINT: nudge.url, NUDGE_API_KEY: NUDGE_KEY, WRITE_KEYS: WRITE_KEY, MAPPINGS: mappings });
  try {
    for (const [route, method] of [['/health', 'GET'], ['/v1/track', 'POST'], ['/v1/validate', 'POST']]) {
      const body = method === 'POST' ? JSON.stringify(track()) : '';
      for (const key of [null, WRITE_KEY]) {
        const res = await raw(broken, route, { ...json(body, { key }), method });
        const answer = measure(`${name}: ${method} ${route}, ${key ? 'key' : 'no key'}`, res, { ms: 2000, bytes: 4096 });
        assert.equal(res.status, 500, `${route}: ${res.text}`);
        if (key) {
          assert.deepEqual(answer.errors.map((e) => e.path), expectedPaths);
        } else {
          assert.equal(answer.errors, undefined, 'no configuration details without a key');
          assert.ok(!res.text.includes('mappings'), res.text);
        }
      }
    }
    assert.equal(nudgeCalls().length, 0);
    // Still serving: the same answers again, at once.
    const again = await raw(broken, '/health', { method: 'GET' });
    assert.equal(again.status, 500);
    assert.deepEqual(JSON.parse(again.text), { ok: false, message: 'unhealthy' });
  } finally {
    await stopWorker(broken);
  }
  assert.ok(!broken.output().includes(NUDGE_KEY) && !broken.output().includes(WRITE_KEY));
  assert.match(broken.output(), /config_errors/, 'the details go to the log');
}

test('a bad MAPPINGS probed with and without a key: details only with the key', async () => {
  await probeBrokenConfig('bad MAPPINGS', JSON.stringify([{ action: 'sendEmail' }, { action: 'trackEvent', subscription: 'type = ' }]), ['/mappings/0/action', '/mappings/1/subscription']);
});

test('MAPPINGS with batch_size 4294967296 (0 as a 32-bit usize): a configuration error, the Worker serves on', async () => {
  await probeBrokenConfig('batch_size 2^32', JSON.stringify([{ action: 'trackEvent', enable_batching: true, batch_size: 4294967296 }]), ['/mappings/0/batch_size']);
});

test('MAPPINGS with a subscription of 5,000 nested parentheses: a configuration error, the Worker serves on', async () => {
  const deep = `${'('.repeat(5000)}type = "track"${')'.repeat(5000)}`;
  await probeBrokenConfig('5,000 nested parentheses', JSON.stringify([{ action: 'trackEvent', subscription: deep }]), ['/mappings/0/subscription']);
});

test('no answer above ever carried a key', () => {
  for (const text of texts) {
    assert.ok(!text.includes(NUDGE_KEY) && !text.includes(WRITE_KEY));
  }
});
