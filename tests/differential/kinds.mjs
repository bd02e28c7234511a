// The four kinds of differential case: how each is generated from a random source and how the
// two sides' answers are compared and classified. `check` returns
//   {status: 'agree'}                       the same answer on both sides;
//   {status: 'known', class}                a difference docs/ documents (or the deliberate
//                                           occurred_at normalisation), verified as that one;
//   {status: 'fail', class, detail}         anything else.

import { event } from './events.mjs';
import { mapping, value as mappingValue } from './mappings.mjs';
import { fql, fqlEvent } from './fql.mjs';
import { eventTree, render, PROPS_MAPPINGS } from './json-text.mjs';
import { segmentTransform, segmentMatch, segmentPlan, mappingIsValid, parseFql, delivers, actionFields } from './segment.mjs';
import { nudge, attempt, request, result, rawBodies } from './nudge.mjs';

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Every named class of difference, by id: the documented ones (`known`, docs/compatibility.md's "Segment
 * behaviours kept on purpose" and occurred_at's toISOString normalisation) and the disagreements found so far,
 * each verified the same way (see `cause`). A class not named here is printed as it is found.
 */
export const CLASSES = {
  'json-decode-overflow': { known: true, text: '@json decode of "1e400": JSON.parse gives Infinity (printed null); nudge-edge keeps the text (README)' },
  'fql-skipped-text': { known: true, text: 'FQL text Segment silently skips (upper-case AND/OR, unknown fields such as anonymousId, a stray token at the end) is an error in nudge-edge, at that text (README)' },
  'fql-nested-group': { known: true, text: "an FQL group inside a group: Segment's parser gives up, nudge-edge reads it (README)" },
  'fql-glued-operator': { known: true, text: "an FQL operator without spaces (x>1, event!=\"a\"): Segment's lexer rejects or misreads it, nudge-edge reads it as Segment reads the spaced text" },
  'infinity-in-objects': { known: true, text: "plan() on objects holding ±Infinity (JSON.parse of 1e400): objects enter the npm package as JSON text (JSON.stringify, as every Segment SDK sends events), where ±Infinity is null; planText of the same text keeps ±Infinity as Segment does (README)" },
  'occurred-at-beyond-date': { known: true, text: 'occurred_at a number beyond a Date (±8.64e15 ms): Segment sends it, nudge-edge (which sends toISOString, as Nudge takes only dates) reports it invalid' },
  'number-precision': { text: 'a number with more than 15 significant digits, or more than 19 integer digits, comes out of nudge-edge as another double' },
  'number-overflow-in-text': { text: 'a number beyond the double range (1e400) in event text: JSON.parse gives ±Infinity (null in a body, "Infinity" in a string field); nudge-edge rejects the field' },
  'lone-surrogate': { text: 'a lone surrogate (\\ud800 unpaired) in a string of the event text: JavaScript keeps it, nudge-edge rejects the field or drops the value' },
  'proto-member': { text: 'a `__proto__` member: Object.assign in mapping-kit makes its value the prototype (the member leaves the output) and identify props (for…in) copy that value\'s members' },
  'to-primitive': { text: "an object with its own `toString` member that is not a function: JavaScript's ToPrimitive throws where mapping-kit makes it text (`@template`, `@if` blank's `!= ''`), so Segment fails the mapping; nudge-edge prints [object Object]" },
  'undefined-in-array': { text: 'a mapped field holding [undefined] (a path inside an array that finds nothing): ajv unwraps it to undefined and reports the field; nudge-edge holds [null], unwraps it to null and sends ""' },
};
const known = (id) => ({ status: 'known', class: id });

// ---- Causes: a disagreement is put down to a cause when the case without it agrees --------

/** `value` with every object key passed through `f`. */
function renameKeys(value, f) {
  if (Array.isArray(value)) return value.map((v) => renameKeys(v, f));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [f(k), renameKeys(v, f)]));
  return value;
}

/** `value` with every leaf passed through `f` (JSON values: objects, arrays, scalars). */
function mapLeaves(value, f) {
  if (Array.isArray(value)) return value.map((v) => mapLeaves(v, f));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapLeaves(v, f)]));
  return f(value);
}

