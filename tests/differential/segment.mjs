// Segment's side of every comparison: @segment/actions-core 3.170.0 (mapping-kit `transform`,
// `removeEmptyValues`, `validateSchema` with the action's fields) and
// @segment/destination-subscriptions 3.37.0 (`parseFql` + `validate`), then the Nudge
// destination's own changes, as Segment's "Nudge (Actions)" (`@segment/action-destinations`
// 3.497.0, dist/destinations/nudge) makes them:
//   trackEvent:   ext_id and name: spaces to `_`, lower case; body `[payload]`, or the batch.
//   identifyUser: ext_id likewise; props without name/phone/email (`for…in`, `{}` when absent).
// With NUDGE_DESTINATION_DIR set to that folder of an unpacked @segment/action-destinations
// tarball, its own action definitions (fields and perform functions) are used instead.
//
// One deliberate change from Segment: `occurred_at` is sent in UTC `toISOString` form. A value
// Segment accepts but no Date can hold (a number beyond ±8.64e15 ms) cannot be normalised: the
// reference then expects nudge-edge to report occurred_at invalid, and notes it as known.
//
// Run with TZ=UTC (dayjs reads dates without an offset in local time).

import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
export const core = require('@segment/actions-core');
const { removeEmptyValues } = require(path.join(path.dirname(require.resolve('@segment/actions-core')), 'remove-empty-values.js'));
export const validateMapping = require('@segment/actions-core/mapping-kit/validate').default;
export const { parseFql, validate: validateFql } = require('@segment/destination-subscriptions');
const dayjs = require(require.resolve('dayjs', { paths: [require.resolve('@segment/actions-core')] }));

export const DEFAULT_ENDPOINT = 'https://main-api.nudgenow.com/api/integration/segment';
const BASE_URL = DEFAULT_ENDPOINT;
const DESTINATION_NAME = 'Nudge (Actions)';

// ---- The Nudge destination ---------------------------------------------------------------

const sanitize = (value) => value.replace(/ /g, '_').toLowerCase();
function modifyProps(props) {
  if (!props) return {};
  const out = {};
  for (const key in props) if (!['name', 'phone', 'email'].includes(key)) out[key] = props[key];
  return out;
}
const field = (label, type, required, at) => ({ label, type, required, default: { '@path': at } });

/** The two actions as the destination defines them (fields; perform calls `request`). */
const builtIn = {
  identifyUser: {
    title: 'Identify User',
    defaultSubscription: 'type = "identify"',
    fields: {
      ext_id: field('User ID', 'string', true, '$.userId'),
      name: field('User Name', 'string', false, '$.traits.name'),
      phone: field('Phone Number', 'string', false, '$.traits.phone'),
      email: field('Email', 'string', false, '$.traits.email'),
      tz: field('Timezone', 'string', false, '$.context.timezone'),
      props: field('Properties', 'object', false, '$.traits'),
    },
    perform: (request, { payload }) => {
      payload.ext_id = sanitize(payload.ext_id);
      payload.props = modifyProps(payload.props);
      return request(`${BASE_URL}/identify`, { method: 'PUT', json: payload });
    },
  },
  trackEvent: {
    title: 'Track Event',
    defaultSubscription: 'type = "track"',
    fields: {
      name: field('Event Name', 'string', true, '$.event'),
      ext_id: field('User ID', 'string', true, '$.userId'),
      occurred_at: field('Event Timestamp', 'datetime', true, '$.timestamp'),
      props: field('Properties', 'object', false, '$.properties'),
    },
    perform: (request, { payload }) => {
      payload.ext_id = sanitize(payload.ext_id);
      payload.name = sanitize(payload.name);
      return request(`${BASE_URL}/events/batch`, { method: 'POST', json: [payload] });
    },
    performBatch: (request, { payload }) => {
      for (const it of payload) {
        it.ext_id = sanitize(it.ext_id);
        it.name = sanitize(it.name);
      }
      return request(`${BASE_URL}/events/batch`, { method: 'POST', json: payload });
    },
  },
};

function loadActions() {
  const dir = process.env.NUDGE_DESTINATION_DIR;
  if (!dir) return { actions: builtIn, source: 'built-in restatement of @segment/action-destinations 3.497.0' };
  const actions = {};
  for (const key of ['identifyUser', 'trackEvent']) actions[key] = require(path.resolve(dir, key, 'index.js')).default;
  return { actions, source: `Segment's own code in ${dir}` };
}
export const { actions, source: destinationSource } = loadActions();
const schemas = Object.fromEntries(Object.entries(actions).map(([k, a]) => [k, core.fieldsToJsonSchema(a.fields)]));
export const ACTION_KEYS = Object.keys(actions);
export const actionFields = (key) => actions[key].fields;

