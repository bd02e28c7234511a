// The wasm module survives every input: each hostile input to each exported function gets an
// answer or a plain Error (never a wasm trap such as `RuntimeError: unreachable`), and the next
// call still works. A trap leaves the module's stack and allocator where they were, so one
// would show up here as every later case failing too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as api from '../index.mjs';

const config = { settings: { apikey: 'k' } };
const track = {
  type: 'track',
  userId: 'User 1',
  event: 'Order Completed',
  timestamp: '2025-05-14T07:30:00+05:30',
  properties: { total: 12 },
};

/** A call that must keep working after anything: the module is alive. */
function alive(after) {
  const p = api.plan([track], config);
  assert.equal(p.requests[0].body[0].name, 'order_completed', `the module is dead after ${after}`);
  assert.equal(api.matchesSubscription('(type = "track")', track), true, `after ${after}`);
  assert.equal(api.transform({ a: { '@path': '$.userId' } }, track).a, 'User 1', `after ${after}`);
}

/** Runs `call`; a thrown value must be an Error of the API, never a trap. Returns the outcome. */
function survive(name, call) {
  let outcome;
  try {
    outcome = { value: call() };
  } catch (error) {
    assert.ok(!(error instanceof WebAssembly.RuntimeError), `${name}: the wasm module trapped: ${error}`);
    assert.ok(error instanceof Error, `${name}: threw a non-Error ${error}`);
    outcome = { error };
  }
  alive(name);
  return outcome;
}

/** `levels` objects (or arrays) around `inner`, built without recursion. */
function nest(levels, inner, wrap = (v) => ({ a: v })) {
  let v = inner;
  for (let i = 0; i < levels; i++) v = wrap(v);
  return v;
}

/** Levels of objects and arrays (for small values). */
const depth = (v) =>
  v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depth)) : 0;

const batching = (batch_size) => ({
  settings: { apikey: 'k' },
  mappings: [{ action: 'trackEvent', enable_batching: true, batch_size }],
});

test('absurd batch sizes are configuration errors on wasm32 too', () => {
  for (const size of [4294967296, 2 ** 53, 1e300, 10001, 0, -1, 0.5]) {
    const { error } = survive(`batch_size ${size}`, () => api.plan([track, track], batching(size)));
    assert.equal(error?.errors?.[0]?.path, '/mappings/0/batch_size', `batch_size ${size}`);
    const v = survive(`validateConfig batch_size ${size}`, () => api.validateConfig(batching(size))).value;
    assert.equal(v.valid, false);
  }
  const p = survive('batch_size 10000', () => api.plan([track, track], batching(10000))).value;
  assert.deepEqual(p.requests[0].events, [0, 1]);
  const big = survive('batch_size as a BigInt', () => api.plan([track], batching(4294967296n)));
  assert.equal(big.error?.errors?.[0]?.path, '/mappings/0/batch_size');
});

test('deep FQL is a positioned error, not a stack overrun', () => {
  const deep = (n) => `${'('.repeat(n)}type = "track"${')'.repeat(n)}`;
  assert.equal(survive('64 parentheses', () => api.matchesSubscription(deep(64), track)).value, true);
  for (const [name, fql] of [
    ['5,000 nested parentheses', deep(5000)],
    ['100,000 unclosed parentheses', '('.repeat(100000)],
    ['5,000 negations', '!('.repeat(5000)],
    ['65 parentheses', deep(65)],
  ]) {
    for (const [fn, call] of [
      ['matchesSubscription', () => api.matchesSubscription(fql, track)],
      ['parseSubscription', () => api.parseSubscription(fql)],
      ['plan', () => api.plan([track], { ...config, mappings: [{ action: 'trackEvent', subscription: fql }] })],
    ]) {
      const { error } = survive(`${fn}: ${name}`, call);
      assert.ok(error, `${fn}: ${name} is refused`);
    }
  }
  const { error } = survive('65 parentheses', () => api.parseSubscription(deep(65)));
  assert.equal(error.position, 65);
  assert.equal(error.code, 'too_deep');
  assert.match(error.message, /nested more than 64 deep/);
});

