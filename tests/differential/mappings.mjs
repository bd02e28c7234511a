// Random mapping-kit mappings: every directive of @segment/actions-core 3.170.0 except `@liquid`
// (tests/liquid/ has its own generator), nested in each other, inside raw objects and arrays,
// with edge option values that Segment's validation lets through and some it rejects.

import { WORDS, scalar, jsonValue } from './events.mjs';

/** Paths into an event, in every spelling `get` accepts (and some that find nothing). */
export const PATHS = ['$.userId', 'userId', '$.event', '$.name', '$.type', '$.timestamp', '$.properties',
  '$.traits', '$.context', '$.properties.price', 'properties.total', '$.properties.products',
  '$.properties.products[0].sku', '$.properties.products.0.name', 'properties.products[1]', '$.properties.tags',
  '$.properties.tags[1]', '$.properties.empty', '$.properties.nil', '$.properties.flag', '$.properties.zero',
  '$.properties.json', '$.properties.nested', '$.properties.nested.a', '$.properties.nested.a.c[1].d',
  '$.properties.name', '$.properties.name.length', '$.properties.tags.length', '$.traits.name', 'traits.email',
  '$.traits.address.city', "$.traits['address'].zip", '$.traits["plan"]', '$.context.timezone',
  '$.context.page.url', '$.missing', '$.missing.deeper', '$.properties.x y', "$.properties['x y']", '$.properties.10',
  '$.properties.2', '$.properties.É', '$.', '', '.', '$', '$.userId.length', '$.anonymousId', '$.integrations',
  '$.properties.products[9]', '$$.userId', '$.properties..price', '$.properties.products[0]["sku"]'];

/** Paths inside an item of an array (for `@arrayPath` item shapes). */
const ITEM_PATHS = ['$.sku', 'sku', '$.name', '$.qty', '$.missing', '$.0', '$', '', '$.length'];

const TEMPLATES = ['{{userId}}', 'Viewed {{name}}', '{{properties.price}} {{properties.total}}', '{{{event}}}',
  '{{ traits.name }}', '{{properties.nested.a}} end', '{{properties.tags}}', '{{properties.products}}',
  '{{missing}}', '{{}}', '{{a}b}}', 'plain', '', 'ÉMILIE {{traits.address.city}} 🎉', '{{properties.nil}}|{{properties.zero}}',
  '{{properties.flag}}', '{{$.userId}}', '{{properties.products[0].sku}}', '{{{{userId}}}}', '{{properties.json}}',
  '{{properties.empty}}x', '{{context.page.url}}', '{{properties.price.length}}', '{ {userId} }', '{{properties.nested}}'];

const PATTERNS = [' ', 'a', 'A', 'e', '.', '*', '-', '$', '\\', '(', '[', '^', 'é', '🎉', '  ', 'User', 'order ', '1', 'x y z w vv'];
const REPLACEMENTS = ['', '_', '-', 'X', '$&', '$1', "$'", '$`', '$$', 'é', '🎉', ' ', '0123456789'];

/** A mapping: an object of fields (sometimes one directive at the root). */
export function mapping(r, options = {}) {
  if (!options.fieldsOnly && r.chance(0.04)) return directive(r, 0);
  const out = {};
  for (const i of r.between(1, 4, (i) => i)) out[`f${i}`] = value(r, 0);
  if (r.chance(0.05)) Object.assign(out, invalid(r));
  return out;
}

/** A mapping value: raw JSON or a directive, to `depth` levels of nesting. */
export function value(r, depth) {
  if (depth > 3) return r.chance(0.5) ? scalar(r) : { '@path': r.pick(PATHS) };
  return r.weighted([
    [10, () => directive(r, depth)],
    [2, () => scalar(r)],
    [1, () => rawObject(r, depth)],
    [1, () => r.between(0, 3, () => value(r, depth + 1))],
    [0.3, () => jsonValue(r, 1)],
  ]);
}

function rawObject(r, depth) {
  const out = {};
  for (const key of r.some(3, () => r.pick(['a', 'b', 'c', 'd', 'nested', '10', '2', 'x y']))) out[key] = value(r, depth + 1);
  return out;
}

/** A value where Segment's validation wants a string or a directive. */
function stringOrDirective(r, depth, strings) {
  return r.chance(0.6) ? r.pick(strings) : directive(r, depth + 1);
}

/** One directive. */
export function directive(r, depth) {
  const d = depth + 1;
  const node = r.weighted([
    [6, () => ({ '@path': r.chance(0.92) ? r.pick(PATHS) : { '@template': r.pick(['$.{{type}}', 'properties.{{event}}', '$.userId']) } })],
    [3, () => ({ '@template': r.chance(0.93) ? r.pick(TEMPLATES) : directive(r, d) })],
    [2, () => ({ '@literal': value(r, d) })],
    [3, () => ({ '@if': ifOptions(r, d) })],
    [2, () => ({ '@arrayPath': arrayPath(r, d) })],
    [2, () => ({ '@case': caseOptions(r, d) })],
    [2, () => ({ '@replace': replaceOptions(r, d) })],
    [2, () => ({ '@json': jsonOptions(r, d) })],
    [2, () => ({ '@flatten': flattenOptions(r, d) })],
    [2, () => ({ '@merge': mergeOptions(r, d) })],
    [2, () => ({ '@transform': transformOptions(r, d) })],
    [2, () => ({ '@excludeWhenNull': value(r, d) })],
  ]);
  if (r.chance(0.02)) node._metadata = { note: 'x' };
  return node;
}