/**
 * Calls a perform function with a `request` that records the call. The destination's perform
 * functions are async but call `request` before their first `await`, so the record is there
 * when this returns.
 */
function performed(fn, settings, payload, endpoint) {
  let call;
  const request = (url, options) => {
    call = { method: options.method, url: endpoint + url.slice(BASE_URL.length), apikey: settings.apikey, p: '17', body: options.json };
    return Promise.resolve({});
  };
  fn(request, { settings, payload }).catch(() => {});
  return call;
}

// ---- Mapping-kit ---------------------------------------------------------------------------

/**
 * Segment's answer for one mapping and payload: `{output}` (possibly undefined) or
 * `{error}`. The mapping is copied first: `@replace` writes its defaults into its options.
 */
export function segmentTransform(mapping, payload) {
  try {
    return { output: core.transform(structuredClone(mapping), payload) };
  } catch (e) {
    return { error: e };
  }
}

/** Whether Segment's mapping-kit validation accepts a mapping. */
export function mappingIsValid(mapping) {
  try {
    validateMapping(mapping);
    return true;
  } catch {
    return false;
  }
}

// ---- Subscriptions ------------------------------------------------------------------------

/**
 * Whether Segment delivers `event` through a subscription (`parseFql`'s AST): `validate`'s
 * answer, or false where `validate` throws. It throws on an empty group, an `undefined` child
 * that it reads only when no earlier child decided the group; in Segment's destination runtime
 * (actions-core's `Destination.onSubscription`) the throw rejects the whole call for the event,
 * and nothing is delivered through that subscription.
 */
export function delivers(ast, event) {
  try {
    return validateFql(ast, event);
  } catch {
    return false;
  }
}

/**
 * Segment's answer for an FQL text and an event: `{ast, matches}` (`matches` as `delivers`
 * gives it, with `crash`, the error, where `validate` throws), or `{error}` when parseFql gives
 * up.
 */
export function segmentMatch(fql, event) {
  const ast = parseFql(fql);
  if (ast.error) return { error: ast.error };
  try {
    return { ast, matches: validateFql(ast, event) };
  } catch (crash) {
    return { ast, matches: false, crash };
  }
}

// ---- The plan ------------------------------------------------------------------------------