/** Whether a JSON.parse result holds ±Infinity. */
const hasNonFinite = (v) => (typeof v === 'number' ? !Number.isFinite(v) : !!v && typeof v === 'object' && Object.values(v).some(hasNonFinite));

const decodesNonFinite = (s) => {
  const parsed = attempt(() => JSON.parse(s));
  return !parsed.error && hasNonFinite(parsed.value);
};

/**
 * Whether a double's JavaScript text has more than 15 significant digits, or more than 19
 * digits before an exponent (beyond u64): such texts are the ones a reader that is not
 * correctly rounded may read off the double JavaScript reads.
 */
const longNumber = (x) => {
  if (typeof x !== 'number' || !Number.isFinite(x)) return false;
  const text = JSON.stringify(x);
  const digits = text.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '');
  return digits.replace(/0+$/, '').length > 15 || digits.length > 19;
};

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** `node` (a JSON text tree) with `f` applied to its number texts, and `g` to its string and key texts. */
function mapTree(node, f, g) {
  switch (node[0]) {
    case 'num': return ['num', f(node[1])];
    case 'str': return ['str', g(node[1])];
    case 'arr': return ['arr', node[1].map((v) => mapTree(v, f, g))];
    case 'obj': return ['obj', node[1].map(([k, v]) => [g(k), mapTree(v, f, g)])];
    default: return node;
  }
}
const keep = (x) => x;
/** The string an escaped string text stands for. */
const decodes = (text) => attempt(() => JSON.parse(`"${text}"`)).value;
/** An escaped string text with its lone surrogates replaced by `x`. */
const withoutLone = (text) => {
  const decoded = attempt(() => JSON.parse(`"${text}"`));
  return decoded.error || !LONE_SURROGATE.test(decoded.value) ? text : JSON.stringify(decoded.value.replace(LONE_SURROGATES, 'x')).slice(1, -1);
};

/** Which class each change below stands for. */
const CAUSES = {
  overflow: 'json-decode-overflow',
  longNumber: 'number-precision',
  longNumberInConfig: 'number-precision',
  textOverflow: 'number-overflow-in-text',
  loneSurrogate: 'lone-surrogate',
  protoKey: 'proto-member',
  toPrimitive: 'to-primitive',
};

/** Changes to a case of JSON values (mapping-kit, plans) that remove one cause each. */
const VALUE_CAUSES = [
  ['overflow', (c) => mapLeaves(c, (v) => (typeof v === 'string' && decodesNonFinite(v) ? '0' : v))],
  ['longNumber', (c) => mapLeaves(c, (v) => (longNumber(v) ? 1.5 : v))],
  ['toPrimitive', (c) => renameKeys(c, (k) => (k === 'toString' ? 'to_string' : k))],
];

/** Changes to a JSON text case that remove one cause each. */
const TEXT_CAUSES = [
  ['textOverflow', (c) => ({ ...c, events: mapTree(c.events, (t) => (Number.isFinite(Number(t)) ? t : '1'), keep) })],
  ['loneSurrogate', (c) => ({ ...c, events: mapTree(c.events, keep, withoutLone) })],
  ['longNumber', (c) => ({ ...c, events: mapTree(c.events, (t) => (longNumber(Number(t)) ? '1.5' : t), keep) })],
  ['longNumberInConfig', (c) => ({ ...c, config: mapLeaves(c.config, (v) => (longNumber(v) ? 1.5 : v)) })],
  ['protoKey', (c) => ({ ...c, events: mapTree(c.events, keep, (t) => (decodes(t) === '__proto__' ? 'proto_' : t)) })],
  ['toPrimitive', (c) => ({ ...c, events: mapTree(c.events, keep, (t) => (decodes(t) === 'toString' ? 'to_string' : t)) })],
];

/**
 * The cause of a disagreement: the smallest set of changes after which `agrees` holds (singles
 * first, then pairs, …). A change that leaves the case as it was is no explanation.
 */
