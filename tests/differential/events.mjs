// Segment-like events with the odd values real senders produce: empty strings, null, 0, false,
// nested arrays, unicode, numbers JavaScript prints in exponent form, dates in many forms. Keys
// and values come from small pools so that mappings and subscriptions often find what they ask
// for, and sometimes do not.

export const WORDS = ['Order Completed', 'Product Viewed', 'Signed Up', 'x', '', ' ', '  padded  ', 'MiXeD CaSe',
  'ÉMILIE Zola', 'Ünïcödé Üser', 'straße', '日本語', 'café ☕', '🎉', 'a🎉b', 'line1\nline2', 'tab\there',
  '<b>"quoted"</b> & \'apos\'', 'a-b-c?q=1&r=2', 'ΟΔΟΣ', 'İstanbul', 'e\u0301', 'null', 'true', 'false', '0', '42',
  '-3.5', '1e3', ' 12 ', 'NaN', '[object Object]', 'User One', 'user_1', 'USER 2', 'a.b', '{{x}}', '$.userId',
  'A', 'ab', 'abc', 'Hello World', 'hello world', 'x*', '*x', 'ǅ', 'ﬀ'];

export const NUMBERS = [0, 1, -1, 2, 3, 7, 10, 12, 0.5, -2.5, 19.99, 1.005, 100, 1e21, 1.2e-7, 123456789,
  9007199254740993, -0, 1709647629, 1715670000000, 1e-7, 5e-324, 1.7976931348623157e308, 123456789012345680000,
  0.1, 1e300, 2 ** 31, -(2 ** 31)];

export const DATES = ['2025-05-14T07:30:00Z', '2025-05-14T07:30:00.000Z', '2025-05-14T07:30:00+05:30',
  '2021-01-01T12:30:45.5-05:00', '2024-02-29', '2024-03-05 14:07:09', 'March 5, 2024', 'Tue, 05 Mar 2024 14:07:09 GMT',
  '1709647629', '1715670000000', '0', 'not a date', '2019-02-31', '12/25/2023', '2024-12-31T23:59:59+14:00',
  '+010000-01-01T00:00:00Z', '1969-07-20T20:17:40Z', '2025', '2025-13-01', '2025-05-14T25:00:00Z', '', ' ',
  '2025-05-14T07:30:00', '20250514', '2025/05/14', '1e3', '-1', '99999999999999'];

export const KEYS = ['a', 'b', 'c', 'name', 'email', 'phone', 'plan', 'sku', 'qty', 'price', 'total', 'tags', 'empty',
  'nil', 'flag', 'zero', 'nested', 'list', 'json', 'x y', 'É', '10', '2', '0', 'length', 'ok', 'first name', 'd', 'toString',
  'valueOf'];

/** A scalar from the pools (strings, numbers, dates, booleans, null). */
export function scalar(r) {
  return r.weighted([
    [4, () => r.pick(WORDS)],
    [3, () => r.pick(NUMBERS)],
    [1, () => r.pick(DATES)],
    [2, () => r.pick([true, false, null])],
    [1, () => r.int(2000) - 1000],
    [1, () => r.pick(JSON_TEXTS)],
  ]);
}

/** Strings holding JSON text (for `@json` decode), valid and not. */
export const JSON_TEXTS = ['{"a":1,"b":[1,2]}', '["x","y"]', '42', 'null', 'true', '"str"', 'not json', '', ' 1 ',
  '-0', '1.0', '1E5', '{"10":1,"2":2,"a":3}', '{"a":1,"a":2}', '[]', '{}', '{"__proto__":{"x":1}}', '[1,[2,[3]]]',
  '{"name":"n","nested":{"a":null}}', '1e21', '"\\u00e9"', '{"a":', '1e400', '[1e400]', '{"a":-1e400}'];

/** Any JSON value, nested to `depth` at most. */
export function jsonValue(r, depth = 0) {
  const k = r.int(10);
  if (depth > 2 || k < 6) return scalar(r);
  if (k < 8) return r.some(4, () => jsonValue(r, depth + 1));
  return object(r, depth + 1);
}

/** An object whose keys come from the pool (index-like keys included). */
export function object(r, depth = 0) {
  const out = {};
  for (const key of r.some(5, () => r.pick(KEYS))) out[key] = jsonValue(r, depth);
  return out;
}

const TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'];

