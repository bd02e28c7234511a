// nudge-edge's side of every comparison: the npm package built from this checkout
// (`bash js/scripts/build.sh`), and the plan in the shape the comparisons use.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const nudge = require(path.join(root, 'js'));

/** Calls `f`; `{value}` or `{error}`. */
export function attempt(f) {
  try {
    return { value: f() };
  } catch (error) {
    return { error };
  }
}

/** A request as compared: method, url, the two headers, the body as JSON text, the events. */
export const request = (r, bodyText = JSON.stringify(r.body)) => ({
  method: r.method,
  url: r.url,
  apikey: r.headers.apikey,
  p: r.headers.p,
  body: bodyText,
  events: r.events,
});

/** A result as compared: index, status and the set of fields in error. */
export const result = (r) => ({ index: r.index, status: r.status, fields: [...new Set((r.errors ?? []).map((e) => e.field))].sort() });

/**
 * The text of each request's `body` in a plan written as JSON text by `planText`, exactly as
 * written (the plan's shape is fixed: `{"requests":[{…,"body":…,…}],"results":[…]}`).
 */
export function rawBodies(planText) {
  let i = 0;
  const fail = (what) => {
    throw new Error(`planText output: ${what} at ${i}`);
  };
  const space = () => {
    while (' \t\n\r'.includes(planText[i]) && i < planText.length) i++;
  };
  const string = () => {
    if (planText[i] !== '"') fail('expected a string');
    const start = i++;
    while (planText[i] !== '"') {
      if (i >= planText.length) fail('unterminated string');
      i += planText[i] === '\\' ? 2 : 1;
    }
    i++;
    return JSON.parse(planText.slice(start, i));
  };
  const skip = () => {
    space();
    const c = planText[i];
    if (c === '"') return string();
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      space();
      if (planText[i] === close) return i++;
      for (;;) {
        if (c === '{') {
          space();
          string();
          space();
          if (planText[i++] !== ':') fail('expected :');
        }
        skip();
        space();
        if (planText[i] === ',') i++;
        else if (planText[i++] === close) return;
        else fail(`expected , or ${close}`);
      }
    }
    const m = /^(?:-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null)/.exec(planText.slice(i, i + 400));
    if (!m) fail('unexpected text');
    i += m[0].length;
  };
  const bodies = [];
  space();
  if (planText[i++] !== '{') fail('expected {');
  space();
  if (string() !== 'requests') fail('expected "requests" first');
  space();
  i++; // :
  space();
  if (planText[i++] !== '[') fail('expected [');
  space();
  if (planText[i] === ']') return bodies;
  for (;;) {
    space();
    if (planText[i++] !== '{') fail('expected a request');
    for (;;) {
      space();
      const key = string();
      space();
      i++; // :
      space();
      const start = i;
      skip();
      if (key === 'body') bodies.push(planText.slice(start, i));
      space();
      if (planText[i] === ',') i++;
      else if (planText[i++] === '}') break;
      else fail('expected , or }');
    }
    space();
    if (planText[i] === ',') i++;
    else if (planText[i++] === ']') return bodies;
    else fail('expected , or ]');
  }
}