function cause(c, agrees, changes) {
  const useful = changes.filter(([, change]) => !same(change(c), c));
  const verdict = (names) => ({ status: names.every((n) => CLASSES[CAUSES[n]].known) ? 'known' : 'fail', class: [...new Set(names.map((n) => CAUSES[n]))].join(' + ') });
  const subsets = (size, from = 0) => (size === 0 ? [[]] : useful.slice(from).flatMap((entry, i) => subsets(size - 1, from + i + 1).map((rest) => [entry, ...rest])));
  for (let size = 1; size <= useful.length; size++)
    for (const set of subsets(size)) if (agrees(set.reduce((changed, [, change]) => change(changed), c))) return verdict(set.map(([name]) => name));
  return null;
}

// ---- 1. mapping-kit ------------------------------------------------------------------------

function transformAnswers(c) {
  const theirs = segmentTransform(c.mapping, structuredClone(c.payload));
  const ours = attempt(() => nudge.transform(structuredClone(c.mapping), c.payload));
  return { theirs, ours };
}

function transformAgree({ theirs, ours }) {
  if (theirs.error || ours.error) return !!theirs.error === !!ours.error;
  return same(theirs.output, ours.value) && (theirs.output === undefined) === (ours.value === undefined);
}

export const mappingKit = {
  name: 'mapping-kit',
  generate: (r) => ({ mapping: mapping(r), payload: event(r) }),
  check(c) {
    const answers = transformAnswers(c);
    if (transformAgree(answers)) return { status: 'agree' };
    const { theirs, ours } = answers;
    const why = cause(c, (changed) => transformAgree(transformAnswers(changed)), VALUE_CAUSES);
    return {
      status: why?.status ?? 'fail',
      class: why?.class ?? (theirs.error ? 'Segment throws, nudge-edge maps' : ours.error ? 'nudge-edge throws, Segment maps' : 'different output'),
      detail: {
        segment: theirs.error ? `error: ${theirs.error.message}` : theirs.output === undefined ? 'undefined' : theirs.output,
        nudgeEdge: ours.error ? `error: ${ours.error.message}` : ours.value === undefined ? 'undefined' : ours.value,
      },
    };
  },
};

// ---- 2. subscriptions ----------------------------------------------------------------------

/** The UTF-16 offset of a 1-based column counted in characters (as nudge-edge counts). */
const offsetOfColumn = (text, column) => [...text].slice(0, Math.max(0, column - 1)).join('').length;

/** `text` with spaces around the operators of its glued parts. */
function respaced(text, quirks) {
  let out = text;
  for (const q of [...quirks].filter((q) => q.kind === 'nospace').sort((a, b) => b.start - a.start))
    out = out.slice(0, q.start) + out.slice(q.start, q.end).replace(/(!=|<=|>=|=|<|>)/, ' $1 ') + out.slice(q.end);
  return out;
}

export const subscriptions = {
  name: 'subscriptions',
  generate: (r) => ({ ...fql(r), event: fqlEvent(r) }),
  check: subscriptionVerdict,
};

/**
 * Both sides' reading and match. Where Segment's `validate` throws (an empty group), Segment
 * delivers nothing (see `delivers`): the match to give is false, and the AST Segment printed,
 * `null` for its `undefined` child.
 */