test('deep mappings and deep payloads', () => {
  // The deepest mapping allowed, running on the deepest payload JSON allows, through the
  // directives that recurse over values.
  const payload = nest(120, { leaf: null, s: 'x' });
  const directives = [
    { '@path': '$.' },
    { '@flatten': { value: { '@path': '$.' }, separator: '.' } },
    { '@json': { mode: 'encode', value: { '@path': '$.' } } },
    { '@json': { mode: 'decode', value: { '@json': { mode: 'encode', value: { '@path': '$.' } } } } },
    { '@excludeWhenNull': { '@path': '$.' } },
    { '@merge': { direction: 'right', objects: [{ '@path': '$.' }, { '@path': '$.a' }] } },
    { '@transform': { apply: { p: { '@path': '$.' } }, mapping: { q: { '@path': '$.p' } } } },
    { '@template': '{{a.a.a.a.a.a.a.a.a.a.a.a}}' },
    { '@arrayPath': ['$.', { x: { '@path': '$.' } }] },
  ];
  for (const directive of directives) {
    const name = Object.keys(directive)[0];
    const mapping = nest(64 - depth({ f: directive }), { f: directive });
    assert.equal(depth(mapping), 64);
    const { value, error } = survive(`64-level mapping with ${name}`, () => api.transform(mapping, payload));
    assert.equal(error, undefined, `${name}: ${error}`);
    assert.ok(value, name);
    const deeper = nest(65 - depth({ f: directive }), { f: directive });
    const refused = survive(`65-level mapping with ${name}`, () => api.transform(deeper, payload)).error;
    assert.match(refused?.message ?? '', /nested more than 64 levels deep/, name);
    assert.equal(refused.path.split('/').length, 65, name);
    survive(`validateConfig with a 65-level ${name}`, () =>
      api.validateConfig({ ...config, mappings: [{ action: 'trackEvent', mapping: deeper }] }),
    );
  }
  // Documents the core holds as trees (mappings, configs) are refused past 128 levels; events
  // and payloads are read in place, so any depth JSON.stringify can follow passes through
  // intact, as it does in Segment; past that, JSON.stringify itself refuses.
  for (const levels of [200, 10000, 1000000]) {
    const deep = nest(levels, 1, (v) => [v]);
    const refused = [
      ['transform mapping', () => api.transform(deep, {})],
      ['plan config', () => api.plan([], { ...config, extra: deep })],
      ['validateConfig', () => api.validateConfig(deep)],
    ];
    const read = [
      ['transform payload', () => api.transform({ a: { '@path': '$.d' } }, { d: deep }).a],
      ['plan event', () => api.plan([{ ...track, properties: { deep } }], config).requests[0].body[0].props.deep],
      ['validateEvent', () => api.validateEvent({ ...track, d: deep }, config).valid],
      ['matchesSubscription', () => api.matchesSubscription('type = "track"', { ...track, d: deep })],
      ['plan events', () => api.plan(deep, config).results[0].status],
    ];
    const stringifiable = levels === 200;
    for (const [fn, call] of stringifiable ? refused : [...refused, ...read]) {
      assert.ok(survive(`${fn}, ${levels} levels`, call).error, `${fn}, ${levels} levels is refused`);
    }
    if (!stringifiable) continue;
    const [payload, event, valid, matches, notAnEvent] = read.map(([fn, call]) => {
      const { value, error } = survive(`${fn}, ${levels} levels`, call);
      assert.equal(error, undefined, `${fn}, ${levels} levels: ${error}`);
      return value;
    });
    assert.deepEqual(payload, deep);
    assert.deepEqual(event, deep);
    assert.equal(valid, true);
    assert.equal(matches, true);
    assert.equal(notAnEvent, 'invalid');
  }
  // JSON decoded inside a mapping is bounded by the same parser.
  const decoded = (levels) => api.transform({ d: { '@json': { mode: 'decode', value: { '@path': '$.s' } } } }, {
    s: `${'['.repeat(levels)}${']'.repeat(levels)}`,
  }).d;
  assert.equal(typeof survive('@json decode of 100 levels', () => decoded(100)).value, 'object');
  assert.equal(typeof survive('@json decode of 100,000 levels', () => decoded(100000)).value, 'string');
});

