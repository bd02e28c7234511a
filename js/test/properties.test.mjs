// Property tests against the wasm build, through the npm package: the generators of
// tests/no_panic.rs ported to fast-check (plus BigInts and lone surrogates, which only JS can
// pass). No input makes a function trap: every call returns or throws an Error of the API, and
// the module still answers afterwards. PROPERTY_RUNS asks for more than the 512 default cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as api from '../index.mjs';

const numRuns = Number(process.env.PROPERTY_RUNS ?? 512);
const config = { settings: { apikey: 'k' } };
const track = { type: 'track', userId: 'u', event: 'e', timestamp: '2025-05-14T07:30:00Z', properties: { a: 1 } };

/** Calls `fn`; an Error of the API is an answer, a wasm trap or anything else fails. */
function answers(fn) {
  try {
    fn();
  } catch (error) {
    if (error instanceof WebAssembly.RuntimeError || !(error instanceof Error)) throw error;
  }
}

/** The module still works (a trap would leave it broken for every later call). */
function alive() {
  assert.equal(api.plan([track], config).requests.length, 1);
}

/** Runs a property without shrinking: after a trap every later call fails too. */
function check(property) {
  fc.assert(property, { numRuns, endOnFailure: true });
  alive();
}

const loneSurrogates = fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 3 });
const text = fc.oneof(
  fc.constantFrom('', '$.userId', '{{traits.name}}', '2025-05-14T07:30:00+05:30', 'lower', 'encode', 'decode', 'left'),
  fc.stringMatching(/^[a-zA-Z0-9 .$[\]{}"'*_-]{0,12}$/),
  fc.string({ unit: 'binary' }),
  loneSurrogates,
);
const leaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  text,
);
const key = fc.oneof(
  fc.constantFrom(
    '@path', '@template', '@literal', '@if', '@arrayPath', '@case', '@replace', '@merge', '@transform', '@flatten',
    '@json', '@excludeWhenNull', 'exists', 'blank', 'then', 'else', 'value', 'pattern', 'operator', 'objects',
    'direction', 'apply', 'mapping', 'separator', 'mode', 'userId', 'properties',
  ),
  fc.stringMatching(/^[a-z_]{1,6}$/),
);
const { json } = fc.letrec((tie) => ({
  json: fc.oneof({ maxDepth: 4 }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('json'), { maxLength: 3 }),
  object: fc.array(fc.tuple(key, tie('json')), { maxLength: 3 }).map((entries) => Object.fromEntries(entries)),
}));
const fql = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'type', 'event', 'userId', 'properties.a.b', 'traits.x', 'context.y', '=', '!=', '<=', '>', '"track"', "'x*'",
        '12', '-3.5', 'null', 'true', 'and', 'or', '(', ')', '!', 'contains', 'match', ',',
      ),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    ),
    { maxLength: 16 },
  )
  .map((pieces) => pieces.join(' '));

test('transform never traps', () => {
  check(
    fc.property(json, json, (mapping, payload) => {
      answers(() => api.transform(mapping, payload));
      answers(() => api.transform(mapping, { userId: 'u', properties: payload }));
    }),
  );
});

test('subscriptions never trap', () => {
  check(
    fc.property(fql, json, (subscription, event) => {
      answers(() => api.parseSubscription(subscription));
      answers(() => api.matchesSubscription(subscription, event));
    }),
  );
});

test('arbitrary text never traps the FQL parser', () => {
  check(fc.property(fc.oneof(fc.string({ unit: 'binary' }), loneSurrogates), (s) => answers(() => api.parseSubscription(s))));
});

test('plan and validateEvent never trap', () => {
  check(
    fc.property(fc.array(json, { maxLength: 4 }), json, fc.boolean(), fql, (events, mapping, batching, subscription) => {
      answers(() => api.plan(events, config));
      const typed = [...events, { ...track, properties: mapping }];
      const mappings = {
        settings: { apikey: 'k' },
        mappings: [
          { action: 'trackEvent', subscription: 'type = "track" or type = "page"', mapping, enable_batching: batching, batch_size: 2 },
          { action: 'identifyUser', mapping: { ext_id: { '@path': '$.userId' }, props: mapping } },
        ],
      };
      answers(() => api.plan(typed, mappings));
      answers(() => api.validateEvent(typed.at(-1), mappings));
      answers(() => api.plan(typed, { settings: { apikey: 'k' }, mappings: [{ action: 'trackEvent', subscription }] }));
    }),
  );
});

test('configuration checking never traps', () => {
  check(
    fc.property(json, (doc) => {
      answers(() => api.validateConfig(doc));
      answers(() => api.validateConfig({ settings: { apikey: 'k' }, mappings: [doc] }));
      answers(() => api.plan([], doc));
    }),
  );
});