function subscriptionVerdict(c) {
  const theirs = segmentMatch(c.text, c.event);
  const ast = attempt(() => nudge.parseSubscription(c.text));
  const match = attempt(() => nudge.matchesSubscription(c.text, c.event));
  const fail = (cls, extra = {}) => ({
    status: 'fail',
    class: cls,
    detail: {
      segment: theirs.error ? `error: ${theirs.error.message}` : { ast: theirs.ast, matches: theirs.crash ? `validate throws: ${theirs.crash.message}` : theirs.matches },
      nudgeEdge: ast.error ? `error: ${ast.error.message}` : { ast: ast.value, matches: match.value ?? `error: ${match.error?.message}` },
      ...extra,
    },
  });
  if (!!ast.error !== !!match.error) return fail('parseSubscription and matchesSubscription disagree');
  if (theirs.error && ast.error) return { status: 'agree' };
  if (!theirs.error && !ast.error && same(theirs.ast, ast.value) && theirs.matches === match.value) return { status: 'agree' };
  const kinds = new Set(c.quirks.map((q) => q.kind));
  // Where nudge-edge reads the text, its match must follow its own AST.
  if (!ast.error && delivers(ast.value, c.event) !== match.value) return fail("nudge-edge's match disagrees with its own AST");
  // Operators glued to their operands: Segment's lexer rejects or misreads them; nudge-edge
  // must read them as Segment reads the same text with spaces.
  if (kinds.has('nospace') && !ast.error) {
    const spaced = parseFql(respaced(c.text, c.quirks));
    if (!spaced.error && same(spaced, ast.value)) return known('fql-glued-operator');
  }
  if (theirs.error) {
    // Segment gives up on groups inside groups; nudge-edge reads them.
    if (kinds.has('nested')) return known('fql-nested-group');
    return fail('Segment rejects, nudge-edge accepts');
  }
  if (ast.error) {
    // Segment reads it, nudge-edge rejects it: only where Segment skips text, and nudge-edge
    // must point at that text.
    const at = offsetOfColumn(c.text, ast.error.position ?? 0);
    if (c.quirks.some((q) => SKIPPED.has(q.kind) && at >= q.start && (at <= q.end || q.kind === 'junk'))) return known('fql-skipped-text');
    return fail('Segment accepts, nudge-edge rejects');
  }
  if (theirs.crash) return fail("Segment's validate throws on its own AST (no delivery), nudge-edge matches");
  if (!same(theirs.ast, ast.value)) return fail('different AST');
  return fail('different match');
}

/** The quirks that are text Segment's parser silently skips. */
const SKIPPED = new Set(['conditional', 'field', 'junk']);

// ---- 3. plans ------------------------------------------------------------------------------

const FIELD_VALUES = {
  ext_id: [{ '@path': '$.userId' }, { '@path': '$.anonymousId' }, { '@template': 'U {{userId}}' }, { '@case': { operator: 'upper', value: { '@path': '$.userId' } } },
    { '@replace': { pattern: '_', replacement: ' ', value: { '@path': '$.userId' } } }, 'Fixed User', { '@path': '$.traits.email' },
    { '@if': { exists: { '@path': '$.userId' }, then: { '@path': '$.userId' }, else: { '@path': '$.anonymousId' } } }, { '@path': '$.properties.products' }],
  name: [{ '@path': '$.event' }, { '@template': 'Viewed {{name}}' }, 'Fixed Event', { '@path': '$.properties.name' }, { '@literal': 'Lit Eral' },
    { '@path': '$.name' }, { '@path': '$.traits.name' }, { '@path': '$.properties.total' }],
  occurred_at: [{ '@path': '$.timestamp' }, { '@path': '$.properties.price' }, '2025-05-14', 1715670000000, { '@template': '{{timestamp}}' }, { '@path': '$.context.page' }],
  props: [{ '@path': '$.properties' }, { '@path': '$.traits' }, { a: { '@path': '$.properties.price' }, b: { '@path': '$.userId' }, c: 'raw', name: { '@path': '$.traits.name' } },
    { '@flatten': { value: { '@path': '$.properties' }, separator: '_' } }, { '@path': '$.properties.products' }, 'a string', { '@path': '$.context' },
    { '@merge': { objects: [{ '@path': '$.traits' }, { plan: 'override' }], direction: 'right' } }, { '@excludeWhenNull': { '@path': '$.properties' } }],
  phone: [{ '@path': '$.traits.phone' }, { '@path': '$.properties.total' }],
  email: [{ '@path': '$.traits.email' }, { '@path': '$.email' }],
  tz: [{ '@path': '$.context.timezone' }, 'Europe/Paris'],
};

function fieldValue(r, key) {
  if (r.chance(0.15)) return mappingValue(r, 1);
  return structuredClone(r.pick(FIELD_VALUES[key] ?? FIELD_VALUES.name));
}

