// The npm package reads odd JSON as the CLI and the Worker do: the shared cases of
// tests/readers/odd-inputs.json (lone surrogates, numbers beyond a double, duplicate keys, deep
// nesting) give the plans recorded there. The configuration goes through JSON.parse and
// createPlanner, as a caller holding its text would; the events through planText.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createPlanner } from '../index.mjs';

const fixture = JSON.parse(
  readFileSync(new URL('../../tests/readers/odd-inputs.json', import.meta.url), 'utf8'),
);

test('the shared fixture holds its cases', () => {
  assert.ok(fixture.cases.length >= 5, `${fixture.cases.length} cases`);
});

for (const c of fixture.cases) {
  test(c.name, () => {
    const config = JSON.parse(
      `{"settings":{"apikey":${JSON.stringify(c.apikey)}},"mappings":${c.mappings}}`,
    );
    if (c.expect.error !== undefined) {
      assert.throws(
        () => createPlanner(config),
        (e) => e.message.includes(c.expect.error),
      );
      return;
    }
    const plan = JSON.parse(createPlanner(config).planText(c.events));
    // The CLI prints the plan with its API key redacted.
    for (const request of plan.requests) request.headers.apikey = '[redacted]';
    assert.deepEqual(plan, c.expect.plan);
    // As text too, so that the order of members counts.
    assert.equal(JSON.stringify(plan), JSON.stringify(c.expect.plan));
  });
}