/** `occurred_at` in UTC toISOString form, as Segment read it; undefined when no Date holds it. */
export function isoTimestamp(value) {
  if (typeof value === 'number') {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  if (typeof value !== 'string') return undefined;
  // Segment's `date-like` format: a string that is exactly a number's text is a Unix time
  // (its check reads every such string as seconds; 13 digits are the milliseconds they are).
  if (String(Number(value)) === value) {
    const ms = value.length === 13 ? Number(value) : Number(value) * 1000;
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  const d = dayjs(value);
  return d.isValid() ? d.toISOString() : undefined;
}

/** The field names of an AggregateAjvError (a missing field is named in its message only). */
function errorFields(e) {
  return e.errors.map((err) => (err.pointer ? err.pointer.split('/')[1].replace(/~1/g, '/').replace(/~0/g, '~') : (/required field '([^']*)'/.exec(err.message)?.[1] ?? `?${err.message}`)));
}

/** The first top-level field of `mapping` whose resolution throws on `event`. */
function failingField(mapping, event) {
  if (Object.keys(mapping).some((k) => k.startsWith('@'))) return '';
  for (const key of Object.keys(mapping)) {
    try {
      core.transform(structuredClone({ [key]: mapping[key] }), event);
    } catch {
      return key;
    }
  }
  return '?';
}

/** One mapping entry of a config, with Segment's defaults and the entry-or-mapping options. */
export function normaliseMapping(entry) {
  const action = actions[entry.action];
  const fromMapping = (k) => (entry.mapping && typeof entry.mapping === 'object' ? entry.mapping[k] : undefined);
  const batching = entry.action === 'trackEvent' && (entry.enable_batching ?? fromMapping('enable_batching') ?? false) === true;
  const mapping = entry.mapping ?? Object.fromEntries(Object.entries(action.fields).map(([k, f]) => [k, f.default]));
  const text = entry.subscription ?? action.defaultSubscription;
  return {
    name: entry.name ?? action.title,
    action: entry.action,
    ast: parseFql(text),
    mapping,
    enabled: entry.enabled ?? true,
    batchSize: batching ? (entry.batch_size ?? fromMapping('batch_size') ?? 100) : null,
  };
}

/** Whether `integrations` keeps an event from the destination: its own entry false, or `All` false when it has none. */
function excluded(event) {
  const integrations = event.integrations;
  if (!integrations || typeof integrations !== 'object' || Array.isArray(integrations)) return false;
  const enabled = (key) => {
    const v = integrations[key];
    if (typeof v === 'boolean') return v;
    if (v && typeof v === 'object' && !Array.isArray(v)) return true;
    return undefined;
  };
  const own = enabled(DESTINATION_NAME);
  return own === undefined ? enabled('All') === false : !own;
}

/**
 * Segment's pipeline on one event for one mapping: `{payload}` ready for the destination, or
 * `{fields}` (the fields in error). `notes` collects the deliberate differences applied (class
 * ids of kinds.mjs).
 */
function payloadFor(m, event, notes, options) {
  let payload;
  try {
    payload = core.transform(structuredClone(m.mapping), event);
  } catch {
    return { fields: [failingField(m.mapping, event)] };
  }
  if (options.undefinedAsNull) payload = undefinedAsNull(payload);
  const schema = schemas[m.action];
  // Segment prunes top-level "" only for events sent one by one (executeBatch passes no isRoot).
  payload = removeEmptyValues(payload, schema, m.batchSize === null);
  try {
    core.validateSchema(payload, schema, { schemaKey: `nudge-differential:${m.action}` });
  } catch (e) {
    if (e.name !== 'AggregateAjvError') throw e;
    return { fields: errorFields(e) };
  }
  if (m.action === 'trackEvent') {
    const iso = isoTimestamp(payload.occurred_at);
    if (iso === undefined) {
      notes.add('occurred-at-beyond-date');
      return { fields: ['occurred_at'] };
    }
    payload.occurred_at = iso;
  }
  return { payload };
}

/** `value` with the `undefined` items of its arrays (deep) made `null`. */
function undefinedAsNull(value) {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : undefinedAsNull(v)));
  if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) value[key] = undefinedAsNull(value[key]);
  }
  return value;
}

/**
 * What Segment's pipeline sends for `events` under `config`: `{requests, results, notes}`,
 * requests as `{method, url, apikey, p, body, events}` in mapping order then event order,
 * results as `{index, status, fields}` in event order then mapping order.
 * `options.undefinedAsNull` turns the `undefined` items of mapped arrays into `null` before
 * validation (to tell whether a disagreement comes from them).
 */
export function segmentPlan(config, events, options = {}) {
  const settings = config.settings;
  const endpoint = settings.endpoint ?? DEFAULT_ENDPOINT;
  const entries = config.mappings ?? [{ action: 'identifyUser' }, { action: 'trackEvent' }];
  const mappings = entries.map(normaliseMapping);
  const notes = new Set();
  const results = [];
  const valid = mappings.map(() => []);
  events.forEach((event, index) => {
    if (excluded(event)) {
      results.push({ index, status: 'skipped', fields: [] });
      return;
    }
    let matched = false;
    mappings.forEach((m, order) => {
      if (!m.enabled || m.ast.error || !delivers(m.ast, event)) return;
      matched = true;
      const out = payloadFor(m, event, notes, options);
      if (out.payload) {
        valid[order].push({ index, payload: out.payload });
        results.push({ index, status: 'sent', fields: [] });
      } else {
        results.push({ index, status: 'invalid', fields: [...new Set(out.fields)].sort() });
      }
    });
    if (!matched) results.push({ index, status: 'unmatched', fields: [] });
  });
  const requests = [];
  mappings.forEach((m, order) => {
    const action = actions[m.action];
    const items = valid[order];
    if (m.batchSize === null) {
      for (const { index, payload } of items) requests.push({ ...performed(action.perform, settings, payload, endpoint), events: [index] });
      return;
    }
    for (let i = 0; i < items.length; i += m.batchSize) {
      const chunk = items.slice(i, i + m.batchSize);
      const call = performed(action.performBatch, settings, chunk.map((c) => c.payload), endpoint);
      requests.push({ ...call, events: chunk.map((c) => c.index) });
    }
  });
  return { requests, results, notes: [...notes] };
}
