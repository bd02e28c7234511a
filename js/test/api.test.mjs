// The npm package's API: loading, errors, values crossing the JS ↔ wasm boundary, repetition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as esm from '../index.mjs';

const require = createRequire(import.meta.url);
const cjs = require('../index.cjs');
const config = { settings: { apikey: 'test-key' } };
const track = (over = {}) => ({
  type: 'track',
  userId: 'User 1',
  event: 'Order Completed',
  timestamp: '2025-05-14T07:30:00+05:30',
  properties: { total: 12 },
  ...over,
});

test('require and import both give ready functions', () => {
  for (const api of [cjs, esm]) {
    for (const name of ['plan', 'validateEvent', 'validateConfig', 'transform', 'parseSubscription', 'matchesSubscription']) {
      assert.equal(typeof api[name], 'function', name);
    }
  }
  assert.equal(cjs.plan, esm.plan);
  // From the repository root, as the README says.
  assert.equal(typeof require('../../js').plan, 'function');
  assert.equal(typeof require('nudge-edge').plan, 'function');
});

test('plan returns requests and per-event results', () => {
  const p = esm.plan([track(), { type: 'track' }, { type: 'page' }], config);
  assert.deepEqual(p.requests[0].body, [
    { name: 'order_completed', ext_id: 'user_1', occurred_at: '2025-05-14T02:00:00.000Z', props: { total: 12 } },
  ]);
  assert.deepEqual(p.requests[0].headers, { apikey: 'test-key', p: '17', 'content-type': 'application/json' });
  assert.deepEqual(p.requests[0].events, [0]);
  assert.deepEqual(p.results.map((r) => r.status), ['sent', 'invalid', 'unmatched']);
  assert.deepEqual(new Set(p.results[1].errors.map((e) => e.field)), new Set(['name', 'ext_id', 'occurred_at']));
  assert.equal(p.results[1].errors.find((e) => e.field === 'name').message, 'Event Name (name) is required');
  assert.equal(esm.plan(track(), config).requests.length, 1, 'one event without an array');
});

test('validateEvent answers for the mappings the event matches', () => {
  assert.deepEqual(esm.validateEvent(track(), config), {
    valid: true,
    results: [{ index: 0, mapping: 'Track Event', action: 'trackEvent', status: 'sent' }],
  });
  const bad = esm.validateEvent({ type: 'identify', traits: { email: 'a@b.co' } }, config);
  assert.equal(bad.valid, false);
  assert.equal(bad.results[0].errors[0].field, 'ext_id');
  assert.deepEqual(esm.validateEvent({ type: 'page' }, config), { valid: true, results: [] });
});

test('validateConfig lists every problem; plan throws them', () => {
  const cfg = { settings: {}, mappings: [{ action: 'nope' }, { action: 'trackEvent', subscription: 'type =' }] };
  const v = esm.validateConfig(cfg);
  assert.equal(v.valid, false);
  assert.deepEqual(v.errors.map((e) => e.path), ['/settings/apikey', '/mappings/0/action', '/mappings/1/subscription']);
  assert.deepEqual(esm.validateConfig(config), { valid: true, errors: [] });
  assert.throws(() => esm.plan([], cfg), (e) => e instanceof Error && e.errors.length === 3 && /invalid configuration/.test(e.message));
  const secret = { settings: { apikey: 'sup3r-secret', endpoint: 'ftp://x' } };
  assert.throws(() => esm.plan([], secret), (e) => !e.message.includes('sup3r-secret'));
});

test('transform: values, undefined, and errors with a path', () => {
  assert.deepEqual(esm.transform({ a: { '@path': '$.x' }, b: { '@path': '$.missing' } }, { x: 1 }), { a: 1 });
  assert.equal(esm.transform({ '@path': '$.missing' }, {}), undefined);
  assert.throws(
    () => esm.transform({ f3: { '@case': { operator: 'lower', value: { a: 1 } } } }, {}),
    (e) => e instanceof Error && e.path === '/f3/@case/value' && /should be a string or a mapping directive/.test(e.message),
  );
});

test('subscriptions: AST in Segment shape, matching, errors with a position', () => {
  assert.deepEqual(esm.parseSubscription('type = "track"'), {
    type: 'group',
    operator: 'and',
    children: [{ type: 'event-type', operator: '=', value: 'track' }],
  });
  assert.equal(esm.matchesSubscription('properties.total > 10', track()), true);
  assert.equal(esm.matchesSubscription('properties.total > 100', track()), false);
  assert.throws(() => esm.parseSubscription('type = "track" and'), (e) => e.position === 19 && e.code === 'expected_condition' && /expected a condition/.test(e.message));
  assert.throws(() => esm.matchesSubscription('anonymousId = "a"', track()), (e) => e.position === 1 && e.code === 'unknown_field');
});

test('values cross the boundary intact', () => {
  const payload = {
    int: 42,
    neg: -0.5,
    big: 1e21,
    max: Number.MAX_SAFE_INTEGER,
    nil: null,
    undef: undefined,
    text: 'Zoë 🎉 日本\u0000\n"',
    nested: { arr: [1, null, 'x'] },
    big_int: 12345678901234567890n,
  };
  const out = esm.transform({ all: { '@path': '$.' } }, payload).all;
  assert.equal(out.int, 42);
  assert.equal(out.neg, -0.5);
  assert.equal(out.big, 1e21);
  assert.equal(out.max, Number.MAX_SAFE_INTEGER);
  assert.equal(out.nil, null);
  assert.equal('undef' in out, false, 'undefined members are dropped, as JSON does');
  assert.equal(out.text, payload.text);
  assert.deepEqual(out.nested, { arr: [1, null, 'x'] });
  assert.equal(out.big_int, 12345678901234567890, 'BigInts are accepted, with the precision of a JS number');
  assert.equal(esm.transform({ s: { '@template': '{{n}}' } }, { n: 9876543210987654321n }).s, String(Number(9876543210987654321n)));
  assert.equal(esm.matchesSubscription('userId = "5"', { userId: 5n }), false);
  // BigInts become numbers and nothing else changes: no text can pass for one.
  const marker = '\uffffbigint:123';
  assert.deepEqual(esm.transform({ a: { '@path': '$.u' } }, { u: marker, n: 1n }), { a: marker });
});

test('repeated calls share no state', () => {
  const first = JSON.stringify(esm.plan([track()], config));
  for (let i = 0; i < 200; i++) {
    assert.throws(() => esm.transform({ a: { '@nope': 1 } }, {}));
    esm.plan([track({ userId: `u${i}` })], { settings: { apikey: `k${i}` } });
  }
  assert.equal(JSON.stringify(esm.plan([track()], config)), first);
});
