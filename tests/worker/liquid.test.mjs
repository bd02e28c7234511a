// The @liquid conformance cases (tests/conformance/liquid.jsonl) through the built Worker in
// workerd: each case's mapping becomes the `props` of a trackEvent mapping subscribed to
// `event = "case-N"`, the case's payload travels in the event (an `@transform` hands it to
// the case's mapping unchanged), and `/v1/validate` gives the plan, where the mapped props are
// read back. A Worker takes at most 50 mappings, so the cases go 50 to a Worker start.
// Build first: bash scripts/build-worker.sh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { root, startWorker, stopWorker } from './harness.mjs';

const WRITE_KEY = 'wk-liquid-test';
const AUTHORIZATION = 'Basic ' + Buffer.from(`${WRITE_KEY}:`).toString('base64');
const GROUP = 50;
const cases = readFileSync(path.join(root, 'tests/conformance/liquid.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l));

const mappingFor = (c, i) => ({
  name: `case ${i}`,
  subscription: `event = "case-${i}"`,
  action: 'trackEvent',
  mapping: {
    name: { '@path': '$.event' },
    ext_id: { '@path': '$.userId' },
    occurred_at: '2024-01-01T00:00:00Z',
    props: { '@transform': { apply: { '@path': '$.properties.case' }, mapping: c.mapping } },
  },
});
const eventFor = (c, i) => ({ type: 'track', event: `case-${i}`, userId: 'u', properties: { case: c.payload } });

/** Runs one group; returns a failure message per case that disagrees with Segment. */
async function runGroup(group) {
  const failures = [];
  let pending = group.map((c, i) => ({ c, i }));
  // A mapping the Worker's configuration check rejects (as Segment's validation does) makes
  // the whole configuration fail: those cases are settled from /health, and the rest run in
  // a Worker without them.
  for (let attempt = 0; attempt < 2 && pending.length; attempt++) {
    const worker = await startWorker({
      NUDGE_API_KEY: 'k',
      WRITE_KEYS: WRITE_KEY,
      MAPPINGS: JSON.stringify(pending.map(({ c, i }) => mappingFor(c, i))),
    });
    try {
      // The configuration's problems are only told to a caller with a write key.
      const health = await (await fetch(`${worker.url}/health`, { headers: { authorization: AUTHORIZATION } })).json();
      if (!health.ok) {
        const rejected = new Set(health.errors.map((e) => Number(e.path.split('/')[2])));
        for (const k of rejected) {
          const { c } = pending[k];
          if (!('error' in c.expect)) failures.push(`${c.id}: configuration rejected: ${JSON.stringify(health.errors)}`);
        }
        pending = pending.filter((_, k) => !rejected.has(k));
        continue;
      }
      const res = await fetch(`${worker.url}/v1/validate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: AUTHORIZATION },
        body: JSON.stringify({ batch: pending.map(({ c, i }) => eventFor(c, i)) }),
      });
      const { plan } = await res.json();
      pending.forEach(({ c }, k) => {
        const result = plan.results[k];
        const request = plan.requests.find((r) => r.events.includes(k));
        if ('error' in c.expect) {
          const mappingError = result.status === 'invalid' && result.errors.some((e) => e.code === 'mapping');
          if (!mappingError) failures.push(`${c.id}: expected a mapping error, got ${JSON.stringify(result)}`);
          return;
        }
        const want = c.expect.undefined ? undefined : c.expect.output;
        const got = request?.body[request.events.indexOf(k)]?.props;
        try {
          assert.deepEqual(got, want);
        } catch {
          failures.push(`${c.id}: got ${JSON.stringify(got)} (${JSON.stringify(result)}) want ${JSON.stringify(want)}`);
        }
      });
      pending = [];
    } finally {
      await stopWorker(worker);
    }
  }
  return failures;
}

test('liquid.jsonl through the Worker', { timeout: 600_000 }, async () => {
  const failures = [];
  for (let start = 0; start < cases.length; start += GROUP) {
    failures.push(...(await runGroup(cases.slice(start, start + GROUP))));
  }
  console.log(`liquid through the Worker: ${cases.length - failures.length}/${cases.length} cases pass`);
  assert.deepEqual(failures, []);
});
