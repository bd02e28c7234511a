// What every Worker end-to-end test file shares: free ports, starting and stopping the built
// Worker in workerd (`wrangler dev`, optionally with `--persist-to` so that its queues and KV
// store outlive a restart), its JSON log lines, polling, the deployment's test keys and
// mappings. Build first: bash scripts/build-worker.sh.
//
// Ports are picked free by the OS, or from NUDGE_EDGE_TEST_PORTS ("9200-9299") when set, so
// that several checkouts can run their Workers side by side without meeting.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import net from 'node:net';

export const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const NUDGE_KEY = 'test-nudge-key-3f9a';
export const WRITE_KEY = 'wk-test-81c2';
export const basic = (key) => 'Basic ' + Buffer.from(`${key}:`).toString('base64');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The presets' field mappings, written out; track events batch two to a request. */
export const MAPPINGS = [
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

/**
 * Direct mode with short retries: each answer says what became of each event at Nudge, and
 * tests of failing Nudges end quickly. (Queue mode, the default, is tested in queue.test.mjs.)
 */
export const RETRY = { DELIVERY: 'direct', RETRY_MAX_ATTEMPTS: '4', RETRY_BASE_DELAY_MS: '50', RETRY_MAX_DELAY_MS: '200', RETRY_BUDGET_MS: '4000', NUDGE_TIMEOUT_MS: '700' };

/** Queue mode with retries after 1 to 2 s instead of 30 s to 30 min. */
export const QUEUE_RETRY = { QUEUE_RETRY_BASE_DELAY_S: '1', QUEUE_RETRY_MAX_DELAY_S: '2', NUDGE_TIMEOUT_MS: '2000' };

const range = (process.env.NUDGE_EDGE_TEST_PORTS ?? '').match(/^(\d+)-(\d+)$/);
const taken = new Set();

function listenable(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(null));
    srv.listen(port, '127.0.0.1', () => {
      const { port: got } = srv.address();
      srv.close(() => resolve(got));
    });
  });
}

/** A free port on 127.0.0.1 (from NUDGE_EDGE_TEST_PORTS when set). */
export async function freePort() {
  if (!range) return listenable(0);
  const [lo, hi] = [Number(range[1]), Number(range[2])];
  const start = lo + Math.floor(Math.random() * (hi - lo + 1));
  for (let i = 0; i <= hi - lo; i++) {
    const port = lo + ((start - lo + i) % (hi - lo + 1));
    if (taken.has(port)) continue;
    if ((await listenable(port)) !== null) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${range[0]}`);
}

/**
 * Starts `wrangler dev` with the given variables on free ports (and with `--persist-to
 * persistTo` when given); resolves once /health answers, with { url, port, child, startupMs,
 * output }.
 */
export async function startWorker(vars, options = {}) {
  // workerd binds ports of its own that no caller chooses; when two Workers start at once they
  // can race for one ("Address already in use"). That start is tried again on other ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startWorkerOnce(vars, options);
    } catch (e) {
      if (attempt === 3 || !/Address already in use/.test(String(e.message))) throw e;
    }
  }
}

async function startWorkerOnce(vars, { persistTo } = {}) {
  const [port, inspector] = [await freePort(), await freePort()];
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector), '--show-interactive-dev-session=false'];
  if (persistTo) args.push('--persist-to', persistTo);
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  const started = Date.now();
  // A process group of its own, so that stopping it stops its workerd too.
  const child = spawn(path.join(root, 'node_modules/.bin/wrangler'), args, {
    cwd: root,
    // No fetch of `Request.cf` from workers.cloudflare.com: the tests need no network, and a
    // late answer (or none) makes wrangler restart the runtime under requests in flight.
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${output}`);
    try {
      await fetch(`${url}/health`);
      return { url, port, child, startupMs: Date.now() - started, output: () => output };
    } catch {
      await sleep(250);
    }
  }
  await stopWorker({ child });
  throw new Error(`wrangler dev did not answer within 60 s:\n${output}`);
}

/** Stops a Worker started by startWorker, and its workerd. */
export async function stopWorker(worker) {
  if (!worker || worker.child.exitCode !== null) return;
  const exited = new Promise((resolve) => worker.child.once('exit', resolve));
  try {
    process.kill(-worker.child.pid, 'SIGTERM');
  } catch {
    worker.child.kill('SIGTERM');
  }
  await Promise.race([exited, sleep(5000)]);
}

/** The Worker's JSON log lines so far; only those whose `msg` is `msg` when given. */
export function logLines(worker, msg) {
  return worker
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{"'))
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return null;
      }
    })
    .filter((l) => l && (msg === undefined || l.msg === msg));
}

/** Polls `check` until it returns a truthy value; throws with `what` after `timeoutMs`. */
export async function waitFor(check, { timeoutMs, what, everyMs = 250 }) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A track event with the given fields changed. */
export const track = (over = {}) => ({ type: 'track', userId: 'User 1', event: 'Order Completed', timestamp: '2025-05-14T07:30:00Z', properties: { total: 12 }, ...over });