test('numbers at and beyond the edges', () => {
  const payload = {
    max: Number.MAX_VALUE,
    min: Number.MIN_VALUE,
    negZero: -0,
    unsafe: 2 ** 64,
    nan: NaN,
    inf: -Infinity,
    big: 2n ** 64n,
    huge: 10n ** 300n,
  };
  const out = survive('edge numbers', () => api.transform({ a: { '@path': '$.' } }, payload)).value.a;
  assert.deepEqual(out, {
    max: Number.MAX_VALUE,
    min: Number.MIN_VALUE,
    negZero: 0,
    unsafe: 2 ** 64,
    nan: null,
    inf: null,
    big: 2 ** 64,
    huge: 1e300,
  });
  const tooBig = survive('a BigInt beyond a double', () => api.transform({}, { n: 10n ** 400n })).error;
  assert.match(tooBig.message, /payload cannot be turned into JSON: a BigInt of 401 digits is beyond the range/);
  for (const timestamp of [8.64e15, 8.64e15 + 1, -8.64e15 - 1, Number.MAX_VALUE, 1e21, '9'.repeat(400), '+275760-09-13T00:00:00.001Z', '-271821-04-20T00:00:00Z', 'Sat, 13 Sep 275760 00:00:00 GMT', '2025-05-14T07:30:00+99:99']) {
    const p = survive(`timestamp ${timestamp}`, () => api.plan([{ ...track, timestamp }], config)).value;
    assert.ok(['sent', 'invalid'].includes(p.results[0].status), String(timestamp));
  }
  for (const fql of ['properties.total > 1e400', 'properties.total < -1e400', `properties.total = ${'9'.repeat(500)}`, 'properties.total >= 0x1p3']) {
    survive(`FQL ${fql}`, () => api.matchesSubscription(fql, track));
  }
});

test('strings that look like the BigInt fallback stay strings', () => {
  const marker = '\uffffbigint:123';
  const payload = { n: 5n, u: marker, [marker]: marker, list: [marker, `"${marker}"`, 7n], q: `\\"${marker}` };
  const out = survive('marker strings beside a BigInt', () => api.transform({ all: { '@path': '$.' } }, payload)).value.all;
  assert.deepEqual(out, { n: 5, u: marker, [marker]: marker, list: [marker, `"${marker}"`, 7], q: `\\"${marker}` });
  const unclosed = survive('an unclosed marker', () => api.transform({ a: { '@path': '$.s' } }, { s: '\uffffbigint:', b: 1n })).value;
  assert.deepEqual(unclosed, { a: '\uffffbigint:' });
  const sub = survive('marker in a subscription event', () => api.matchesSubscription(`userId = "${marker}"`, { userId: marker, n: 1n })).value;
  assert.equal(sub, true);
  const plan = survive('marker in plan', () => api.plan([{ ...track, userId: marker, properties: { n: 1n } }], config)).value;
  assert.equal(plan.requests[0].body[0].ext_id, marker);
});

