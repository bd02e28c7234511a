// The Segment plugin behind `nudge-edge/plugin`, shared by its Node and browser entries, which
// differ only in how the planner is made: in Node the wasm is ready on import, in browsers it
// is fetched on first use. The plugin is plain data and functions, so analytics.js and
// analytics-node both take it as it is, and it imports neither.

/** Where `mode: 'annotate'` puts, on `event.context`, what the Worker would do with the event. */
export const ANNOTATION_KEY = 'nudgeEdge';

const MODES = ['warn', 'block', 'annotate'];
const EVENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'];

/**
 * Events kept for checking while the wasm loads (warn and annotate modes). A page whose wasm
 * never arrives must not hold on to every event it tracks, so past this many they go unchecked.
 */
const MAX_WAITING = 1000;

/**
 * A plugin that plans each event with a planner made once by `makePlanner(config)` (sync or
 * async). `lazy`: `load` returns at once and events tracked before the planner is ready are
 * checked when it is (block mode holds them until then instead: it cannot drop an event it has
 * already let go).
 */
export function validationPlugin(options, makePlanner, { lazy }) {
  const { config, mode = 'warn', onProblem } = options ?? {};
  // A typo here is the caller's mistake, made once at start-up, not an event the SDK sends.
  if (!MODES.includes(mode)) throw new TypeError(`nudge-edge/plugin: mode must be one of ${MODES.join(', ')}, not ${JSON.stringify(mode)}`);

  /** The planner; `undefined` while it is being made, `null` when it cannot be (reported). */
  let planner;
  /** Settles once the planner is made or has failed and the early events are checked. */
  let ready;
  /** Copies of the events tracked before then (they went on; the SDK may change the originals). */
  let waiting = [];
  const reported = new Set();

  /**
   * Tells once of each distinct problem. The set grows with the distinct (event, mapping,
   * field, message) combinations an application produces, which its tracking plan bounds.
   */
  function report(problem) {
    const key = JSON.stringify([problem.code, problem.field, problem.mapping, problem.message, eventLabel(problem.event), problem.blocked]);
    if (reported.has(key)) return;
    reported.add(key);
    try {
      if (onProblem) onProblem(problem);
      else console.warn(describe(problem));
    } catch {
      // The caller's callback failing is no reason to lose the event.
    }
  }

  /** A failure of the plugin itself: reported, and the event goes through unchecked. */
  function reportFailure(what, error, event) {
    report({ code: 'plugin', field: '', mapping: null, message: `${what}: ${error?.message ?? error}`, event, blocked: false });
  }

  function start() {
    ready ??= Promise.resolve()
      .then(() => makePlanner(config))
      .then(
        (made) => (planner = made),
        (error) => {
          planner = null;
          reportFailure('the plugin cannot check events (they go through unchecked)', error, null);
        },
      )
      .then(() => {
        const early = waiting;
        waiting = [];
        for (const event of early) {
          try {
            if (planner) judge(event, planner.plan(event), false);
          } catch (error) {
            reportFailure('an event could not be checked (it went through)', error, event);
          }
        }
      });
    return ready;
  }

  /**
   * Reports the event's problems; whether it is to be dropped. In block mode an event is
   * dropped when some mapping matched it and none can deliver it; one that no mapping matches
   * (or that the Nudge destination is switched off for) goes on, as other destinations may
   * want it.
   */
  function judge(event, plan, mayBlock) {
    const results = plan.results;
    const blocked = mayBlock && results.some((r) => r.status === 'invalid') && !results.some((r) => r.status === 'sent');
    for (const r of results) {
      for (const e of r.errors ?? []) report({ code: e.code, field: e.field, mapping: r.mapping, message: e.message, event, blocked });
    }
    return blocked;
  }

  function check(ctx) {
    let blocked;
    try {
      if (planner === undefined) {
        const loading = start();
        if (mode === 'block') return loading.then(() => check(ctx));
        if (waiting.length < MAX_WAITING) waiting.push(structuredClone(ctx.event));
        return ctx;
      }
      if (planner === null) return ctx;
      const plan = planner.plan(ctx.event);
      blocked = judge(ctx.event, plan, mode === 'block');
      if (mode === 'annotate') annotate(ctx.event, plan);
    } catch (error) {
      reportFailure('an event could not be checked (it went through)', error, ctx.event);
      return ctx;
    }
    if (blocked) drop(ctx);
    return ctx;
  }

  const plugin = {
    name: 'nudge-edge validation',
    type: 'before',
    version: '0.1.0',
    isLoaded: () => Boolean(planner),
    async load() {
      const loading = start();
      if (!lazy) await loading;
    },
  };
  for (const type of EVENT_TYPES) plugin[type] = check;
  return plugin;
}

/**
 * Drops the event the way Segment's SDKs define: a before plugin throws a ContextCancelation
 * with `retry: false` (a retriable one would be queued again). `ctx.cancel()` throws one of the
 * SDK's own class, which its queue recognises by `instanceof`; importing the class would tie
 * the plugin to one SDK's copy of it.
 */
function drop(ctx) {
  try {
    ctx.cancel();
  } catch (cancelation) {
    cancelation.retry = false;
    cancelation.type = 'nudge-edge validation';
    cancelation.reason = 'no Nudge mapping can deliver this event (nudge-edge/plugin, block mode)';
    throw cancelation;
  }
}

/**
 * Adds what the Worker would do with the event: each mapping's result and the requests it
 * would make, without their headers, whose API key must not travel with the event.
 */
function annotate(event, plan) {
  event.context ??= {};
  event.context[ANNOTATION_KEY] = {
    results: plan.results.map(({ index, ...result }) => result),
    requests: plan.requests.map(({ action, mapping, method, url, body }) => ({ action, mapping, method, url, body })),
  };
}

/** `track "Order Completed"`, `page "Home"`, `identify`. */
function eventLabel(event) {
  if (!event) return '';
  const name = event.type === 'track' ? event.event : event.type === 'page' || event.type === 'screen' ? event.name : undefined;
  return typeof name === 'string' ? `${event.type} "${name}"` : String(event.type);
}

function describe(problem) {
  if (problem.code === 'plugin') return `nudge-edge/plugin: ${problem.message}`;
  const field = problem.field ? ` (field ${problem.field}, ${problem.code})` : ` (${problem.code})`;
  const fate = problem.blocked ? '; not sent: no mapping can deliver it (block mode)' : '';
  return `nudge-edge/plugin: ${eventLabel(problem.event)} → mapping "${problem.mapping ?? '(none)'}": ${problem.message}${field}${fate}`;
}
