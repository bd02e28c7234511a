// A stand-in for the Worker's admin routes, to work on the operator's page (assets/admin/)
// without building the Worker: serves the page with the Worker's headers and canned answers
// shaped as /admin/overview, /admin/dead-letters, /admin/replay and /admin/test answer, full of
// hostile text (event names and reasons holding <script>, "><img onerror> and javascript:).
//
//   node tests/worker/admin-fixture.mjs [port]   then open http://127.0.0.1:<port>/admin#key=fixture-key
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURE_KEY = 'fixture-key';
export const HOSTILE = ['<script>alert(1)</script>', '"><img src=x onerror=alert(2)>', 'javascript:alert(3)'];
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const FILES = {
  '/admin': ['index.html', 'text/html; charset=utf-8'],
  '/admin/assets/admin.css': ['admin.css', 'text/css; charset=utf-8'],
  '/admin/assets/admin.js': ['admin.js', 'text/javascript; charset=utf-8'],
};
const RANGES = { '10m': 10, '1h': 60, '24h': 1440, '7d': 10080, '14d': 20160 };

const hostileEvent = (i) => ({
  type: 'track',
  event: HOSTILE[i % 3],
  userId: HOSTILE[(i + 1) % 3],
  properties: { html: HOSTILE[(i + 2) % 3], link: 'javascript:alert(4)' },
  context: { page: { url: 'javascript:alert(5)' } },
});

export async function startFixture({ port = 0 } = {}) {
  const calls = [];
  let deadLetters = Array.from({ length: 3 }, (_, i) => ({
    id: `00017000000000${i}-msg${i}`,
    reason: i === 0 ? `Nudge refused the request (400): ${HOSTILE[1]}` : `Nudge refused the request (400): validation failed ${i}`,
    status: 400,
    attempts: 1,
    at: new Date(Date.now() - (3 - i) * 60_000).toISOString(),
    message: { v: 2, deliver: { action: 'identifyUser', mapping: HOSTILE[0], payloads: [{ ext_id: HOSTILE[2], props: { n: i } }] } },
  }));
  deadLetters.push({ id: '000170000000009-deep', reason: 'the queue gave up on it after 17 attempts', attempts: 17, at: new Date().toISOString(), message: '{"deep":[[[[[]]]]]}', message_is_text: true });

  const overview = (query) => {
    const to = query.get('to') ? new Date(query.get('to')) : new Date();
    const minutes = RANGES[query.get('range')] ?? 60;
    const from = query.get('from') ? new Date(query.get('from')) : new Date(to.getTime() - minutes * 60_000);
    const span = Math.max(1, Math.round((to - from) / 60_000));
    const series = [];
    for (let m = 0; m < span; m += Math.max(1, Math.floor(span / 200))) {
      const at = new Date(Math.floor((from.getTime() + m * 60_000) / 60_000) * 60_000).toISOString();
      series.push({ at, successful_delivery: (m * 7) % 13, failed_delivery: m % 17 === 0 ? 3 : 0 });
    }
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      mapping: query.get('mapping'),
      mappings: ['Identify User', 'Track Event', HOSTILE[0], HOSTILE[1]],
      steps: { received: 1234, failed_on_ingest: 3, filtered_at_destination: 120, failed_delivery: 11, successful_delivery: 1090, pending_retry: 7, duplicates_dropped: 3 },
      series,
      breakdown: [
        { type: 'track', event: 'Order Completed', count: 800 },
        { type: 'identify', event: null, count: 300 },
        ...HOSTILE.map((event, i) => ({ type: 'track', event, count: 10 + i })),
        { type: 'track', event: 'An event name that goes on and on and on without any break at all so that it must wrap somewhere on a phone', count: 1 },
      ],
      discards: [
        { step: 'failed_on_ingest', reason: 'event over 32 KB', count: 3, samples: [hostileEvent(0)] },
        { step: 'filtered_at_destination', reason: 'no enabled mapping matched', count: 120, samples: Array.from({ length: 10 }, (_, i) => hostileEvent(i)) },
        { step: 'failed_delivery', reason: `User ID (ext_id) is required ${HOSTILE[1]}`, count: 11, samples: [{ type: 'identify', traits: { name: HOSTILE[0] } }] },
      ],
    };
  };

  const tester = (body) => {
    const event = body.event ?? {};
    const valid = typeof event.userId === 'string';
    const results = [{ index: 0, mapping: body.mapping ?? 'Track Event', action: 'trackEvent', status: valid ? 'planned' : 'invalid', ...(valid ? {} : { errors: [{ field: 'ext_id', code: 'required', message: `User ID (ext_id) is required ${HOSTILE[1]}` }] }) }];
    const requests = valid
      ? [{ action: 'trackEvent', mapping: 'Track Event', method: 'POST', url: 'stand-in/events/batch', headers: { apikey: '[redacted]', 'content-type': 'application/json' }, body: [{ name: String(event.event), ext_id: event.userId, props: event.properties }], events: [0] }]
      : [];
    const answer = { valid, results, requests };
    if (body.send) answer.nudge = requests.map(() => ({ status: 200, answer: `{"success":true,"echo":${JSON.stringify(HOSTILE[1])}}` }));
    return answer;
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://fixture');
    calls.push({ method: req.method, path: url.pathname, search: url.search });
    const file = FILES[url.pathname.replace(/\/$/, '')];
    if (file && req.method === 'GET') {
      const body = await readFile(path.join(root, 'assets/admin', file[0]));
      res.writeHead(200, { 'content-type': file[1], 'content-security-policy': CSP, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
      return res.end(body);
    }
    const json = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (!url.pathname.startsWith('/admin/')) return json(404, { success: false, code: 'not_found', message: 'nope' });
    if (req.headers.authorization !== `Bearer ${FIXTURE_KEY}`) return json(401, { success: false, code: 'unauthorized', message: 'missing or wrong admin key' });
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = text ? JSON.parse(text) : {};
    if (url.pathname === '/admin/overview') return json(200, overview(url.searchParams));
    if (url.pathname === '/admin/dead-letters') return json(200, { dead_letters: deadLetters, cursor: null });
    if (url.pathname === '/admin/replay' && req.method === 'POST') {
      const ids = Array.isArray(body.ids) ? body.ids : deadLetters.map((d) => d.id).slice(0, 100);
      const replayed = ids.filter((id) => deadLetters.some((d) => d.id === id && !d.message_is_text));
      const notReplayed = ids.filter((id) => deadLetters.some((d) => d.id === id && d.message_is_text)).map((id) => ({ id, reason: 'kept as text' }));
      const missing = ids.filter((id) => !deadLetters.some((d) => d.id === id));
      deadLetters = deadLetters.filter((d) => !replayed.includes(d.id));
      return json(200, { success: true, replayed, not_replayed: notReplayed, missing, invalid: [], more: false });
    }
    if (url.pathname === '/admin/test' && req.method === 'POST') return json(200, tester(body));
    return json(404, { success: false, code: 'not_found', message: 'nope' });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, calls, close: () => new Promise((r) => server.close(r)) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const fixture = await startFixture({ port: Number(process.argv[2] ?? 8790) });
  console.log(`admin page fixture: ${fixture.url}/admin#key=${FIXTURE_KEY}`);
}