test('values JSON cannot hold, and arguments of the wrong type', () => {
  const cycle = { type: 'track' };
  cycle.self = cycle;
  const cycleWithBigInt = { n: 1n };
  cycleWithBigInt.self = cycleWithBigInt;
  const throwing = { toJSON() { throw new Error('no JSON for you'); } };
  const cases = [
    ['a cycle', () => api.plan(cycle, config)],
    ['a cycle with a BigInt', () => api.transform({}, cycleWithBigInt)],
    ['a throwing toJSON', () => api.validateEvent(throwing, config)],
    ['a function', () => api.plan(() => 1, config)],
    ['a symbol', () => api.transform({}, Symbol('x'))],
    ['undefined everywhere', () => api.plan(undefined, undefined)],
    ['null config', () => api.validateConfig(null)],
    ['a number as FQL', () => api.matchesSubscription(123, track)],
    ['a number to parse', () => api.parseSubscription(4294967296)],
    ['undefined FQL', () => api.parseSubscription(undefined)],
    ['an object as FQL', () => api.parseSubscription({ toString: () => 'type = "x"' })],
    ['lone surrogates', () => api.transform({ [`\ud800`]: { '@template': '\udfff{{a}}' } }, { a: '\ud800' })],
    ['lone surrogate FQL', () => api.matchesSubscription('userId = "\ud800"', { userId: '\ud800' })],
    ['a Map and a Set', () => api.plan([new Map([[1, 2]]), new Set([1])], config)],
    ['a typed array', () => api.transform({ a: { '@path': '$.' } }, new Uint8Array(1000))],
    ['a proxy that throws', () => api.plan(new Proxy({}, { ownKeys() { throw new Error('trap'); } }), config)],
  ];
  for (const [name, call] of cases) survive(name, call);
});

test('inputs that multiply in size are refused, not run out of memory', () => {
  // `$\`` repeats the text before each match: quadratic in the text, and the second pattern
  // squares it again.
  const text = 'a'.repeat(50000);
  const replace = { '@replace': { pattern: 'a', replacement: '$`$`$`$`$`', value: { '@path': '$.t' }, pattern2: 'a', replacement2: "$'$'$'$'$'" } };
  const { error } = survive('@replace with $` on 50,000 matches', () => api.transform({ r: replace }, { t: text }));
  assert.match(error?.message ?? '', /longer than/);
  // Each @transform level copies the payload twice: 2^30 copies of it.
  let doubling = { '@path': '$.' };
  for (let i = 0; i < 30; i++) doubling = { '@transform': { apply: { a: { '@path': '$.' }, b: { '@path': '$.' } }, mapping: doubling } };
  const copies = survive('30 doubling @transform levels', () => api.transform({ d: doubling }, { s: 'x'.repeat(1000) }));
  assert.match(copies.error?.message ?? '', /longer than/);
  // Every leaf's key repeats the keys of all the levels above it.
  const leaves = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i]));
  const deep = nest(100, leaves, (v) => ({ ['k'.repeat(300)]: v }));
  const flat = { '@flatten': { value: { '@path': '$.v' }, separator: '.' } };
  const keys = survive('@flatten of long keys 100 levels deep', () => api.transform({ f: flat }, { v: deep }));
  assert.match(keys.error?.message ?? '', /longer than/);
  // Many placeholders for one long value.
  const template = { t: { '@template': '{{s}}'.repeat(1000) } };
  const repeated = survive('@template repeating a long value', () => api.transform(template, { s: 'x'.repeat(100000) }));
  assert.match(repeated.error?.message ?? '', /longer than/);
  // In a plan the budget is the whole call's: once it is spent, the events are refused.
  const name = { '@replace': { ...replace['@replace'], value: { '@path': '$.properties.t' } } };
  const plan = survive('a plan of quadratic replacements', () =>
    api.plan(Array.from({ length: 50 }, () => ({ ...track, properties: { t: 'a'.repeat(5000) } })), {
      ...config,
      mappings: [{ action: 'trackEvent', mapping: { name, ext_id: 'u', occurred_at: '2025-05-14' } }],
    }),
  ).value;
  assert.ok(plan.results.some((r) => r.status === 'invalid' && /longer than/.test(r.errors[0].message)));
});
