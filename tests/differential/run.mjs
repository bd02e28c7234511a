// Differential test of nudge-edge's npm package against Segment's own libraries (README.md in
// this folder): random mappings, subscriptions, plans and JSON text forms from a seed, each
// answered by both sides and compared. Exit status 1 when any case disagrees other than in the
// documented ways, which are counted and printed separately.
//
//   node tests/differential/run.mjs [--seed N] [--cases M] [--kinds a,b] [--show K] [--shrink]
//   node tests/differential/run.mjs --seed N --kind plans --case I     (one case, in full)
//
// Without --seed the seed is random and printed. Build the npm package first
// (`bash js/scripts/build.sh`). Segment's side runs in UTC (set here before any date is read).
process.env.TZ = 'UTC';

import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const { source } = await import('./random.mjs');
const { KINDS, CLASSES } = await import('./kinds.mjs');
const { destinationSource, segmentTransform, segmentMatch, segmentPlan } = await import('./segment.mjs');

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const seed = Number(option('seed', Math.floor(Math.random() * 2 ** 31)));
const cases = Number(option('cases', 2000));
const show = Number(option('show', 5));
const shrinking = argv.includes('--shrink');
const kinds = option('kinds', Object.keys(KINDS).join(',')).split(',');
for (const k of kinds) if (!KINDS[k]) throw new Error(`unknown kind ${k}; kinds: ${Object.keys(KINDS).join(', ')}`);

/** `kind.check`, with a crash of either side's harness reported as a failure. */
function check(kind, c) {
  try {
    return kind.check(c);
  } catch (e) {
    return { status: 'fail', class: 'the comparison crashed', detail: { error: e.stack } };
  }
}

// One case in full.
if (option('case') !== undefined) {
  const kind = KINDS[option('kind', 'mapping-kit')];
  const c = kind.generate(source(seed, kind.name, Number(option('case'))));
  console.log(JSON.stringify({ case: c, outcome: check(kind, c) }, null, 2));
  process.exit(0);
}

/** Smaller versions of `value`: each object member or array item left out in turn. */
function* without(value) {
  if (typeof value === 'string') {
    // Texts (FQL) lose one condition, with the `and`/`or` before or after it, at a time.
    const pieces = value.split(/(\s+(?:and|or|AND|OR|And|Or)\s+)/);
    for (let i = 0; i < pieces.length; i += 2) {
      if (pieces.length < 3) break;
      const keep = pieces.filter((_, j) => (i === 0 ? j > 1 : j !== i && j !== i - 1));
      yield keep.join('');
    }
    return;
  }
  if (!value || typeof value !== 'object') return;
  // (`quirks` are labels of a text, not a part of it.)
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value).filter((k) => k !== 'quirks');
  for (const k of keys) {
    if (Array.isArray(value)) yield value.filter((_, i) => i !== k);
    else {
      const { [k]: _, ...rest } = value;
      yield rest;
    }
  }
  for (const k of keys)
    for (const smaller of without(value[k])) {
      if (Array.isArray(value)) yield value.map((v, i) => (i === k ? smaller : v));
      else yield { ...value, [k]: smaller };
    }
}

/** The smallest case found by leaving parts out that still fails with the same class. */
function shrink(kind, c, outcome) {
  let best = c;
  let bestOutcome = outcome;
  for (let progress = true, budget = 4000; progress && budget > 0; ) {
    progress = false;
    // Parts of a case are shrunk; the case keeps all its parts.
    const candidates = function* () {
      for (const key of Object.keys(best)) for (const smaller of without(best[key])) yield { ...best, [key]: smaller };
    };
    for (const candidate of candidates()) {
      if (--budget <= 0) break;
      const o = check(kind, candidate);
      if (o.status === 'fail' && o.class === outcome.class) {
        best = candidate;
        bestOutcome = o;
        progress = true;
        break;
      }
    }
  }
  return { case: best, outcome: bestOutcome };
}

console.log(`differential test: seed ${seed}, ${cases} cases of each kind (${kinds.join(', ')}); Segment's destination: ${destinationSource}`);
const started = performance.now();
let failed = 0;
const seen = new Set();

