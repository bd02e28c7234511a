// Segment's own answers (tests/conformance, see its README) replayed through the npm package's
// functions. NUDGE_CONFORMANCE_DIR may name a folder of more case files of the same names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { plan, transform, matchesSubscription } from '../index.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const own = path.join(here, '../../tests/conformance');
const extra = process.env.NUDGE_CONFORMANCE_DIR;

const read = (file) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

/** The repository's cases of one kind, then those of NUDGE_CONFORMANCE_DIR if it has the file. */
function cases(file) {
  const list = read(path.join(own, file));
  assert.ok(list.length > 0, `${file} has cases`);
  if (extra && existsSync(path.join(extra, file))) list.push(...read(path.join(extra, file)));
  return list;
}

const failures = (list) => assert.deepEqual(list, [], `${list.length} failing cases:\n${list.join('\n')}`);

/** Replays mapping-kit-format cases ({id, mapping, payload, expect}) through transform. */
function mappingCases(kind, file) {
  const bad = [];
  const all = cases(file);
  for (const c of all) {
    let got;
    let threw = null;
    try {
      got = transform(c.mapping, c.payload);
    } catch (e) {
      threw = e;
    }
    if ('error' in c.expect) {
      if (!threw) bad.push(`${c.id}: expected an error, got ${JSON.stringify(got)}`);
    } else if (threw) {
      bad.push(`${c.id}: threw ${threw.message}`);
    } else {
      const want = c.expect.undefined ? undefined : c.expect.output;
      try {
        assert.deepEqual(got, want);
      } catch {
        bad.push(`${c.id}: got ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
      }
    }
  }
  console.log(`${kind}: ${all.length - bad.length}/${all.length} cases pass`);
  failures(bad);
}

test('mapping-kit cases', () => mappingCases('mapping-kit', 'mapping-kit.jsonl'));

test('@liquid cases', () => mappingCases('liquid', 'liquid.jsonl'));

test('subscription cases', () => {
  const all = cases('subscriptions.jsonl');
  const bad = all
    .filter((c) => matchesSubscription(c.subscription, c.event) !== c.expect.matches)
    .map((c) => `${c.id}: ${c.subscription}`);
  console.log(`subscriptions: ${all.length - bad.length}/${all.length} cases pass`);
  failures(bad);
});

const request = (r) => ({ method: r.method, url: r.url, apikey: r.headers.apikey, p: r.headers.p, body: r.body });
const result = (r) => ({
  index: r.index,
  status: r.status,
  fields: [...new Set(r.fields ?? (r.errors ?? []).map((e) => e.field))].sort(),
});

test('nudge plan cases', () => {
  const all = cases('nudge-plans.jsonl');
  const bad = [];
  for (const c of all) {
    const got = plan(c.events, c.config);
    try {
      assert.deepEqual(got.requests.map(request), c.expect.requests.map(request));
      assert.deepEqual(got.results.map(result), c.expect.results.map(result));
    } catch (e) {
      bad.push(`${c.id}: ${e.message.split('\n').slice(0, 12).join('\n')}`);
    }
  }
  console.log(`nudge-plans: ${all.length - bad.length}/${all.length} cases pass`);
  failures(bad);
});
