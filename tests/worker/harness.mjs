// What every Worker end-to-end test file shares: free ports, starting and stopping the built
// Worker in workerd (`wrangler dev`), the deployment's test keys and mappings, and sending.
// Build first: bash scripts/build-worker.sh.
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

/** Short retries, so that tests of failing Nudges end quickly. */
export const RETRY = { RETRY_MAX_ATTEMPTS: '4', RETRY_BASE_DELAY_MS: '50', RETRY_MAX_DELAY_MS: '200', RETRY_BUDGET_MS: '4000', NUDGE_TIMEOUT_MS: '700' };

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

/** Starts `wrangler dev` with the given variables; resolves once it answers. */
export async function startWorker(vars) {
  const [port, inspector] = [await freePort(), await freePort()];
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector), '--show-interactive-dev-session=false'];
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  const started = Date.now();
  const child = spawn(path.join(root, 'node_modules/.bin/wrangler'), args, {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
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
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  child.kill();
  throw new Error(`wrangler dev did not answer within 60 s:\n${output}`);
}

export async function stopWorker(worker) {
  if (!worker || worker.child.exitCode !== null) return;
  const exited = new Promise((resolve) => worker.child.once('exit', resolve));
  worker.child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
}

/** The Worker's structured log lines so far. */
export function logLines(worker) {
  return worker
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{"'))
    .map((l) => JSON.parse(l));
}

/** A track event with the given fields changed. */
export const track = (over = {}) => ({ type: 'track', userId: 'User 1', event: 'Order Completed', timestamp: '2025-05-14T07:30:00Z', properties: { total: 12 }, ...over });
