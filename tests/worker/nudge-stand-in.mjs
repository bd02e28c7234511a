// A small local stand-in for Nudge's API, for `scripts/dev.sh` and the end-to-end tests.
//
// It records and prints every request it receives and answers like Nudge: 200 by default, or,
// when told through POST /__control/mode: 500 (fail), 429 with Retry-After (rate), 401
// (unauthorized), 400 (reject), no answer at all (hang), or, as a misbehaving Nudge would: a
// 302 to another path of its own (redirect), the headers of a `status` answer and then a body
// that never ends (stall), or a 400 whose body echoes the request's `apikey` header across its
// 200th character (echo). A mode lasts for the next `times` requests, for the next `forMs`
// milliseconds, or until told otherwise; with `match`, only requests whose body contains that
// text get it. `delayMs` holds every answer back that long; `stats()` reports the most requests
// it had in flight at once.
//
//   node tests/worker/nudge-stand-in.mjs [port] [--quiet]   (default 8788, on 127.0.0.1)
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

/** Starts the stand-in; resolves to { url, requests, setMode, reset, stats, close }. */
export async function startStandIn({ port = 0, quiet = false } = {}) {
  const requests = [];
  const ok = () => ({ mode: 'ok', times: Infinity, retryAfter: '1', status: 200, until: Infinity, delayMs: 0 });
  const toMode = (next) => ({
    mode: next.mode ?? 'ok',
    times: next.times ?? Infinity,
    retryAfter: String(next.retryAfter ?? '1'),
    status: next.status ?? 200,
    until: next.forMs === undefined ? Infinity : Date.now() + next.forMs,
    delayMs: next.delayMs ?? 0,
    match: next.match,
  });
  let mode = ok();
  const hanging = new Set();
  let inFlight = 0;
  let maxInFlight = 0;
  let url;

  const answer = (res, status, body, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  /** Answers `req` as `current` says, with the settings of the mode `m` it arrived under. */
  const reply = (req, res, current, m) => {
    switch (current) {
      case 'fail':
        return answer(res, 500, { success: false, message: 'stand-in: internal error' });
      case 'rate':
        return answer(res, 429, { success: false, message: 'stand-in: slow down' }, { 'retry-after': m.retryAfter });
      case 'unauthorized':
        return answer(res, 401, { success: false, message: 'stand-in: invalid api key' });
      case 'reject':
        return answer(res, 400, { success: false, message: 'stand-in: validation failed' });
      case 'hang':
        hanging.add(res);
        return undefined;
      case 'redirect':
        res.writeHead(302, { location: `${url}/moved${req.url}` });
        return res.end();
      case 'stall':
        hanging.add(res);
        res.writeHead(m.status, { 'content-type': 'application/json' });
        res.write('{"success": false, "message": "stand-in: the rest never comes');
        return undefined;
      case 'echo':
        return answer(res, 400, { message: `${'x'.repeat(175)} apikey=${req.headers.apikey} p=${req.headers.p}` });
      default:
        return answer(res, 200, { success: true });
    }
  };

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.url.startsWith('/__control/')) {
        if (req.url === '/__control/mode') {
          mode = toMode(JSON.parse(body || '{}'));
          return answer(res, 200, { mode });
        }
        if (req.url === '/__control/requests') return answer(res, 200, requests);
        if (req.url === '/__control/reset') {
          requests.length = 0;
          mode = ok();
          maxInFlight = 0;
          return answer(res, 200, { ok: true });
        }
        return answer(res, 404, { error: 'unknown control' });
      }
      // Where `redirect` points: answered 200, so a sender that follows redirects "succeeds".
      const moved = req.url.startsWith('/moved/');
      const active =
        !moved && mode.times > 0 && Date.now() < mode.until && (mode.match === undefined || body.includes(mode.match));
      const current = active ? mode.mode : 'ok';
      if (active && mode.mode !== 'ok') mode.times -= 1;
      const record = { method: req.method, path: req.url, headers: req.headers, body, answeredWith: current, at: Date.now() };
      requests.push(record);
      if (requests.length > 10000) requests.splice(0, requests.length - 10000);
      if (!quiet) console.log(`nudge stand-in: ${req.method} ${req.url} → ${current} ${body}`);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.on('close', () => (inFlight -= 1));
      const m = mode;
      // A delay lasts as long as its mode does.
      if (active && m.delayMs > 0) setTimeout(() => reply(req, res, current, m), m.delayMs);
      else reply(req, res, current, m);
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    requests,
    setMode(next) {
      mode = toMode(next);
    },
    reset() {
      requests.length = 0;
      mode = ok();
      maxInFlight = 0;
    },
    stats() {
      return { maxInFlight };
    },
    close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quiet = process.argv.includes('--quiet');
  const port = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 8788);
  const standIn = await startStandIn({ port, quiet });
  console.log(`nudge stand-in listening on ${standIn.url}${quiet ? '' : ' (prints each request it receives)'}`);
}
