// Running the built Worker in workerd (`wrangler dev`) for a test: start on a given port with
// variables (and optionally a --persist-to directory), stop, and read its JSON log lines.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const basic = (key) => 'Basic ' + Buffer.from(`${key}:`).toString('base64');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts `wrangler dev`; resolves once /health answers, with { url, child, startupMs, output }. */
export async function startWorker({ port, inspectorPort, vars, persistTo }) {
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspectorPort), '--show-interactive-dev-session=false'];
  if (persistTo) args.push('--persist-to', persistTo);
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  const started = Date.now();
  // A process group of its own, so that stopping it stops its workerd too.
  const child = spawn(path.join(root, 'node_modules/.bin/wrangler'), args, {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
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
      return { url, child, startupMs: Date.now() - started, output: () => output };
    } catch {
      await sleep(250);
    }
  }
  await stop({ child });
  throw new Error(`wrangler dev did not answer within 60 s:\n${output}`);
}

/** Stops a Worker started by startWorker, and its workerd. */
export async function stop(worker) {
  if (!worker || worker.child.exitCode !== null) return;
  const exited = new Promise((resolve) => worker.child.once('exit', resolve));
  try {
    process.kill(-worker.child.pid, 'SIGTERM');
  } catch {
    worker.child.kill('SIGTERM');
  }
  await Promise.race([exited, sleep(5000)]);
}

/** The Worker's JSON log lines so far whose `msg` is `msg`. */
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
    .filter((l) => l && l.msg === msg);
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