/** A valid FQL text (both sides parse it), or undefined for the action's preset. */
function subscription(r) {
  for (let tries = 0; tries < 5; tries++) {
    const { text } = fql(r, { plain: true });
    if (!parseFql(text).error && !attempt(() => nudge.parseSubscription(text)).error) return text;
  }
  return undefined;
}

function mappingEntry(r, props) {
  const action = r.pick(['identifyUser', 'trackEvent']);
  const entry = { action };
  if (r.chance(0.7)) entry.name = r.pick(['Track Event', 'Identify User', 'Pages', 'Custom', 'Ünïcode mapping']);
  if (r.chance(0.7)) entry.subscription = r.weighted([[4, action === 'trackEvent' ? 'type = "track"' : 'type = "identify"'], [2, 'type = "track" or type = "identify"'], [1, 'type = "page"'], [3, () => subscription(r)]]);
  if (r.chance(0.75)) {
    const m = {};
    for (const key of Object.keys(actionFields(action))) if (r.chance(0.85)) m[key] = key === 'props' && props ? structuredClone(r.pick(props)) : fieldValue(r, key);
    if (r.chance(0.1)) m.extra = fieldValue(r, 'name');
    entry.mapping = m;
  }
  if (r.chance(0.1)) entry.enabled = r.pick([false, true]);
  if (action === 'trackEvent' && r.chance(0.4)) {
    const inMapping = entry.mapping && r.chance(0.3);
    (inMapping ? entry.mapping : entry).enable_batching = r.chance(0.85);
    if (r.chance(0.7)) (inMapping ? entry.mapping : entry).batch_size = 1 + r.int(4);
  }
  return entry;
}

/** A configuration whose mappings Segment's validation accepts. */
export function planConfig(r, props) {
  const settings = { apikey: r.pick(['test-key', 'k', 'A Key/1']) };
  if (r.chance(0.2)) settings.endpoint = r.pick(['http://127.0.0.1:8788', 'https://example.com/api/nudge']);
  if (r.chance(0.12)) return { settings };
  const mappings = r.between(1, 3, () => {
    for (;;) {
      const entry = mappingEntry(r, props);
      if (!entry.mapping || mappingIsValid(entry.mapping)) return entry;
    }
  });
  return { settings, mappings };
}

/** Compares Segment's plan with nudge-edge's (requests, bodies as `bodyText` gives them, results). */
function comparePlans(theirs, ours, bodyTexts) {
  const want = { requests: theirs.requests.map((r) => ({ ...r, body: JSON.stringify(r.body) })), results: theirs.results };
  const got = { requests: ours.requests.map((r, i) => request(r, bodyTexts?.[i])), results: ours.results.map(result) };
  if (same(want, got)) return null;
  const results = same(want.results, got.results);
  const orderOnly =
    results &&
    want.requests.length === got.requests.length &&
    want.requests.every((w, i) => same({ ...w, body: sortKeys(JSON.parse(w.body)) }, { ...got.requests[i], body: sortKeys(JSON.parse(got.requests[i].body)) }));
  return { class: orderOnly ? 'request body differs in key order only' : results ? 'different requests' : 'different results', want, got };
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}

function planOutcome(c) {
  const planner = attempt(() => nudge.createPlanner(c.config));
  if (planner.error) return { diff: { class: 'nudge-edge rejects the configuration', error: planner.error.message } };
  const ours = attempt(() => planner.value.plan(c.events));
  if (ours.error) return { diff: { class: 'nudge-edge throws', error: ours.error.message } };
  const theirs = segmentPlan(c.config, structuredClone(c.events));
  const diff = withUndefinedClass(comparePlans(theirs, ours.value), () => comparePlans(segmentPlan(c.config, structuredClone(c.events), { undefinedAsNull: true }), ours.value));
  return { diff, notes: theirs.notes };
}

/**
 * `diff` named `undefined-in-array` when it goes once Segment's mapped arrays hold `null` where
 * they hold `undefined` (`againWithNull` compares that way).
 */