/** Segment-like `properties`: the usual keys, each sometimes odd. */
export function properties(r) {
  const p = {};
  if (r.chance(0.7)) p.price = r.pick([19.99, 0, -1, 1e21, '19.99', null, 3, 1.5e-7]);
  if (r.chance(0.5)) p.total = r.pick([12, 0, -3, 10.5, '12', null, 1e21, true]);
  if (r.chance(0.6)) {
    p.products = r.pick([
      [{ sku: 'A-1', name: 'Shoe', qty: 2 }, { sku: 'B-2', name: 'Sock', qty: null }],
      [], ['x', 1, null], { sku: 'solo', name: 'Hat' }, [[1, [2]], []], [{ sku: '' }], 'not a list',
    ]);
  }
  if (r.chance(0.5)) p.tags = r.pick([['red', 'green'], [], ['a', ['b', ['c']]], 'red', [null, '', 0]]);
  if (r.chance(0.4)) p.empty = '';
  if (r.chance(0.4)) p.nil = null;
  if (r.chance(0.4)) p.flag = r.pick([true, false]);
  if (r.chance(0.4)) p.zero = 0;
  if (r.chance(0.4)) p.json = r.pick(JSON_TEXTS);
  if (r.chance(0.5)) {
    p.nested = { a: { b: r.pick([1, '', null, 'deep']), c: [1, { d: 2 }] }, e: r.pick(WORDS) };
    // A member JavaScript's ToPrimitive calls when the object is made text.
    if (r.chance(0.25)) p.nested[r.pick(['toString', 'toString', 'valueOf'])] = r.pick(['x', 1, null]);
  }
  if (r.chance(0.3)) p.name = r.pick(WORDS);
  for (const key of r.some(2, () => r.pick(KEYS))) if (!(key in p)) p[key] = jsonValue(r, 1);
  return p;
}

/** Segment-like `traits`. */
export function traits(r) {
  const t = {};
  if (r.chance(0.6)) t.name = r.pick(['Alice Smith', '', null, 'ÉMILIE Zola', 42]);
  if (r.chance(0.5)) t.email = r.pick(['a@example.com', '', null, 'Jane.Doe+x@Example.com']);
  if (r.chance(0.5)) t.phone = r.pick(['+1 555 0100', '', null, 5550100]);
  if (r.chance(0.4)) t.plan = r.pick(['premium', 150, true, null]);
  if (r.chance(0.3)) t.address = { city: r.pick(['Latrobe', '']), zip: r.pick(['15650', 15650]) };
  if (r.chance(0.3)) t.order_completed_last_30days = r.pick([true, false]);
  for (const key of r.some(2, () => r.pick(KEYS))) if (!(key in t)) t[key] = jsonValue(r, 1);
  return t;
}

/** A Segment-like event with odd values; `options.types` narrows the event types. */
export function event(r, options = {}) {
  const e = {};
  const type = r.weighted([[12, () => r.pick(options.types ?? TYPES)], [1, () => r.pick(['', 'TRACK', 'other', null, 1])]]);
  if (r.chance(0.95)) e.type = type;
  if (r.chance(0.9)) e.messageId = `m-${r.int(1e6)}`;
  if (r.chance(0.85)) e.userId = r.weighted([[6, () => r.pick(['user123', 'User One', 'USER 2', 'Ünïcödé Üser', 'a b  c', 'user_1'])], [3, () => r.pick(['', ' ', null, 42, 0, -1.5, true, 1e21, ['u'], [], {}, 'x'])]]);
  if (r.chance(0.6)) e.anonymousId = r.pick(['anon-1', '', null]);
  if (type === 'track' || r.chance(0.2)) {
    if (r.chance(0.9)) e.event = r.weighted([[6, () => r.pick(['Order Completed', 'Product Viewed', 'Signed Up'])], [3, () => r.pick(WORDS)], [1, () => r.pick([null, 0, 1.5, true, ['E']])]]);
  }
  if (type === 'page' || type === 'screen' || r.chance(0.1)) if (r.chance(0.8)) e.name = r.pick(WORDS);
  if (r.chance(0.9)) e.timestamp = r.weighted([[8, () => r.pick(DATES)], [2, () => r.pick([1715670000000, 0, -1, 1e20, 1.5, null, true, 8.64e15, 8.64e15 + 1])]]);
  if (type === 'track' || type === 'page' || type === 'screen' || r.chance(0.2)) if (r.chance(0.85)) e.properties = r.chance(0.9) ? properties(r) : r.pick([null, [], 'x', {}]);
  if (type === 'identify' || type === 'group' || r.chance(0.15)) if (r.chance(0.85)) e.traits = r.chance(0.9) ? traits(r) : r.pick([null, [], 'x', {}]);
  if (r.chance(0.8)) {
    e.context = {};
    if (r.chance(0.5)) e.context.timezone = r.pick(['Europe/Paris', 'Asia/Kolkata', '', null, 5]);
    if (r.chance(0.4)) e.context.page = { url: 'https://example.com/a-b-c?q=1', title: r.pick(WORDS) };
    if (r.chance(0.3)) e.context.library = { name: 'analytics.js', version: '2.11.1' };
    if (r.chance(0.2)) e.context.traits = traits(r);
  }
  if (type === 'group' && r.chance(0.8)) e.groupId = r.pick(['g-1', '', 7]);
  if (type === 'alias' && r.chance(0.8)) e.previousId = r.pick(['anon-7', '', null]);
  if (r.chance(0.12)) e.integrations = integrations(r);
  return e;
}

/** Segment's `integrations` object in its usual and unusual forms. */
export function integrations(r) {
  return r.pick([
    { All: false }, { 'Nudge (Actions)': false }, { All: false, 'Nudge (Actions)': true },
    { All: false, 'Nudge (Actions)': {} }, { All: true, Other: false }, { 'Nudge (Actions)': true },
    { All: false, 'Nudge (Actions)': 'yes' }, { 'Nudge (Actions)': null }, {}, { All: 0 },
  ]);
}