function ifOptions(r, d) {
  const o = {};
  const test = () => r.weighted([[8, () => directive(r, d)], [1, () => scalar(r)]]);
  r.weighted([[5, () => (o.exists = test())], [4, () => (o.blank = test())], [1, () => { o.exists = test(); o.blank = test(); }], [0.3, () => {}]]);
  if (r.chance(0.8)) o.then = value(r, d);
  if (r.chance(0.6)) o.else = value(r, d);
  return o;
}

function arrayPath(r, d) {
  const root = r.chance(0.8)
    ? r.pick(['$.properties.products', '$.properties.tags', '$.traits', '$.properties.nested', '$.missing', 'properties.products', '$.userId', '$.properties.nil'])
    : directive(r, d);
  const shape = r.weighted([
    [5, () => ({ id: { '@path': r.pick(ITEM_PATHS) }, label: { '@path': r.pick(ITEM_PATHS) }, fixed: 'x' })],
    [2, () => ({ v: value(r, d) })],
    [1, () => ({})],
    [1, () => directive(r, d)],
    [1, () => scalar(r)],
  ]);
  return r.chance(0.25) ? [root] : [root, shape];
}

function caseOptions(r, d) {
  const o = {};
  if (r.chance(0.93)) o.operator = r.weighted([[9, () => r.pick(['lower', 'upper'])], [1, () => r.pick(['Lower', 'title', ''])]]);
  if (r.chance(0.95)) o.value = stringOrDirective(r, d, WORDS);
  return o;
}

function replaceOptions(r, d) {
  const o = { pattern: r.pick(PATTERNS.filter((p) => p.length <= 10)) };
  if (r.chance(0.6)) o.replacement = r.pick(REPLACEMENTS);
  o.value = stringOrDirective(r, d, WORDS);
  if (r.chance(0.3)) o.ignorecase = r.pick([true, false]);
  if (r.chance(0.3)) o.global = r.pick([true, false]);
  if (r.chance(0.25)) {
    o.pattern2 = r.weighted([[8, () => r.pick(PATTERNS)], [1, () => r.pick(['', 5, 'elevenchars'])]]);
    if (r.chance(0.7)) o.replacement2 = r.weighted([[8, () => r.pick(REPLACEMENTS)], [1, () => r.pick([7, null, 'elevenchars!'])]]);
  }
  return o;
}

function jsonOptions(r, d) {
  const o = {};
  if (r.chance(0.97)) o.mode = r.weighted([[10, () => r.pick(['encode', 'decode'])], [1, () => r.pick(['ENCODE', 'Decode'])]]);
  o.value = r.weighted([[4, () => ({ '@path': '$.properties.json' })], [6, () => directive(r, d)], [2, () => value(r, d)], [0.5, () => r.pick([0, '', false, null])]]);
  return o;
}

function flattenOptions(r, d) {
  const o = { value: r.chance(0.8) ? { '@path': r.pick(['$.properties', '$.traits', '$.properties.nested', '$.properties.products', '$.properties.tags', '$.userId', '$.missing', '$.context']) } : value(r, d) };
  if (r.chance(0.95)) o.separator = r.pick(['.', '_', '/', '', '::', 'é', ' ']);
  if (r.chance(0.5)) o.omitArrays = r.pick([true, false, 'yes', 0, 1, null]);
  return o;
}

function mergeOptions(r, d) {
  const objects = r.between(0, 3, () =>
    r.weighted([
      [5, () => ({ '@path': r.pick(['$.properties', '$.traits', '$.properties.nested', '$.context', '$.missing', '$.properties.tags', '$.userId', '$.properties.products']) })],
      [3, () => rawObject(r, d)],
      [1, () => directive(r, d)],
    ]),
  );
  const o = { objects };
  if (r.chance(0.92)) o.direction = r.weighted([[10, () => r.pick(['left', 'right'])], [1, () => r.pick(['LEFT', 'Right'])]]);
  return o;
}

function transformOptions(r, d) {
  const apply = r.chance(0.8)
    ? { x: { '@path': r.pick(['$.properties', '$.traits', '$.userId', '$.properties.products']) }, y: value(r, d) }
    : directive(r, d);
  const mapping = r.chance(0.8)
    ? { out: { '@path': r.pick(['$.x', '$.x.price', '$.y', 'x.name', '$.x.products[0].sku', '$']) }, who: value(r, d) }
    : directive(r, d);
  return { apply, mapping };
}

/** Fields Segment's validation rejects (the whole mapping is then an error on both sides). */
function invalid(r) {
  return r.pick([
    { bad: { '@path': '$.userId', other: 1 } },
    { bad: { '@path': '$.a', '@template': 'b' } },
    { bad: { '@nope': 1 } },
    { bad: { '@path': 5 } },
    { bad: { '@template': ['x'] } },
    { bad: { '@replace': { pattern: 'elevenchars', value: 'x' } } },
    { bad: { '@replace': { pattern: '', value: 'x' } } },
    { bad: { '@replace': { value: 'x' } } },
    { bad: { '@case': { operator: 'lower', value: 1 } } },
    { bad: { '@case': 'lower' } },
    { bad: { '@merge': { objects: 'x', direction: 'left' } } },
    { bad: { '@merge': { objects: [1], direction: 'left' } } },
    { bad: { '@merge': { objects: [], direction: 'up' } } },
    { bad: { '@arrayPath': '$.x' } },
    { bad: { '@arrayPath': [1] } },
    { bad: { '@json': { mode: 'other', value: 'x' } } },
    { bad: { '@json': { value: 'x' } } },
    { bad: { '@flatten': { separator: 1, value: 'x' } } },
    { bad: { '@flatten': { separator: '.' } } },
    { bad: { '@transform': { apply: 'x', mapping: {} } } },
    { bad: { '@if': 'x' } },
    { bad: { '@if': { exists: { '@path': 1 } } } },
    { bad: { nested: { '@literal': { '@path': 7 } } } },
  ]);
}
