// Seeds each fuzz target's corpus (fuzz/corpus/<target>, kept out of git) from the
// conformance cases in tests/conformance, when that corpus is empty: the fuzzers start from
// the shapes real configurations, mappings, subscriptions and events have.
import { readFileSync, writeFileSync, mkdirSync, readdirSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cases = (name) =>
  readFileSync(join(root, 'tests/conformance', name), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line));

const plans = cases('nudge-plans.jsonl');
const events = plans.flatMap((c) => c.events);
const basic = `Basic ${Buffer.from('wk:').toString('base64')}`;
const seeds = {
  ingest: [
    ...plans.map((c) => `POST /v1/batch\n${basic}\n${JSON.stringify({ batch: c.events, context: { ip: '1' } })}`),
    ...events.map((e) => `POST /v1/${e.type ?? 'track'}\n\n${JSON.stringify({ ...e, writeKey: 'wk' })}`),
    `GET /health\n${basic}\n`,
  ],
  plan_text: [
    ...plans.map((c) => JSON.stringify(c.events)),
    ...events.map((e) => JSON.stringify(e, null, 2)),
    '[{"type":"track","userId":"u","event":"e","timestamp":"2025-05-14T07:30:00Z","properties":{"a":1.0,"b":"\\u00e9\\/","a":-0,"10":1E5,"__proto__":{}}}]',
  ],
  config: plans.flatMap((c) => [JSON.stringify(c.config), ...(c.config.mappings ?? []).map((m) => JSON.stringify(m))]),
  fql: [
    ...cases('subscriptions.jsonl').map((c) => c.subscription),
    // Nested: `(` sixteen times over, a condition, `)` as often (see fuzz_targets/fql.rs).
    '\u0001\u0001(\u0000type = "track"\u0000)',
    '\u0001\u0002!(\u0000contains(event, "x")\u0000) or userId != null',
  ],
  mapping: [...cases('mapping-kit.jsonl'), ...cases('liquid.jsonl')].map(
    (c) => `${JSON.stringify(c.mapping)}\n${JSON.stringify(c.payload)}`,
  ),
  dates: [
    ...events.map((e) => e.timestamp).filter((t) => t !== undefined).map(String),
    '2025-05-14T07:30:00+05:30', '2025-05-14', '1747207800000', '+275760-09-13T00:00:00.000Z',
    'Wed, 14 May 2025 07:30:00 GMT', '14 May 2025 07:30 PM EST', '-000001-01-01T00:00:00Z', '2025-13-45T99:99:99',
  ],
};

for (const [target, inputs] of Object.entries(seeds)) {
  const dir = join(root, 'fuzz/corpus', target);
  mkdirSync(dir, { recursive: true });
  if (readdirSync(dir).length > 0) continue;
  for (const input of new Set(inputs)) {
    const name = createHash('sha1').update(input).digest('hex');
    if (!existsSync(join(dir, name))) writeFileSync(join(dir, name), input);
  }
  console.log(`fuzz/corpus/${target}: ${new Set(inputs).size} seeds`);
}
