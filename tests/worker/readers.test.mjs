// The Worker reads odd JSON as the CLI and the npm package do: the shared cases of
// tests/readers/odd-inputs.json (lone surrogates, numbers beyond a double, duplicate keys, deep
// nesting). Each case's mappings go in as MAPPINGS text and its events as a request body's
// text, in direct mode; what Nudge receives is the plan the CLI prints (tests/cli.rs) and the
// npm package makes (js/test/readers.test.mjs). Build first: bash scripts/build-worker.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startStandIn } from './nudge-stand-in.mjs';
import { basic, freePort, root, startWorker, stopWorker } from './harness.mjs';

const WRITE_KEY = 'wk-readers-6a1f';
const fixture = JSON.parse(readFileSync(`${root}/tests/readers/odd-inputs.json`, 'utf8'));
let nudge;

before(async () => {
  nudge = await startStandIn({ port: await freePort(), quiet: true });
});

after(async () => {
  await nudge?.close();
});

/** JSON text with its members in a stable order, for comparing bodies as multisets. */
const sorted = (values) => values.map((v) => JSON.stringify(v)).sort();

for (const c of fixture.cases) {
  test(c.name, async () => {
    const worker = await startWorker({ DELIVERY: 'direct', NUDGE_ENDPOINT: nudge.url, NUDGE_API_KEY: c.apikey, WRITE_KEYS: WRITE_KEY, MAPPINGS: c.mappings });
    try {
      if (c.expect.error !== undefined) {
        const health = await (await fetch(`${worker.url}/health`, { headers: { authorization: basic(WRITE_KEY) } })).json();
        assert.equal(health.ok, false);
        assert.ok(health.errors.some((e) => e.message.includes(c.expect.error)), JSON.stringify(health.errors));
        return;
      }
      nudge.reset();
      // The events' own text, odd as it is, inside a batch.
      const body = c.events.trimStart().startsWith('[') ? `{"batch":${c.events}}` : `{"batch":[${c.events}]}`;
      const res = await fetch(`${worker.url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic(WRITE_KEY) }, body });
      const answer = await res.json();
      assert.deepEqual(
        answer.results.map((r) => [r.index, r.mapping, r.status]),
        c.expect.plan.results.map((r) => [r.index, r.mapping, r.status]),
      );
      // Nudge gets what the plan says, body for body (JSON.parse keeps lone surrogates as the
      // fixture's JSON.parse does); requests go out concurrently, so as a multiset.
      const received = nudge.requests.filter((r) => !r.path.startsWith('/__control'));
      assert.deepEqual(sorted(received.map((r) => JSON.parse(r.body))), sorted(c.expect.plan.requests.map((r) => r.body)));
      assert.deepEqual(
        received.map((r) => `${r.method} ${nudge.url}${r.path}`).sort(),
        c.expect.plan.requests.map((r) => `${r.method} ${r.url}`.replace(/^(\w+) https:\/\/[^/]+\/api\/integration\/segment/, `$1 ${nudge.url}`)).sort(),
      );
    } finally {
      await stopWorker(worker);
    }
  });
}