const withUndefinedClass = (diff, againWithNull) => (diff && !againWithNull() ? { ...diff, class: 'undefined-in-array' } : diff);

export const plans = {
  name: 'plans',
  generate: (r) => ({ config: planConfig(r), events: r.between(1, 6, () => event(r, { types: ['track', 'track', 'identify', 'identify', 'page', 'alias'] })) }),
  check(c) {
    const { diff, notes } = planOutcome(c);
    if (!diff) return notes.length ? { status: 'known', class: notes.join(' + ') } : { status: 'agree' };
    const why = cause(c, (changed) => !planOutcome(changed).diff, VALUE_CAUSES);
    return { status: why?.status ?? 'fail', class: why?.class ?? diff.class, detail: diff };
  },
};

// ---- 4. JSON text forms --------------------------------------------------------------------

const TRAITS_MAPPINGS = PROPS_MAPPINGS.map((m) => JSON.parse(JSON.stringify(m).replaceAll('properties', 'traits')));

export const textForms = {
  name: 'text-forms',
  generate(r) {
    const config = planConfig(r, r.chance(0.5) ? PROPS_MAPPINGS : TRAITS_MAPPINGS);
    const trees = r.between(1, 4, () => eventTree(r));
    return { config, events: ['arr', trees], spacing: r.pick(['none', 'none', 'spaces', 'newlines', 'mixed']) };
  },
  check(c) {
    const outcome = textOutcome(c);
    if (!outcome.diff) return outcome.notes.length ? { status: 'known', class: outcome.notes.join(' + ') } : { status: 'agree' };
    const why = cause(c, (changed) => !textOutcome(changed).diff, TEXT_CAUSES);
    return { status: why?.status ?? 'fail', class: `${outcome.where}: ${why?.class ?? outcome.diff.class}`, detail: { text: outcome.text, ...outcome.diff } };
  },
};

/** Segment's pipeline on JSON.parse(text) against nudge-edge's planText(text) and plan(JSON.parse(text)). */
function textOutcome(c) {
  const text = render(c.events, c.spacing);
  const planner = attempt(() => nudge.createPlanner(c.config));
  if (planner.error) return { text, where: 'createPlanner', diff: { class: 'nudge-edge rejects the configuration', error: planner.error.message } };
  const theirs = segmentPlan(c.config, JSON.parse(text));
  const withNull = () => segmentPlan(c.config, JSON.parse(text), { undefinedAsNull: true });
  // planText: the bodies byte for byte as JSON.stringify writes Segment's.
  const planText = attempt(() => planner.value.planText(text));
  const fromText = planText.error
    ? { class: 'planText throws', error: planText.error.message }
    : withUndefinedClass(comparePlans(theirs, JSON.parse(planText.value), rawBodies(planText.value)), () => comparePlans(withNull(), JSON.parse(planText.value), rawBodies(planText.value)));
  // plan on the objects JSON.parse made.
  const fromObjects = attempt(() => planner.value.plan(JSON.parse(text)));
  let fromObjectsDiff = fromObjects.error
    ? { class: 'plan throws', error: fromObjects.error.message }
    : withUndefinedClass(comparePlans(theirs, fromObjects.value), () => comparePlans(withNull(), fromObjects.value));
  const notes = [...theirs.notes];
  // Objects cross into the package as JSON.stringify's text, where ±Infinity is null: they
  // must then be planned as Segment plans the events as that text carries them.
  if (fromObjectsDiff && !fromObjects.error && hasNonFinite(JSON.parse(text))) {
    const asText = segmentPlan(c.config, JSON.parse(JSON.stringify(JSON.parse(text))));
    if (!comparePlans(asText, fromObjects.value)) {
      fromObjectsDiff = null;
      notes.push('infinity-in-objects');
    }
  }
  const where = fromText && fromObjectsDiff ? 'planText and plan' : fromText ? 'planText' : 'plan(JSON.parse(text))';
  return { text, where, diff: fromText ?? fromObjectsDiff, notes };
}

export const KINDS = { 'mapping-kit': mappingKit, subscriptions, plans, 'text-forms': textForms };