// The Segment side first: it must give the answers recorded from Segment's libraries in
// tests/conformance (so that a change of its dependencies cannot go unnoticed).
const conformance = path.join(here, '../conformance');
const read = (file) => readFileSync(path.join(conformance, file), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const referenceChecks = [
  ['mapping-kit.jsonl', (c) => {
    const r = segmentTransform(c.mapping, c.payload);
    return 'error' in c.expect ? !!r.error : !r.error && JSON.stringify(r.output) === JSON.stringify(c.expect.undefined ? undefined : c.expect.output);
  }],
  ['subscriptions.jsonl', (c) => (segmentMatch(c.subscription, c.event).matches ?? false) === c.expect.matches],
  ['nudge-plans.jsonl', (c) => {
    const got = segmentPlan(c.config, c.events);
    const want = {
      requests: c.expect.requests.map((r) => ({ method: r.method, url: r.url, apikey: r.headers.apikey, p: r.headers.p, body: r.body })),
      results: c.expect.results.map((r) => ({ index: r.index, status: r.status, fields: [...(r.fields ?? [])].sort() })),
    };
    return JSON.stringify(want) === JSON.stringify({ requests: got.requests.map(({ events, ...r }) => r), results: got.results });
  }],
];
{
  let total = 0;
  let wrongs = 0;
  for (const [file, agrees] of referenceChecks) {
    const recorded = read(file);
    const wrong = recorded.filter((c) => !agrees(c)).map((c) => c.id);
    if (wrong.length) console.log(`the Segment side disagrees with tests/conformance/${file}: ${wrong.join(', ')}`);
    total += recorded.length;
    wrongs += wrong.length;
  }
  console.log(`Segment side against tests/conformance: ${total - wrongs}/${total} cases reproduced`);
  failed += wrongs;
}

// Reproducers of disagreements found before: each must now agree (or be a known difference).
const reproducersFile = path.join(here, 'reproducers.jsonl');
if (existsSync(reproducersFile)) {
  const lines = readFileSync(reproducersFile, 'utf8').split('\n').filter((l) => l.trim());
  let bad = 0;
  for (const line of lines) {
    const r = JSON.parse(line);
    const outcome = check(KINDS[r.kind], r.case);
    if (outcome.status === 'fail') {
      bad += 1;
      seen.add(outcome.class);
      if (bad <= show) console.log(`  reproducer ${r.id} (${r.kind}) still fails: ${outcome.class}\n    ${JSON.stringify(r.case)}`);
    }
  }
  console.log(`reproducers.jsonl: ${lines.length - bad}/${lines.length} agree`);
  failed += bad;
}

for (const name of kinds) {
  const kind = KINDS[name];
  const t0 = performance.now();
  const tally = { agree: 0, known: new Map(), fail: new Map() };
  const examples = [];
  for (let i = 0; i < cases; i++) {
    const c = kind.generate(source(seed, kind.name, i));
    const outcome = check(kind, c);
    if (outcome.status === 'agree') tally.agree += 1;
    else {
      const bucket = tally[outcome.status];
      bucket.set(outcome.class, (bucket.get(outcome.class) ?? 0) + 1);
      if (outcome.status === 'fail' && examples.filter((e) => e.outcome.class === outcome.class).length < show) examples.push({ i, c, outcome });
    }
  }
  const known = [...tally.known.values()].reduce((a, b) => a + b, 0);
  const fails = [...tally.fail.values()].reduce((a, b) => a + b, 0);
  failed += fails;
  console.log(`${name.padEnd(13)} ${cases} cases: ${tally.agree} agree, ${known} known differences, ${fails} disagree (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  for (const [cls, n] of tally.known) console.log(`    known: ${n} × ${cls}`);
  for (const [cls, n] of tally.fail) console.log(`    DISAGREE: ${n} × ${cls}`);
  for (const cls of [...tally.known.keys(), ...tally.fail.keys()]) seen.add(cls);
  for (const e of examples) {
    const shown = shrinking ? shrink(kind, e.c, e.outcome) : { case: e.c, outcome: e.outcome };
    console.log(`  case ${e.i} (--seed ${seed} --kind ${name} --case ${e.i})${shrinking ? ', shrunk' : ''}: ${e.outcome.class}`);
    console.log(`    case:   ${JSON.stringify(shown.case)}`);
    console.log(`    answers: ${JSON.stringify(shown.outcome.detail)}`);
  }
}
const named = Object.keys(CLASSES).filter((id) => [...seen].some((cls) => cls.includes(id)));
if (named.length) console.log(`classes:\n${named.map((id) => `  ${id}${CLASSES[id].known ? ' (known)' : ''}: ${CLASSES[id].text}`).join('\n')}`);
console.log(`${failed === 0 ? 'all agree' : `${failed} disagreements`} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed === 0 ? 0 : 1);
